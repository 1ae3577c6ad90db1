"""Reward networks r_phi(s), r_phi(s, a), r_phi(s, a, s') on normalised inputs.

``reward_inputs`` picks what the network reads: ``state`` (r(s), a state-only reward, the disentangled
reward of AIRL), ``state_action`` (r(s, a)) or ``transition`` (r(s, a, s')). A network is called on one step,
:meth:`RewardNetwork.step_reward`, or on windows of normalised rows, :meth:`RewardNetwork.forward`, with the
signature :class:`~diffplan.inference.learned_reward.LearnedReward` expects. With ``fourier_features`` the
inputs first pass through fixed random Fourier features ``cos(W x + b)``, ``W ~ N(0, fourier_scale²)``
(Rahimi & Recht): a linear reward of them (``hidden_dims: []``) is a smooth function of a Gaussian-kernel RKHS
of length scale ``1 / fourier_scale`` in normalised units, a prior that suits a reward learned from few
demonstrations (an unconstrained MLP fits the noise of their visitation). In a window of H rows the
successor of row h is row h + 1, so a ``transition`` reward has no successor for the last row: its reward is
0 there and :meth:`RewardNetwork.valid_steps` leaves it out of every loss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import torch
from einops import rearrange
from torch import Tensor, nn

from diffplan.errors import UserError
from diffplan.rl.networks import mlp

RewardInputs = Literal["state", "state_action", "transition"]
REWARD_INPUTS: tuple[str, ...] = ("state", "state_action", "transition")


@dataclass
class RewardNetworkConfig:
    """The reward network.

    Attributes:
        reward_inputs: ``state`` r(s), ``state_action`` r(s, a) or ``transition`` r(s, a, s').
        hidden_dims: MLP widths; ``[]`` is a linear reward of the normalised inputs (a table on one-hot states).
        state_dims: the state dimensions the reward reads (``[0, 1]``: PointMaze's position); ``[]`` = all.
        fourier_features: number of random Fourier features of the inputs (0 = the MLP reads the inputs).
        fourier_scale: standard deviation of their frequencies (the inverse kernel length scale, normalised units).
        state_dim, action_dim: S and A; 0 = taken from the data (a different given size is an error).
    """

    reward_inputs: RewardInputs = "state"
    hidden_dims: list[int] = field(default_factory=lambda: [256, 256])
    state_dims: list[int] = field(default_factory=list)
    fourier_features: int = 0
    fourier_scale: float = 1.0
    state_dim: int = 0
    action_dim: int = 0

    def __post_init__(self) -> None:
        if self.reward_inputs not in REWARD_INPUTS:
            raise UserError(f"reward.reward_inputs {self.reward_inputs!r} is unknown; use one of "
                            f"{', '.join(REWARD_INPUTS)}")
        if any(width < 1 for width in self.hidden_dims):
            raise UserError(f"reward.hidden_dims must be positive widths, got {self.hidden_dims}")
        if self.fourier_features < 0 or self.fourier_scale <= 0:
            raise UserError(f"reward.fourier_features must be >= 0 and reward.fourier_scale > 0, got "
                            f"{self.fourier_features} and {self.fourier_scale}")


class FourierFeatures(nn.Module):
    """``(..., F)`` random Fourier features ``sqrt(2 / F) cos(W x + b)`` of inputs ``(..., I)``; W and b are fixed
    buffers (saved with the network), ``W ~ N(0, scale²)``, ``b ~ U[0, 2 pi)``."""

    def __init__(self, inputs: int, features: int, scale: float) -> None:
        super().__init__()
        self.register_buffer("frequencies", torch.randn(inputs, features) * scale)
        self.register_buffer("phases", torch.rand(features) * 2 * math.pi)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cos(x @ self.frequencies + self.phases) * math.sqrt(2 / self.phases.shape[0])


class RewardNetwork(nn.Module):
    """r_phi of normalised states ``(..., S)``, actions ``(..., A)`` and next states ``(..., S)``."""

    def __init__(self, config: RewardNetworkConfig) -> None:
        super().__init__()
        if config.state_dim < 1 or config.action_dim < 1:
            raise ValueError(f"reward network sizes must be set, got S={config.state_dim}, A={config.action_dim}")
        self.config = config
        bad = [d for d in config.state_dims if not 0 <= d < config.state_dim]
        if bad:
            raise UserError(f"reward.state_dims {bad} are outside the data's {config.state_dim} state dimensions")
        S, A = len(config.state_dims) or config.state_dim, config.action_dim
        inputs = {"state": S, "state_action": S + A, "transition": 2 * S + A}[config.reward_inputs]
        features = config.fourier_features
        head = mlp(features or inputs, 1, config.hidden_dims)
        self.network = nn.Sequential(FourierFeatures(inputs, features, config.fourier_scale), head) if features \
            else head

    @property
    def action_dim(self) -> int:
        return self.config.action_dim

    def step_reward(self, states: Tensor, actions: Tensor, next_states: Tensor | None = None) -> Tensor:
        """``(...)`` rewards of states ``(..., S)``, actions ``(..., A)`` and next states ``(..., S)`` (only read
        by ``transition`` rewards)."""
        kind, dims = self.config.reward_inputs, self.config.state_dims
        if dims:
            states = states[..., dims]
            next_states = next_states[..., dims] if next_states is not None else None
        if kind == "state":
            features = states
        elif kind == "state_action":
            features = torch.cat([states, actions], dim=-1)
        else:
            if next_states is None:
                raise ValueError("a transition reward r(s, a, s') needs next_states")
            features = torch.cat([states, actions, next_states], dim=-1)
        return rearrange(self.network(features), "... 1 -> ...")

    def forward(self, states: Tensor, actions: Tensor) -> Tensor:
        """``(B, H)`` rewards of a window's states ``(B, H, S)`` and actions ``(B, H, A)``; with ``transition``
        inputs the successor of row h is row h + 1 and the last row's reward is 0."""
        if self.config.reward_inputs != "transition":
            return self.step_reward(states, actions)
        rewards = self.step_reward(states[:, :-1], actions[:, :-1], states[:, 1:])
        return torch.cat([rewards, torch.zeros_like(rewards[:, :1])], dim=1)

    def valid_steps(self, mask: Tensor) -> Tensor:
        """``(B, H)`` bool: steps whose reward is defined, from the window's real-step ``mask`` (B, H)."""
        if self.config.reward_inputs != "transition":
            return mask
        return torch.cat([mask[:, :-1] & mask[:, 1:], torch.zeros_like(mask[:, :1])], dim=1)

    def window_rewards(self, x: Tensor, mask: Tensor) -> Tensor:
        """``(B, H)`` rewards of normalised windows ``x (B, H, A + S)``, zero where undefined (padding, a
        transition's last row)."""
        rewards = self(x[..., self.action_dim:], x[..., : self.action_dim])
        return rewards * self.valid_steps(mask).to(rewards.dtype)
