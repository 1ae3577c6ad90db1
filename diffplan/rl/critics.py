"""Critics: Q(s, a) ensembles (twin by default), a state value V(s), and the regressions fitting V to Q in-sample.

Two in-sample value regressions on dataset actions a ~ pi_beta, with δ = Q(s, a) − V(s):

* ``expectile`` (IQL): |τ − 1[δ < 0]| δ²; τ → 1 tends to the best in-support action.
* ``soft`` (Gumbel / LINEX regression): α (exp(δ / α) − δ / α − 1), whose minimiser is
  V(s) = α log E_{a ~ pi_beta} exp(Q(s, a) / α) — exactly the soft value of control as inference with the
  behaviour prior as action prior, so that exp((Q − V) / α) is a normalised weight under pi_beta.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor, nn

from diffplan.rl.networks import mlp

ValueLoss = Literal["expectile", "soft"]
SOFT_EXPONENT_MAX = 20.0
"""δ / α is clamped at this value inside exp() of the soft regression, so one outlier cannot overflow."""


class TwinQ(nn.Module):
    """Independent critics Q_1 .. Q_E evaluated together (E = 2: clipped double Q-learning; more: SAC-N).

    Args:
        state_dim: S; action_dim: A; hidden_dims: MLP widths; ensemble: number of critics E (2).
    """

    def __init__(self, state_dim: int, action_dim: int, hidden_dims: tuple[int, ...] | list[int] = (256, 256),
                 ensemble: int = 2, layer_norm: bool = False):
        super().__init__()
        self.critics = nn.ModuleList(mlp(state_dim + action_dim, 1, hidden_dims, layer_norm) for _ in range(ensemble))

    def forward(self, states: Tensor, actions: Tensor) -> Tensor:
        """``(E, ...)`` Q-values of states ``(..., S)`` and actions ``(..., A)`` (leading axes broadcast)."""
        if states.shape[:-1] != actions.shape[:-1]:
            states = states.expand(*actions.shape[:-1], states.shape[-1])
        inputs = torch.cat([states, actions], dim=-1)
        return torch.stack([critic(inputs)[..., 0] for critic in self.critics])

    def minimum(self, states: Tensor, actions: Tensor) -> Tensor:
        """``(...)`` min over the critics (the pessimistic estimate)."""
        return self(states, actions).amin(0)


class StateValue(nn.Module):
    """V(s): an MLP of the normalised state, ``(B, S) → (B,)``."""

    def __init__(self, state_dim: int, hidden_dims: tuple[int, ...] | list[int] = (256, 256), layer_norm: bool = False):
        super().__init__()
        self.network = mlp(state_dim, 1, hidden_dims, layer_norm)

    def forward(self, states: Tensor) -> Tensor:
        return self.network(states)[..., 0]


def expectile_loss(difference: Tensor, expectile: float) -> Tensor:
    """Mean of |τ − 1[δ < 0]| δ² for δ = target − prediction ``(...)``."""
    weight = torch.where(difference < 0, 1.0 - expectile, expectile)
    return (weight * difference.pow(2)).mean()


def soft_value_loss(difference: Tensor, alpha: float) -> Tensor:
    """Mean of α (exp(δ/α) − δ/α − 1) for δ = Q − V ``(...)``; minimised by V = α log E exp(Q/α)."""
    z = difference / alpha
    return alpha * (torch.exp(z.clamp(max=SOFT_EXPONENT_MAX)) - z - 1.0).mean()


def value_regression_loss(kind: ValueLoss, difference: Tensor, expectile: float, alpha: float) -> Tensor:
    """The in-sample value regression named by ``kind`` (``expectile`` or ``soft``)."""
    if kind == "expectile":
        return expectile_loss(difference, expectile)
    return soft_value_loss(difference, alpha)
