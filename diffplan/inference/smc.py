"""Twisted sequential Monte Carlo: guided diffusion sampling corrected to the exact posterior.

Target: p(x0 | O) ∝ p(x0) p(O | x0) with ``log p(O | x0) = R(x0) / alpha``. K particles per problem run the
reverse chain on a grid of training timesteps t_0 = T - 1 > ... > t_{S-1} = 0 (evenly spaced, any number
of steps). Every step uses the stochastic DDIM(eta) kernel of the prior, computed from abar at the two
timesteps t > s (eta = 1 is DDPM's ancestral step, for strided grids too):

    sigma^2 = eta^2 (1 - abar_s) / (1 - abar_t) (1 - abar_t / abar_s)
    mean(eps) = sqrt(abar_s) x0_hat(x_t, eps) + sqrt(1 - abar_s - sigma^2) eps

The prior kernel p uses the denoiser's eps; the proposal q is p with its mean moved by
``scale * sigma^2 * grad log tw_t(x_t)`` (the kernel tilted by the twist's linearisation; a shift computed in
eps-space would be multiplied by sqrt(abar_s / abar_t), thousands at the first step of a strided grid). Both are
Gaussians of variance sigma^2. The twist ``log tw_t(x_t)`` approximates ``log p(O | x_t)``: the likelihood of
x_t itself (a return model), or, for a likelihood of clean states, its Laplace value under Tweedie's covariance
of x0 given x_t (:mod:`~diffplan.inference.tweedie_twist`; ``tweedie_directions = 0``: the likelihood of
x0_hat(x_t) alone, too sharp at mid noise). The log-weights are

    w_0 = log tw_{t_0}(x_{t_0})                                          (x_{t_0} ~ N(0, I) = the prior)
    w  += log p(x_s | x_t) - log q(x_s | x_t) + log tw_s(x_s) - log tw_t(x_t)
    w  += log p(O | x0) - log tw_{t_{S-1}}(x_{t_{S-1}})                   (last step: x0 = x0_hat, unguided)

and the particles of a problem are resampled (systematic) when ESS / K < ``ess_threshold``. Everything is
in log space. Inpainted entries are fixed in both kernels and left out of the densities. As K grows the
weighted particles sample p(x0 | O) exactly for any twist and guidance scale; a better twist only needs
fewer particles.
"""

from __future__ import annotations

import math

import torch
from einops import rearrange
from torch import Tensor

from diffplan.inference.guidance import GradientGuidance
from diffplan.inference.likelihood import Likelihood
from diffplan.inference.particles import (
    WeightedParticles,
    effective_sample_size,
    normalise,
    sanitize,
    systematic_resample,
)
from diffplan.inference.tweedie_twist import tweedie_twist
from diffplan.prior.denoiser import Denoiser, eps_to_x0
from diffplan.prior.inpainting import Conditions
from diffplan.prior.random_streams import Generators, normal, quasi_normal

SMC_NOISE = ("rqmc", "iid")


def smc_timesteps(num_train_timesteps: int, num_steps: int, start_timestep: int | None = None) -> Tensor:
    """Descending grid (S,) of training timesteps from T - 1 (or ``start_timestep``) to 0, evenly spaced."""
    grid = torch.linspace(num_train_timesteps - 1, 0, num_steps).round().long().unique().flip(0)
    if start_timestep is not None:
        grid = grid[grid <= start_timestep]
    return grid


