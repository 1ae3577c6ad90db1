"""A learned return model J(x_t, t) on noisy windows (Diffuser's value function) and its likelihood.

Network: the encoder half of the temporal U-Net (per level two residual temporal blocks and a stride-2
conv), two more residual blocks that halve the width twice, each followed by a stride-2 conv, then the
flattened features concatenated with the time embedding into an MLP head ``-> 1``. It regresses the
discounted return-to-go of the window's first step from x_t at random t (see
:mod:`diffplan.inference.return_model_learner`); targets are standardised with the training set's mean and
standard deviation, which the model keeps as buffers, so ``forward`` returns returns in reward units.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from diffplan.errors import UserError
from diffplan.prior.temporal_unet import ResidualTemporalBlock, SinusoidalTimeEmbedding


@dataclass
class ReturnModelConfig:
    """Hyper-parameters of :class:`ReturnModel` (defaults: Diffuser's value model for locomotion).

    transition_dim, horizon: D and H of the windows; 0 = taken from the data.
    dim, dim_mults, kernel_size, n_groups: as the prior's temporal U-Net encoder.
    """

    transition_dim: int = 0
    horizon: int = 0
    dim: int = 32
    dim_mults: tuple[int, ...] = (1, 2, 4, 8)
    kernel_size: int = 5
    n_groups: int = 8

    def __post_init__(self) -> None:
        self.dim_mults = tuple(int(m) for m in self.dim_mults)
        if not self.dim_mults or min(self.dim_mults) <= 0:
            raise UserError(f"dim_mults {self.dim_mults} is invalid; give positive multipliers, e.g. [1, 2, 4, 8]")
        widths = [self.dim * m for m in self.dim_mults] + [self.dim * self.dim_mults[-1] // f for f in (2, 4)]
        if self.dim <= 0 or any(w <= 0 or w % self.n_groups for w in widths):
            raise UserError(f"channel widths {widths} are not divisible by n_groups={self.n_groups}; "
                            "choose dim and dim_mults so that every width is a multiple of n_groups")
        if self.kernel_size <= 0 or self.kernel_size % 2 == 0:
            raise UserError(f"kernel_size {self.kernel_size} must be odd and positive; use e.g. 5")


class ReturnModel(nn.Module):
    """J(x_t, t): (B, H, D) noisy windows and (B,) timesteps -> (B,) predicted discounted return-to-go."""

    def __init__(self, config: ReturnModelConfig) -> None:
        super().__init__()
        if config.transition_dim <= 0 or config.horizon <= 0:
            raise ValueError("ReturnModelConfig.transition_dim and horizon must be set from the data")
        self.config = config
        c = config
        k, g = c.kernel_size, c.n_groups
        self.time_embedding = nn.Sequential(
            SinusoidalTimeEmbedding(c.dim), nn.Linear(c.dim, 4 * c.dim), nn.Mish(), nn.Linear(4 * c.dim, c.dim)
        )
        widths = [c.dim * m for m in c.dim_mults]
        mid = widths[-1]
        pairs = [*zip([c.transition_dim, *widths[:-1]], widths, strict=True), (mid, mid // 2), (mid // 2, mid // 4)]
        self.blocks = nn.ModuleList()
        self.time_projections = nn.ModuleList()
        self.downs = nn.ModuleList()
        length = c.horizon
        for i, (d_in, d_out) in enumerate(pairs):
            levels = 2 if i < len(widths) else 1
            for j in range(levels):
                self.blocks.append(ResidualTemporalBlock(d_in if j == 0 else d_out, d_out, k, g))
                self.time_projections.append(nn.Sequential(nn.Mish(), nn.Linear(c.dim, d_out)))
            self.downs.append(nn.Conv1d(d_out, d_out, 3, stride=2, padding=1))
            length = (length + 1) // 2
        self._blocks_per_stage = [2] * len(widths) + [1, 1]
        features = (mid // 4) * length
        self.head = nn.Sequential(nn.Linear(features + c.dim, features // 2), nn.Mish(), nn.Linear(features // 2, 1))
        self.register_buffer("return_shift", torch.zeros(()))
        self.register_buffer("return_scale", torch.ones(()))

    def set_return_statistics(self, returns: Tensor) -> None:
        """Standardise targets with the mean and standard deviation of training returns (N,)."""
        self.return_shift.fill_(float(returns.mean()))
        self.return_scale.fill_(max(float(returns.std()), 1e-6))

    def standardised(self, x_t: Tensor, t: Tensor) -> Tensor:
        """The network's output (B,), in standardised return units."""
        if t.dim() == 0:
            t = t.expand(x_t.shape[0])
        emb = self.time_embedding(t.to(x_t.device))
        h = rearrange(x_t, "b h d -> b d h")
        blocks = iter(zip(self.blocks, self.time_projections, strict=True))
        for count, down in zip(self._blocks_per_stage, self.downs, strict=True):
            for _ in range(count):
                block, projection = next(blocks)
                h = block(h, projection(emb))
            h = down(h)
        h = torch.cat((rearrange(h, "b c h -> b (c h)"), F.mish(emb)), dim=-1)
        return self.head(h).squeeze(-1)

    def forward(self, x_t: Tensor, t: Tensor) -> Tensor:
        """Predicted discounted return-to-go (B,) of windows x_t (B, H, D) at timesteps t (B,)."""
        return self.standardised(x_t, t) * self.return_scale + self.return_shift


class ReturnLikelihood:
    """log p(O | x_t) = J(x_t, t) / alpha, the likelihood of a return model (differentiable in x_t).

    With ``standardised`` J is measured in standard deviations of the returns-to-go it was trained on,
    (J − mean) / std: alpha (and a guidance scale) then mean the same on every dataset, whatever its reward
    units and spread of returns. The constant shift changes no gradient, ranking or self-normalised weight.
    Use it with ``through_denoiser=False``: J was trained on noisy windows at their noise level.
    """

    def __init__(self, model: ReturnModel, alpha: float = 1.0, standardised: bool = False) -> None:
        if not alpha > 0:
            raise UserError(f"temperature alpha is {alpha}; use a positive number")
        self.model = model
        self.alpha = float(alpha)
        self.standardised = standardised

    def log_likelihood(self, x: Tensor, t: Tensor) -> Tensor:
        """x: (B, H, D) normalised windows at noise level t (B,) -> (B,)."""
        value = self.model.standardised(x, t) if self.standardised else self.model(x, t)
        return value / self.alpha
