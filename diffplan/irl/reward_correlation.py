"""Spearman rank correlation: how well a learned reward orders states as the true reward does.

IRL recovers a reward only up to transformations that leave the optimal behaviour unchanged (scale, shift,
shaping), so the learned reward is compared with the true one by the order it puts states in.
"""

from __future__ import annotations

import torch
from torch import Tensor


def ranks(values: Tensor) -> Tensor:
    """``(N,)`` ranks 0..N-1 of ``values (N,)``, ties broken by position."""
    order = torch.argsort(values, stable=True)
    out = torch.empty_like(order, dtype=torch.float64)
    out[order] = torch.arange(values.shape[0], dtype=torch.float64, device=values.device)
    return out


def spearman(a: Tensor, b: Tensor) -> float:
    """Spearman correlation of ``a (N,)`` and ``b (N,)``: the Pearson correlation of their ranks."""
    if a.shape != b.shape or a.dim() != 1 or a.shape[0] < 2:
        raise ValueError(f"spearman needs two (N,) tensors with N >= 2, got {tuple(a.shape)} and {tuple(b.shape)}")
    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    return float((ra * rb).sum() / (ra.norm() * rb.norm()).clamp(min=1e-12))
