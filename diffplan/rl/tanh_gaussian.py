"""Tanh-squashed Gaussian distributions over actions in (-1, 1), single and mixture.

An action is a = tanh(u) with u ~ N(mean, std²) (or a mixture of such Gaussians). Its exact density follows
from the change of variables,

    log p(a) = log N(atanh(a); mean, std²) − Σ_i log(1 − a_i²),

and for a sample drawn here the Jacobian term is computed from u in the stable form
log(1 − tanh(u)²) = 2 (log 2 − u − softplus(−2u)). Dataset actions on the bounds (clipped behaviour
policies put mass there) have no finite preimage, so :func:`clip_actions` moves them ``epsilon`` inside.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

ACTION_EPSILON = 1e-3
"""Dataset actions are clipped to [−1 + ε, 1 − ε] before their log-probability is taken."""
LOG_STD_MIN = -5.0
LOG_STD_MAX = 2.0
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def clip_actions(actions: Tensor, epsilon: float = ACTION_EPSILON) -> Tensor:
    """Actions ``(..., A)`` clipped to [−1 + ε, 1 − ε]."""
    return actions.clamp(-1.0 + epsilon, 1.0 - epsilon)


def bound_log_std(raw: Tensor) -> Tensor:
    """Squash an unbounded network output into [LOG_STD_MIN, LOG_STD_MAX] (smoothly, via tanh)."""
    return LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (torch.tanh(raw) + 1.0)


def gaussian_log_density(u: Tensor, mean: Tensor, log_std: Tensor) -> Tensor:
    """``(...,)`` log N(u; mean, exp(log_std)²) summed over the last axis."""
    z = (u - mean) * torch.exp(-log_std)
    return (-0.5 * z.pow(2) - log_std - _HALF_LOG_2PI).sum(-1)


def tanh_log_jacobian(u: Tensor) -> Tensor:
    """``(...,)`` Σ_i log(1 − tanh(u_i)²), stable for large |u|."""
    return (2.0 * (math.log(2.0) - u - F.softplus(-2.0 * u))).sum(-1)


class TanhGaussian:
    """a = tanh(u), u ~ N(mean, diag(exp(log_std))²).

    Args:
        mean: ``(B, A)`` mean of u.
        log_std: ``(B, A)`` log standard deviation of u.
    """

    def __init__(self, mean: Tensor, log_std: Tensor):
        self.mean = mean
        self.log_std = log_std

    def log_prob(self, actions: Tensor, epsilon: float = ACTION_EPSILON) -> Tensor:
        """``(..., B)`` log p(a) of actions ``(..., B, A)`` in [−1, 1] (clipped ε inside first)."""
        actions = clip_actions(actions, epsilon)
        u = torch.atanh(actions)
        return gaussian_log_density(u, self.mean, self.log_std) - torch.log1p(-actions.pow(2)).sum(-1)

    def rsample(self, sample_shape: tuple[int, ...] = ()) -> tuple[Tensor, Tensor]:
        """Reparameterised actions ``(*sample_shape, B, A)`` and their log-probabilities ``(*sample_shape, B)``."""
        noise = torch.randn((*sample_shape, *self.mean.shape), device=self.mean.device, dtype=self.mean.dtype)
        u = self.mean + torch.exp(self.log_std) * noise
        return torch.tanh(u), gaussian_log_density(u, self.mean, self.log_std) - tanh_log_jacobian(u)

    def sample(self, sample_shape: tuple[int, ...] = ()) -> tuple[Tensor, Tensor]:
        """Like :meth:`rsample` without gradients."""
        with torch.no_grad():
            return self.rsample(sample_shape)

    def mode(self) -> Tensor:
        """``(B, A)`` tanh(mean), the deterministic action used for evaluation."""
        return torch.tanh(self.mean)

    def entropy_proxy(self) -> Tensor:
        """``(B,)`` entropy of the Gaussian before squashing (a logging aid)."""
        return (self.log_std + 0.5 + _HALF_LOG_2PI).sum(-1)


class TanhGaussianMixture:
    """a = tanh(u), u ~ Σ_k w_k N(mean_k, diag(std_k)²): a multimodal behaviour prior.

    Args:
        logits: ``(B, K)`` unnormalised log mixture weights.
        mean: ``(B, K, A)``.
        log_std: ``(B, K, A)``.
    """

    def __init__(self, logits: Tensor, mean: Tensor, log_std: Tensor):
        self.log_weights = torch.log_softmax(logits, dim=-1)
        self.mean = mean
        self.log_std = log_std

    def log_prob(self, actions: Tensor, epsilon: float = ACTION_EPSILON) -> Tensor:
        """``(..., B)`` log p(a) of actions ``(..., B, A)`` in [−1, 1] (clipped ε inside first)."""
        actions = clip_actions(actions, epsilon)
        u = torch.atanh(actions).unsqueeze(-2)  # (..., B, 1, A) against components (B, K, A)
        per_component = gaussian_log_density(u, self.mean, self.log_std)  # (..., B, K)
        mixture = torch.logsumexp(self.log_weights + per_component, dim=-1)
        return mixture - torch.log1p(-actions.pow(2)).sum(-1)

    def rsample(self, sample_shape: tuple[int, ...] = ()) -> tuple[Tensor, Tensor]:
        """Actions ``(*sample_shape, B, A)`` (component drawn, then reparameterised), log p ``(*sample_shape, B)``."""
        batch, components, action_dim = self.mean.shape
        choice = torch.multinomial(self.log_weights.exp(), math.prod(sample_shape) or 1, replacement=True)
        choice = choice.T.reshape(*sample_shape, batch) if sample_shape else choice[:, 0]
        index = choice[..., None, None].expand(*choice.shape, 1, action_dim)
        mean = torch.gather(self.mean.expand(*choice.shape[:-1], batch, components, action_dim), -2, index)[..., 0, :]
        log_std = torch.gather(self.log_std.expand(*choice.shape[:-1], batch, components, action_dim), -2,
                               index)[..., 0, :]
        u = mean + torch.exp(log_std) * torch.randn_like(mean)
        log_prob = (torch.logsumexp(self.log_weights + gaussian_log_density(u.unsqueeze(-2), self.mean, self.log_std),
                                    dim=-1) - tanh_log_jacobian(u))
        return torch.tanh(u), log_prob

    def sample(self, sample_shape: tuple[int, ...] = ()) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            return self.rsample(sample_shape)

    def mode(self) -> Tensor:
        """``(B, A)`` tanh of the mean of the heaviest component."""
        best = self.log_weights.argmax(-1)
        return torch.tanh(self.mean[torch.arange(self.mean.shape[0], device=best.device), best])
