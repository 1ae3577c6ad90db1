"""Importance resampling from the unguided prior (MPPI-style): SMC with zero guidance and no twist.

N windows are drawn from the prior with any solver; their self-normalised weights are
``w_n ∝ p(O | x_n) = exp(R(x_n) / alpha)``. The weighted set estimates the posterior p(x | O) (exactly as
N grows, if the solver samples the prior exactly); resampling one window by the weights draws from it, and
the weighted mean of the windows is MPPI's plan.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import Tensor

from diffplan.inference.likelihood import Likelihood
from diffplan.inference.particles import WeightedParticles, effective_sample_size, normalise
from diffplan.prior.denoiser import Denoiser
from diffplan.prior.inpainting import Conditions
from diffplan.prior.random_streams import Generators
from diffplan.prior.sampling import sample


def score_windows(likelihood: Likelihood, x: Tensor) -> Tensor:
    """log p(O | x) at t = 0 of windows (B, N, H, D) -> (B, N), without gradients."""
    b = x.shape[0]
    flat = rearrange(x, "b n h d -> (b n) h d")
    with torch.no_grad():
        values = likelihood.log_likelihood(flat, torch.zeros(flat.shape[0], dtype=torch.long, device=x.device))
    return rearrange(values.float(), "(b n) -> b n", b=b)


def prior_candidates(
    prior: Denoiser,
    shape: tuple[int, int, int],
    candidates: int,
    conditions: Conditions | None = None,
    scheduler: str = "ddim",
    num_steps: int | None = None,
    generator: Generators = None,
    x_init: Tensor | None = None,
    start_timestep: int | None = None,
    temperature: float = 1.0,
) -> Tensor:
    """N = ``candidates`` unguided prior windows for each of B = shape[0] problems: (B, N, H, D).

    x_init: optional (B, N, H, D) windows noised to ``start_timestep`` (warm start). temperature: the initial
    noise's scale (:func:`~diffplan.prior.sampling.sample`).
    """
    b, h, d = shape
    cond = conditions.repeat(candidates) if conditions is not None else None
    init = rearrange(x_init, "b n h d -> (b n) h d") if x_init is not None else None
    x = sample(prior, (b * candidates, h, d), cond, scheduler, num_steps, generator,
               x_init=init, start_timestep=start_timestep, temperature=temperature)
    return rearrange(x, "(b n) h d -> b n h d", b=b)


def importance_resample(
    prior: Denoiser,
    likelihood: Likelihood,
    shape: tuple[int, int, int],
    candidates: int,
    conditions: Conditions | None = None,
    scheduler: str = "ddim",
    num_steps: int | None = None,
    generator: Generators = None,
    x_init: Tensor | None = None,
    start_timestep: int | None = None,
) -> WeightedParticles:
    """Prior candidates (B, N, H, D) weighted by p(O | x); see the module docstring."""
    x = prior_candidates(prior, shape, candidates, conditions, scheduler, num_steps, generator, x_init,
                         start_timestep)
    log_lik = score_windows(likelihood, x)
    log_w = normalise(log_lik.double())
    ess = effective_sample_size(log_w)
    b = shape[0]
    return WeightedParticles(
        x=x,
        log_weights=log_w.float(),
        log_likelihood=log_lik,
        ess_trace=ess.float().mean().reshape(1),
        ess=ess.float().reshape(1, b),
        log_evidence=(torch.logsumexp(log_lik.double(), dim=1) - torch.log(torch.tensor(float(candidates)))).float(),
        resampled=torch.zeros(1, b, dtype=torch.bool),
    )
