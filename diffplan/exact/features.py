"""Feature-based rewards r(s, a) = phi(s, a) . theta, and feature expectations of visitation."""

from __future__ import annotations

import torch
from einops import rearrange, reduce, repeat
from torch import Tensor

from diffplan.errors import UserError


def one_hot_state_features(num_states: int, num_actions: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """``(S, A, S)`` phi(s, a) = e_s: one parameter per state (the default of max-ent IRL)."""
    return repeat(torch.eye(num_states, dtype=dtype), "s d -> s a d", a=num_actions).contiguous()


def one_hot_state_action_features(num_states: int, num_actions: int, dtype: torch.dtype = torch.float64) -> Tensor:
    """``(S, A, S * A)`` phi(s, a) = e_(s, a)."""
    eye = torch.eye(num_states * num_actions, dtype=dtype)
    return rearrange(eye, "(s a) d -> s a d", a=num_actions).contiguous()


def _batched_features(features: Tensor) -> Tensor:
    if features.ndim == 3:
        return features[None]
    if features.ndim != 4:
        raise UserError(f"features must have shape (S, A, D) or (B, S, A, D), got {tuple(features.shape)}")
    return features


def linear_reward(features: Tensor, theta: Tensor) -> Tensor:
    """``(B, S, A)`` r = phi . theta for ``features (S, A, D) | (B, S, A, D)`` and ``theta (D,) | (B, D)``."""
    theta = theta[None] if theta.ndim == 1 else theta
    features = _batched_features(features)
    if features.shape[-1] != theta.shape[-1]:
        raise UserError(f"theta has {theta.shape[-1]} entries but features have D = {features.shape[-1]}")
    # broadcast-and-sum rather than einsum/matmul: BLAS calls are slow for these small shapes on a busy CPU
    return (features.to(theta.dtype) * rearrange(theta, "b d -> b 1 1 d")).sum(-1)


def feature_expectations(state_action_visitation: Tensor, features: Tensor) -> Tensor:
    """``(B, D)`` sum_t sum_{s, a} D_t(s, a) phi(s, a) for ``state_action_visitation (B, T, S, A)``."""
    features = _batched_features(features).to(state_action_visitation.dtype)
    counts = reduce(state_action_visitation, "b t s a -> b s a 1", "sum")
    return reduce(counts * features, "b s a d -> b d", "sum")
