"""Best-of-N: of N candidate windows (prior samples, or any others), keep the most likely one.

Selection by ``log p(O | x)`` at t = 0: a known or learned reward, or a return model J(x, 0) (Diffuser's
value selection). It is the zero-temperature limit of importance resampling.
"""

from __future__ import annotations

import torch
from torch import Tensor


def select_best(candidates: Tensor, values: Tensor) -> tuple[Tensor, Tensor]:
    """The highest-valued window of each problem: candidates (B, N, H, D), values (B, N) -> (B, H, D), (B,)."""
    values = torch.nan_to_num(values, nan=-torch.inf)
    best = values.argmax(dim=1)
    rows = torch.arange(candidates.shape[0], device=candidates.device)
    return candidates[rows, best], values[rows, best]