def ddim_kernel(x_t: Tensor, eps: Tensor, t: int, s: int, alphas_cumprod: Tensor, eta: float
                ) -> tuple[Tensor, float]:
    """Mean (B, H, D) and standard deviation of the DDIM(eta) step x_t -> x_s given eps (B, H, D), t > s >= 0."""
    a_t, a_s = float(alphas_cumprod[t]), float(alphas_cumprod[s])
    sigma = eta * math.sqrt(max((1 - a_s) / (1 - a_t) * (1 - a_t / a_s), 0.0))
    x0 = (x_t - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
    return math.sqrt(a_s) * x0 + math.sqrt(max(1 - a_s - sigma**2, 0.0)) * eps, sigma


def twisted_smc(
    prior: Denoiser,
    likelihood: Likelihood,
    shape: tuple[int, int, int],
    particles: int,
    num_steps: int,
    conditions: Conditions | None = None,
    guidance: GradientGuidance | None = None,
    ess_threshold: float = 0.5,
    eta: float = 1.0,
    generator: Generators = None,
    x_init: Tensor | None = None,
    start_timestep: int | None = None,
    tweedie_directions: int = 0,
    noise: str = "rqmc",
) -> WeightedParticles:
    """Run twisted SMC for B = shape[0] problems with K = ``particles`` each.

    shape: (B, H, D). conditions: (B, H, D) inpainting per problem. guidance: proposal and twist (its
    ``scale`` weighs the proposal only, one gradient per step: ``guide_steps`` is not used here; scale 0 gives
    the prior as proposal); default: twist on x_t, scale 1. tweedie_directions: with a guidance
    ``through_denoiser``, the twist is :func:`tweedie_twist` with this many Krylov directions (0: the likelihood
    of x0_hat). generator: one for the batch or one per problem (:mod:`~diffplan.prior.random_streams`).
    x_init, start_timestep: warm start, particles (B, K, H, D) already noised to ``start_timestep`` (the
    sampler is then no longer exact: the start is not the prior's marginal).
    noise: ``rqmc`` draws the start and every step's noise of a problem's K particles as one randomised
    quasi-Monte Carlo net (:func:`~diffplan.prior.random_streams.quasi_normal`: each particle's path has the
    same law as with i.i.d. noise, the particles cover it more evenly); ``iid``: independent draws.
    Returns :class:`WeightedParticles` with x (B, K, H, D).
    """
    if not eta > 0:
        raise ValueError(f"eta is {eta}; SMC needs a stochastic kernel (eta > 0)")
    if noise not in SMC_NOISE:
        raise ValueError(f"noise {noise!r} is unknown; use one of {', '.join(SMC_NOISE)}")
    b, h, d = shape
    k = particles
    guidance = guidance or GradientGuidance(prior, likelihood)
    abar = prior.alphas_cumprod.double().cpu()
    grid = smc_timesteps(len(abar), num_steps, start_timestep)
    device = prior.alphas_cumprod.device
    cond = conditions.to(device).repeat(k) if conditions is not None else None
    free = torch.ones(b * k, h, d, dtype=torch.float64, device=device)
    if cond is not None:
        free = (~cond.mask).to(torch.float64)
    guidance.fixed = cond.mask if cond is not None else None

    def constrain(x: Tensor) -> Tensor:
        return cond.apply(x) if cond is not None else x

    def tvec(t: int) -> Tensor:
        return torch.full((b * k,), t, dtype=torch.long, device=device)

    def draw_noise() -> Tensor:
        if noise == "rqmc":
            return quasi_normal((b * k, h, d), generator, device, blocks=b)
        return normal((b * k, h, d), generator, device)

    x = constrain(draw_noise() if x_init is None else rearrange(x_init, "b k h d -> (b k) h d").to(device))

    def log_twist(x: Tensor, t: int) -> tuple[Tensor, Tensor, Tensor]:
        if tweedie_directions and guidance.through_denoiser:
            return tweedie_twist(prior, likelihood, x, tvec(t), tweedie_directions, guidance.fixed)
        return guidance.log_twist(x, tvec(t))

    twist, grad, eps = log_twist(x, int(grid[0]))
    log_w = twist.double()
    log_z = torch.zeros(b, dtype=torch.float64, device=device)
    ess_rows, resampled_rows = [], []

    def bk(v: Tensor) -> Tensor:
        return rearrange(v, "(b k) -> b k", b=b)

    for i, t in enumerate(grid.tolist()):
        last = i == len(grid) - 1
        if last:
            x = constrain(eps_to_x0(eps, x, tvec(t), prior.alphas_cumprod))
            with torch.no_grad():
                new_twist = likelihood.log_likelihood(x, torch.zeros_like(tvec(0))).double()
            log_w = log_w + new_twist - twist
        else:
            s = int(grid[i + 1])
            mean_p, sigma = ddim_kernel(x, eps, t, s, abar, eta)
            mean_q = mean_p + guidance.mean_shift(tvec(t), grad, sigma)
            x = constrain(mean_q + sigma * draw_noise())
            diff = ((x - mean_q).double().square() - (x - mean_p).double().square()) * free
            log_ratio = diff.sum(dim=(1, 2)) / (2 * sigma**2)
            new_twist, grad, eps = log_twist(x, s)
            log_w = log_w + log_ratio + new_twist.double() - twist.double()
        twist = new_twist
        lw = sanitize(bk(log_w))
        ess = effective_sample_size(lw)
        ess_rows.append(ess)
        need = ess < ess_threshold * k
        resampled_rows.append(need)
        if need.any() and not last:
            ancestors = systematic_resample(lw, generator)
            ancestors = torch.where(need[:, None], ancestors, torch.arange(k, device=device).expand(b, k))
            flat = rearrange(ancestors + torch.arange(b, device=device)[:, None] * k, "b k -> (b k)")
            x, twist, grad, eps = x[flat], twist[flat], grad[flat], eps[flat]
            lse = torch.logsumexp(lw, dim=1, keepdim=True)
            log_z = log_z + torch.where(need, lse.squeeze(1) - math.log(k), torch.zeros_like(log_z))
            lw = torch.where(need[:, None], torch.zeros_like(lw), lw)
        log_w = rearrange(lw, "b k -> (b k)")
    lw = bk(log_w)
    log_z = log_z + torch.logsumexp(lw, dim=1) - math.log(k)
    return WeightedParticles(
        x=rearrange(x.detach(), "(b k) h d -> b k h d", b=b),
        log_weights=normalise(lw).to(torch.float32),
        log_likelihood=bk(twist).float(),
        ess_trace=torch.stack(ess_rows).float().mean(dim=1),
        ess=torch.stack(ess_rows).float(),
        log_evidence=log_z.float(),
        resampled=torch.stack(resampled_rows),
    )
