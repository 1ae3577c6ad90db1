"""Configuration of a posterior sampler p(tau | O): which method, which solver, guidance and SMC settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from diffplan.errors import UserError
from diffplan.inference.smc import SMC_NOISE
from diffplan.prior.sampling import SCHEDULERS, check_temperature

METHODS = ("guided", "smc", "best_of_n", "importance", "prior")
SELECTIONS = ("draw", "most_likely", "mean", "elite_mean", "elite_mode")


@dataclass
class PosteriorConfig:
    """How plans are drawn from p(tau | O) ∝ p(tau) p(O | tau).

    The temperature alpha belongs to the likelihood (``KnownReward(..., alpha=...)``, ...).

    Attributes:
        method: ``guided`` (gradient guidance), ``smc`` (twisted SMC), ``best_of_n`` (prior samples, keep the
            most likely), ``importance`` (prior samples weighted by p(O | tau), MPPI-style), ``prior``
            (unguided samples).
        scheduler: solver of the guided/prior samples: ``ddpm``, ``ddim`` or ``dpmsolver++``. SMC always uses
            its own stochastic DDIM(eta) kernel (DDPM's ancestral step for eta = 1).
        num_steps: solver steps; 0 = every training timestep.
        guidance_scale: multiplies grad log p(O | x_t) in eps-space (1 = the tilted score).
        guide_steps: gradient evaluations per solver step (Diffuser's inner loop).
        min_noise_level: no guidance at training timesteps below this (Diffuser: 2).
        through_denoiser: evaluate the likelihood on the denoiser's x0 estimate and differentiate through
            the denoiser (for rewards of clean states); off: on x_t (for a return model J(x_t, t)).
        guidance_clip: maximum RMS of the eps correction per window (numerical safety); 0 = no clipping
            below a safety ceiling of 1e3 (``guidance.MAX_CORRECTION_RMS``) that keeps plans finite.
        particles: candidates (guided, prior, best_of_n, importance) or SMC particles per plan.
        ess_threshold: SMC resamples when ESS / particles falls below this.
        eta: stochasticity of SMC's kernel, in (0, 1].
        tweedie_directions: SMC's twist with a likelihood of clean states (``through_denoiser``): the number of
            Krylov directions of Tweedie's covariance of x0 given x_t in its Laplace value
            (:mod:`~diffplan.inference.tweedie_twist`); each costs a Jacobian-vector product through the
            denoiser per step. 0 = the likelihood of x0_hat alone (TDS), too sharp at mid noise.
        smc_noise: the Gaussian noise of SMC's particles: ``rqmc`` (each step's noise of a plan's particles is one
            randomised quasi-Monte Carlo net: every particle's path keeps its exact law, the particles cover it
            evenly, so posterior estimates from them vary less) or ``iid`` (independent draws).
        select: how the plan is picked among the weighted candidates: ``draw`` (one candidate drawn by weight: a
            posterior draw), ``most_likely`` (the candidate of highest log p(O | tau): an argmax, it optimises
            and does not sample), ``mean`` (the weighted mean, MPPI's plan: not a sample either), ``elite_mean``
            (the plain mean of the ``elite_fraction`` most likely candidates, the cross-entropy method's elite
            mean: an optimiser that averages out what the likelihood cannot tell apart, such as the data's action
            noise), ``elite_mode`` (the mode of the elites' Gaussian N(mean, variance) times p(O | x): the elite
            mean moved along the likelihood's gradient, each entry as far as the elites spread in it; see
            :mod:`~diffplan.inference.elite_mode`).
        elite_fraction: ``elite_mean`` and ``elite_mode``: the fraction of the candidates that are the elites (at
            least one).
        mode_steps: ``elite_mode``: L-BFGS iterations of the mode search (each a likelihood gradient or more).
        temperature: scales the noise the candidates of ``guided``, ``best_of_n`` and ``prior`` start from (and a
            warm start's re-noising), for the deterministic solvers (ddim, dpmsolver++): 1 = the prior itself,
            below 1 = low-temperature sampling (Decision Diffuser samples at 0.5), plans nearer the prior's modes,
            with less of the data's action noise (for a Gaussian prior, draws of p(tau)^(1/T^2)). An optimiser's
            setting: SMC and importance weights assume the prior's own noise and accept only 1.
        warm_start_noise_level: with a previous plan, re-noise it to this fraction of the training
            timesteps (0 = keep it, 1 = pure noise) and run only the solver steps from there.
        warm_start_shift: rows of the previous plan dropped (steps executed since it was made); the planner
            shifts each environment's plan by its own executed steps and ignores this.

    What samples p(tau | O) and what optimises: ``smc`` and ``importance`` with ``select=draw`` draw from the
    posterior (exactly as the particles grow); ``prior`` draws from p(tau); ``guided`` draws from an
    approximation whose bias the weights of ``smc`` correct; ``best_of_n`` and ``select=most_likely`` return an
    argmax, ``select=mean`` and ``elite_mean`` an average and ``elite_mode`` a mode: they optimise.

    Diffuser's guided planning: method guided, particles 64, guide_steps 2, min_noise_level 2, select most_likely,
    with its scale 0.1 applied to a variance (ours is applied to sqrt(1 - abar_t)).
    """

    method: Literal["guided", "smc", "best_of_n", "importance", "prior"] = "guided"
    scheduler: Literal["ddpm", "ddim", "dpmsolver++"] = "ddim"
    num_steps: int = 20
    guidance_scale: float = 1.0
    guide_steps: int = 1
    min_noise_level: int = 0
    through_denoiser: bool = False
    guidance_clip: float = 1.0
    particles: int = 64
    ess_threshold: float = 0.5
    eta: float = 1.0
    tweedie_directions: int = 3
    smc_noise: Literal["rqmc", "iid"] = "rqmc"
    select: Literal["draw", "most_likely", "mean", "elite_mean", "elite_mode"] = "draw"
    elite_fraction: float = 0.25
    mode_steps: int = 20
    temperature: float = 1.0
    warm_start_noise_level: float = 0.5
    warm_start_shift: int = 1

    def __post_init__(self) -> None:
        checks = [
            (self.method in METHODS, f"method {self.method!r} is unknown; use one of {', '.join(METHODS)}"),
            (self.scheduler in SCHEDULERS,
             f"scheduler {self.scheduler!r} is unknown; use one of {', '.join(SCHEDULERS)}"),
            (self.smc_noise in SMC_NOISE,
             f"smc_noise {self.smc_noise!r} is unknown; use one of {', '.join(SMC_NOISE)}"),
            (self.select in SELECTIONS, f"select {self.select!r} is unknown; use one of {', '.join(SELECTIONS)}"),
            (0 < self.elite_fraction <= 1, f"elite_fraction is {self.elite_fraction}; use a fraction in (0, 1]"),
            (self.mode_steps >= 1, f"mode_steps is {self.mode_steps}; use 1 or more"),
            (self.temperature == 1 or self.method not in ("smc", "importance"),
             f"temperature {self.temperature} is for the optimising methods; {self.method} weights the prior's own "
             "draws and needs temperature 1 (or use method best_of_n or guided)"),
            (self.num_steps >= 0, f"num_steps is {self.num_steps}; use a positive number (0 = all timesteps)"),
            (self.guide_steps >= 1, f"guide_steps is {self.guide_steps}; use 1 or more"),
            (self.min_noise_level >= 0, f"min_noise_level is {self.min_noise_level}; use a timestep >= 0"),
            (self.guidance_clip >= 0, f"guidance_clip is {self.guidance_clip}; use >= 0 (0 = no clipping)"),
            (self.particles >= 1, f"particles is {self.particles}; use 1 or more"),
            (0 <= self.ess_threshold <= 1, f"ess_threshold is {self.ess_threshold}; use a fraction in [0, 1]"),
            (0 < self.eta <= 1, f"eta is {self.eta}; SMC needs a stochastic kernel, use a value in (0, 1]"),
            (self.tweedie_directions >= 0,
             f"tweedie_directions is {self.tweedie_directions}; use 0 (no covariance) or more"),
            (0 <= self.warm_start_noise_level <= 1,
             f"warm_start_noise_level is {self.warm_start_noise_level}; use a fraction in [0, 1]"),
            (self.warm_start_shift >= 0, f"warm_start_shift is {self.warm_start_shift}; use 0 or more"),
        ]
        for ok, message in checks:
            if not ok:
                raise UserError(message)
        check_temperature(self.temperature, self.scheduler)
