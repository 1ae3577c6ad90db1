"""A reward network read in environment units: the normaliser it was trained with, then r_phi."""

from __future__ import annotations

from torch import Tensor, nn

from diffplan.data.normalizer import AffineNormalizer
from diffplan.irl.reward_network import RewardNetwork


class EnvironmentReward(nn.Module):
    """r_phi of unnormalised states and actions; ``forward(states (B, H, S), actions (B, H, A)) -> (B, H)``.

    Args:
        network: r_phi on normalised inputs.
        normalizer: the rows' ``[a, s]`` normaliser r_phi was trained with.
    """

    def __init__(self, network: RewardNetwork, normalizer: AffineNormalizer) -> None:
        super().__init__()
        self.network = network
        A = network.action_dim
        self.register_buffer("action_shift", normalizer.shift[:A].clone())
        self.register_buffer("action_scale", normalizer.scale[:A].clone())
        self.register_buffer("state_shift", normalizer.shift[A:].clone())
        self.register_buffer("state_scale", normalizer.scale[A:].clone())

    def normalise(self, states: Tensor, actions: Tensor) -> tuple[Tensor, Tensor]:
        return (states - self.state_shift) / self.state_scale, (actions - self.action_shift) / self.action_scale

    def step_reward(self, states: Tensor, actions: Tensor, next_states: Tensor) -> Tensor:
        """``(...)`` rewards of states ``(..., S)``, actions ``(..., A)``, next states ``(..., S)``."""
        states, actions = self.normalise(states, actions)
        next_states = (next_states - self.state_shift) / self.state_scale
        return self.network.step_reward(states, actions, next_states)

    def forward(self, states: Tensor, actions: Tensor) -> Tensor:
        """``(B, H)`` rewards of windows of states ``(B, H, S)`` and actions ``(B, H, A)``."""
        return self.network(*self.normalise(states, actions))
