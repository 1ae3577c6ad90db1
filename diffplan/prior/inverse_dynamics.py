"""An inverse-dynamics model a_t = f(s_t, s_{t+1}): actions from planned states (Decision Diffuser's rule).

Planned actions of a diffusion prior are often its least accurate entries; planned states are smoother.
An inverse-dynamics model trained beside the prior on the same windows turns the next planned state and
the current state into the action that connects them. It works on normalised rows, like the prior.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn


@dataclass
class InverseDynamicsConfig:
    """The inverse-dynamics head of a prior run.

    Attributes:
        hidden_dims: widths of the MLP's hidden layers; empty = no inverse-dynamics model is trained.
        weight: factor of its loss (it has its own optimiser, so this only rescales its gradients).
    """

    hidden_dims: list[int] = field(default_factory=list)
    weight: float = 1.0


class InverseDynamics(nn.Module):
    """MLP ``f(s_t, s_{t+1}) -> a_t`` on normalised states and actions.

    Args:
        state_dim: S. action_dim: A. hidden_dims: widths of the hidden layers.
    """

    def __init__(self, state_dim: int, action_dim: int, hidden_dims: list[int]):
        super().__init__()
        widths = [2 * state_dim, *hidden_dims]
        layers: list[nn.Module] = []
        for width_in, width_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(width_in, width_out), nn.Mish()]
        layers.append(nn.Linear(widths[-1], action_dim))
        self.net = nn.Sequential(*layers)

    def forward(self, states: Tensor, next_states: Tensor) -> Tensor:
        """states, next_states: ``(..., S)`` normalised -> actions ``(..., A)`` normalised."""
        return self.net(torch.cat([states, next_states], dim=-1))

    def loss(self, x: Tensor, mask: Tensor, action_dim: int) -> Tensor:
        """Mean squared action error over consecutive real rows of windows ``x: (B, H, A + S)``, ``mask: (B, H)``."""
        actions, states = x[..., :action_dim], x[..., action_dim:]
        predicted = self(states[:, :-1], states[:, 1:])
        pairs = (mask[:, :-1] & mask[:, 1:]).to(x.dtype)
        squared = (predicted - actions[:, :-1]).pow(2).mean(dim=-1)
        return (squared * pairs).sum() / pairs.sum().clamp(min=1.0)
