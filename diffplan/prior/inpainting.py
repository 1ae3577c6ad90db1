"""Inpainting constraints: entries of a normalised window fixed to known values (start state, goal).

A window x is (B, H, D), each row ``[action (action_dim), observation]``. :class:`Conditions` holds a
boolean ``mask`` (B, H, D) of fixed entries and their ``values`` (B, H, D); ``apply(x)`` returns
``where(mask, values, x)``. The diffusion prior overwrites these entries in the noisy input during
training, in the initial noise and after every solver step, and leaves them out of the loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class Conditions:
    """Fixed entries of a batch of windows.

    mask: (B, H, D) bool, True where the entry is fixed.
    values: (B, H, D) float, the fixed values (ignored where ``mask`` is False).
    """

    mask: Tensor
    values: Tensor

    def __post_init__(self) -> None:
        if self.mask.shape != self.values.shape or self.mask.dim() != 3:
            raise ValueError(
                f"mask {tuple(self.mask.shape)} and values {tuple(self.values.shape)} must both be (B, H, D)"
            )
        self.mask = self.mask.bool()

    @property
    def shape(self) -> torch.Size:
        return self.mask.shape

    def apply(self, x: Tensor) -> Tensor:
        """x: (B, H, D) -> x with the fixed entries overwritten (out of place)."""
        return torch.where(self.mask, self.values.to(x.dtype), x)

    def to(self, device: torch.device | str) -> Conditions:
        return Conditions(self.mask.to(device), self.values.to(device))

    def repeat(self, n: int) -> Conditions:
        """Each window's constraints repeated ``n`` times consecutively: (B, H, D) -> (B * n, H, D)."""
        return Conditions(self.mask.repeat_interleave(n, dim=0), self.values.repeat_interleave(n, dim=0))

    @staticmethod
    def start_goal(
        start: Tensor,
        horizon: int,
        action_dim: int,
        goal: Tensor | None = None,
        goal_step: Tensor | int | None = None,
    ) -> Conditions:
        """Fix the observation of step 0 to ``start`` (B, obs) and, if given, that of ``goal_step`` to ``goal``.

        goal_step: int or (B,) long index of the goal row (default: the last row, ``horizon - 1``).
        """
        batch, obs_dim = start.shape
        dim = action_dim + obs_dim
        mask = torch.zeros(batch, horizon, dim, dtype=torch.bool, device=start.device)
        values = torch.zeros(batch, horizon, dim, dtype=start.dtype, device=start.device)
        mask[:, 0, action_dim:] = True
        values[:, 0, action_dim:] = start
        if goal is not None:
            if goal_step is None:
                goal_step = horizon - 1
            steps = torch.as_tensor(goal_step, device=start.device).expand(batch)
            rows = torch.arange(batch, device=start.device)
            mask[rows, steps, action_dim:] = True
            values[rows, steps, action_dim:] = goal.to(values.dtype)
        return Conditions(mask, values)

    @staticmethod
    def from_windows(x0: Tensor, action_dim: int, step_mask: Tensor | None = None, goal: bool = False) -> Conditions:
        """Training-time constraints read off data windows x0 (B, H, D): the start observation and, if
        ``goal``, the observation of the last real step (per ``step_mask`` (B, H), default: the last row)."""
        batch, horizon, _ = x0.shape
        goal_obs, goal_step = None, None
        if goal:
            goal_step = last_real_rows(x0, step_mask)
            goal_obs = x0[torch.arange(batch, device=x0.device), goal_step, action_dim:]
        return Conditions.start_goal(x0[:, 0, action_dim:], horizon, action_dim, goal_obs, goal_step)


def last_real_rows(x0: Tensor, step_mask: Tensor | None = None) -> Tensor:
    """``(B,)`` long index of each window's last real row (per ``step_mask`` (B, H); default the last row)."""
    batch, horizon, _ = x0.shape
    if step_mask is None:
        return torch.full((batch,), horizon - 1, dtype=torch.long, device=x0.device)
    return step_mask.long().sum(dim=1).clamp(min=1) - 1
