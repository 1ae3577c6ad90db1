"""A known reward function of unnormalised states and actions as a likelihood.

``log p(O | x) = (sum_h r(s_h, a_h) + V(s_{H-1})) / alpha`` where ``r`` is the user's differentiable torch
function of environment units (e.g. PointMaze's dense reward ``exp(-||s_xy - goal||)``) and V an optional
terminal value of the last state. Rows ``[a, s]`` are unnormalised with the prior's (affine) normaliser,
so gradients flow back to the normalised window.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from diffplan.data.normalizer import AffineNormalizer
from diffplan.errors import UserError

RewardFn = Callable[[Tensor, Tensor], Tensor]
"""``reward(states (B, H, S), actions (B, H, A)) -> (B, H)`` in environment units."""

TerminalValueFn = Callable[[Tensor], Tensor]
"""``value(last_state (B, S)) -> (B,)`` in environment units."""


class KnownReward:
    """Likelihood of a known reward function.

    Args:
        reward: ``reward(states (B, H, S), actions (B, H, A)) -> (B, H)``, unnormalised inputs.
        action_dim: A, the number of action columns at the front of a row.
        normalizer: the prior's row normaliser (``None``: rows are already in environment units).
        alpha: temperature; the log-likelihood is the return divided by alpha.
        terminal_value: optional V(s_{H-1}) added to the window's return.
        discount: reward of step h weighted by ``discount ** h``.
    """

    def __init__(
        self,
        reward: RewardFn,
        action_dim: int,
        normalizer: AffineNormalizer | None = None,
        alpha: float = 1.0,
        terminal_value: TerminalValueFn | None = None,
        discount: float = 1.0,
    ) -> None:
        if not alpha > 0:
            raise UserError(f"temperature alpha is {alpha}; use a positive number")
        self.reward = reward
        self.action_dim = action_dim
        self.normalizer = normalizer
        self.alpha = float(alpha)
        self.terminal_value = terminal_value
        self.discount = discount

    def returns(self, x: Tensor) -> Tensor:
        """Return of each window (B,) = sum_h discount^h r_h (+ discount^(H-1) V(s_{H-1})); x (B, H, D)."""
        rows = self.normalizer.unnormalize(x) if self.normalizer is not None else x
        actions, states = rows[..., : self.action_dim], rows[..., self.action_dim:]
        rewards = self.reward(states, actions)
        if rewards.shape != x.shape[:2]:
            raise ValueError(f"the reward function returned {tuple(rewards.shape)}; expected (B, H) = "
                             f"{tuple(x.shape[:2])}")
        weights = self.discount ** torch.arange(x.shape[1], device=x.device, dtype=x.dtype)
        total = (rewards * weights).sum(dim=1)
        if self.terminal_value is not None:
            total = total + weights[-1] * self.terminal_value(states[:, -1])
        return total

    def log_likelihood(self, x: Tensor, t: Tensor) -> Tensor:
        """x: (B, H, D) normalised windows (x_t or an x0 estimate); t (B,) is ignored -> (B,)."""
        return self.returns(x) / self.alpha
