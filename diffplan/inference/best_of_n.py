"""Best-of-N: draw N windows from the prior (or take any candidates) and keep the most likely one.

Selection by ``log p(O | x)`` at t = 0: a known or learned reward, or a return model J(x, 0) (Diffuser's
value selection). It is the zero-temperature limit of importance resampling.
"""

from __future__ import annotations

import torch
from torch import Tensor

from diffplan.inference.importance_resampling import prior_candidates, score_windows
from diffplan.inference.likelihood import Likelihood
from diffplan.prior.denoiser import Denoiser
from diffplan.prior.inpainting import Conditions
from diffplan.prior.random_streams import Generators


def select_best(candidates: Tensor, values: Tensor) -> tuple[Tensor, Tensor]:
    """The highest-valued window of each problem: candidates (B, N, H, D), values (B, N) -> (B, H, D), (B,)."""
    values = torch.nan_to_num(values, nan=-torch.inf)
    best = values.argmax(dim=1)
    rows = torch.arange(candidates.shape[0], device=candidates.device)
    return candidates[rows, best], values[rows, best]


def best_of_n(
    prior: Denoiser,
    likelihood: Likelihood,
    shape: tuple[int, int, int],
    candidates: int,
    conditions: Conditions | None = None,
    scheduler: str = "ddim",
    num_steps: int | None = None,
    generator: Generators = None,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Sample N prior windows per problem (shape = (B, H, D)) and keep the best.

    Returns the plans (B, H, D), their log-likelihoods (B,), all candidates (B, N, H, D) and their
    log-likelihoods (B, N).
    """
    x = prior_candidates(prior, shape, candidates, conditions, scheduler, num_steps, generator)
    values = score_windows(likelihood, x)
    plans, best = select_best(x, values)
    return plans, best, x, values
