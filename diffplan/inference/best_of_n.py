"""Best-of-N: of N candidate windows (prior samples, or any others), keep the most likely one, or average the
most likely few (the elite mean of the cross-entropy method).

Selection by ``log p(O | x)`` at t = 0: a known or learned reward, or a return model J(x, 0) (Diffuser's
value selection). It is the zero-temperature limit of importance resampling.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def select_best(candidates: Tensor, values: Tensor) -> tuple[Tensor, Tensor]:
    """The highest-valued window of each problem: candidates (B, N, H, D), values (B, N) -> (B, H, D), (B,)."""
    values = torch.nan_to_num(values, nan=-torch.inf)
    best = values.argmax(dim=1)
    rows = torch.arange(candidates.shape[0], device=candidates.device)
    return candidates[rows, best], values[rows, best]


def elites(candidates: Tensor, values: Tensor, fraction: float) -> Tensor:
    """The ``ceil(fraction * N)`` highest-valued windows of each problem: (B, N, H, D), (B, N) -> (B, k, H, D)."""
    values = torch.nan_to_num(values, nan=-torch.inf)
    k = min(values.shape[1], max(1, math.ceil(fraction * values.shape[1])))
    top = values.topk(k, dim=1).indices
    rows = torch.arange(candidates.shape[0], device=candidates.device)[:, None]
    return candidates[rows, top]


def elite_mean(candidates: Tensor, values: Tensor, fraction: float) -> Tensor:
    """Mean of the ``ceil(fraction * N)`` highest-valued windows of each problem: (B, N, H, D), (B, N) -> (B, H, D).

    ``fraction = 1 / N`` is best-of-N; ``fraction = 1`` the mean of all candidates. Averaging k windows that
    J ranks alike keeps the choice and divides the variance of what J cannot tell apart (the data's action
    noise) by k.
    """
    return elites(candidates, values, fraction).mean(dim=1)
