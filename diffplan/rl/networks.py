"""Multilayer perceptrons, the function class of every policy, critic and value network of diffplan.rl."""

from __future__ import annotations

import torch
from torch import nn


def mlp(input_dim: int, output_dim: int, hidden_dims: tuple[int, ...] | list[int], layer_norm: bool = False
        ) -> nn.Sequential:
    """``Linear → [LayerNorm] → ReLU`` per hidden layer, then a linear output layer."""
    layers: list[nn.Module] = []
    width = input_dim
    for hidden in hidden_dims:
        layers.append(nn.Linear(width, hidden))
        if layer_norm:
            layers.append(nn.LayerNorm(hidden))
        layers.append(nn.ReLU())
        width = hidden
    layers.append(nn.Linear(width, output_dim))
    return nn.Sequential(*layers)


@torch.no_grad()
def polyak_update(target: nn.Module, source: nn.Module, rate: float) -> None:
    """``target ← (1 − rate) · target + rate · source`` on every parameter (target networks)."""
    for target_param, param in zip(target.parameters(), source.parameters(), strict=True):
        target_param.lerp_(param, rate)
