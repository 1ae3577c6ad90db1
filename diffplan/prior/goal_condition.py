"""The goal as a global input of the denoiser, besides its inpainted row.

Inpainting fixes the goal in one row of the window; a temporal U-Net learns only slowly to carry that row's
information to the rows far from it, so a small prior trained briefly draws plans that head the way most
data heads and leap to the goal at the end. With ``goal_condition_dims`` the prior also receives the goal
row's state (those dimensions, normalised) as the global condition vector of every residual block, the way
the time embedding enters: every row then knows where the window ends. In training the goal row is the
window's last real row (as for inpainting); in planning it is the inpainted goal.

:class:`GoalConditioned` binds such a condition to the denoiser, so every sampler, which sees a prior only
through the :class:`~diffplan.prior.denoiser.Denoiser` protocol, uses it unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from diffplan.prior.inpainting import Conditions
from diffplan.prior.trajectory_diffusion import TrajectoryDiffusion


def goal_row_states(values: Tensor, goal_rows: Tensor, action_dim: int, dims: Sequence[int]) -> Tensor:
    """The condition vector ``(B, C)``: ``dims`` of the state at each window's goal row.

    Args:
        values: ``(B, H, A + S)`` normalised windows (or inpainted values).
        goal_rows: ``(B,)`` long row of each window's goal.
    """
    rows = values[torch.arange(values.shape[0], device=values.device), goal_rows.to(values.device).long()]
    return rows[:, [action_dim + d for d in dims]]


class GoalConditioned:
    """A denoiser with its goal condition bound: implements :class:`~diffplan.prior.denoiser.Denoiser`.

    Samplers repeat each problem's windows consecutively (particles, candidates), so a batch of ``k · B``
    windows takes each of the B conditions ``k`` times in a row.

    Args:
        diffusion: a prior trained with ``goal_condition_dims``.
        condition: ``(B, C)`` one condition per problem.
    """

    def __init__(self, diffusion: TrajectoryDiffusion, condition: Tensor) -> None:
        self.diffusion = diffusion
        self.condition = condition
        self.alphas_cumprod = diffusion.alphas_cumprod
        self.scheduler_config: Any = diffusion.scheduler_config

    def _for(self, x_t: Tensor) -> Tensor:
        copies, left = divmod(x_t.shape[0], self.condition.shape[0])
        if left:
            raise ValueError(f"{x_t.shape[0]} windows cannot share {self.condition.shape[0]} goal conditions")
        return self.condition.to(x_t.device, x_t.dtype).repeat_interleave(copies, dim=0)

    def predict_eps(self, x_t: Tensor, t: Tensor) -> Tensor:
        """eps estimate ``(B', H, D)`` of the conditioned prior."""
        return self.diffusion.predict_eps(x_t, t, self._for(x_t))

    def predict_x0(self, x_t: Tensor, t: Tensor) -> Tensor:
        """x0 estimate ``(B', H, D)`` of the conditioned prior."""
        return self.diffusion.predict_x0(x_t, t, self._for(x_t))


def conditioned_denoiser(diffusion: TrajectoryDiffusion, conditions: Conditions, goal_rows: Tensor | None,
                         action_dim: int, dims: Sequence[int]) -> TrajectoryDiffusion | GoalConditioned:
    """``diffusion`` itself without ``dims``, else bound to the goal states inpainted in ``conditions``
    ``(B, H, D)`` at ``goal_rows`` ``(B,)`` (default: the last row)."""
    if not dims:
        return diffusion
    batch, horizon = conditions.shape[:2]
    if goal_rows is None:
        goal_rows = torch.full((batch,), horizon - 1, dtype=torch.long)
    return GoalConditioned(diffusion, goal_row_states(conditions.values, goal_rows, action_dim, dims))
