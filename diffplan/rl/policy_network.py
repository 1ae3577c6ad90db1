"""State-conditioned tanh-Gaussian policies pi(a | s): the actor of every algorithm and the behaviour prior."""

from __future__ import annotations

import torch
from einops import rearrange
from torch import Tensor, nn

from diffplan.rl.networks import mlp
from diffplan.rl.tanh_gaussian import TanhGaussian, TanhGaussianMixture, bound_log_std


class TanhGaussianPolicy(nn.Module):
    """pi(a | s) = tanh-Gaussian with mean and log-std from an MLP of the normalised state.

    With ``components > 1`` it is a mixture of tanh-Gaussians (for multimodal behaviour data).

    Args:
        state_dim: S; action_dim: A; hidden_dims: MLP widths; components: K mixture components.
        state_dependent_std: log-std from the network (True) or one learned vector (False).
    """

    def __init__(self, state_dim: int, action_dim: int, hidden_dims: tuple[int, ...] | list[int] = (256, 256),
                 components: int = 1, state_dependent_std: bool = True):
        super().__init__()
        self.action_dim = action_dim
        self.components = components
        self.state_dependent_std = state_dependent_std
        per_component = 2 * action_dim if state_dependent_std else action_dim
        outputs = components * per_component + (components if components > 1 else 0)
        self.network = mlp(state_dim, outputs, hidden_dims)
        self.log_std = None if state_dependent_std else nn.Parameter(torch.zeros(components, action_dim))

    def forward(self, states: Tensor) -> TanhGaussian | TanhGaussianMixture:
        """The distribution for normalised states ``(B, S)``."""
        out = self.network(states)
        K = self.components
        logits = None
        if K > 1:
            logits, out = out[:, :K], out[:, K:]
        if self.state_dependent_std:
            params = rearrange(out, "b (k two a) -> two b k a", k=K, two=2)
            mean, log_std = params[0], bound_log_std(params[1])
        else:
            mean = rearrange(out, "b (k a) -> b k a", k=K)
            log_std = bound_log_std(self.log_std).expand_as(mean)
        if K == 1:
            return TanhGaussian(mean[:, 0], log_std[:, 0])
        return TanhGaussianMixture(logits, mean, log_std)

