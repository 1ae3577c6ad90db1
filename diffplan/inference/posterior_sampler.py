"""The one entry point the planner calls: plans drawn from p(tau | O) with any method of this package.

``PosteriorSampler(prior, likelihood, config).sample(conditions, ...)`` returns for each of B problems
(start state, goal, ... as inpainting constraints) a plan chosen among ``config.particles`` weighted
candidates, with the candidates, their weights and the method's diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from einops import rearrange, repeat
from torch import Tensor

from diffplan.errors import UserError
from diffplan.inference.best_of_n import elite_mean, select_best
from diffplan.inference.elite_mode import elite_mode
from diffplan.inference.guidance import GradientGuidance
from diffplan.inference.importance_resampling import importance_resample, prior_candidates, score_windows
from diffplan.inference.likelihood import Likelihood
from diffplan.inference.particles import WeightedParticles, effective_sample_size, multinomial_pick, normalise
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.smc import smc_timesteps, twisted_smc
from diffplan.inference.warm_start import renoise, shift_plan, start_timestep
from diffplan.prior.denoiser import Denoiser
from diffplan.prior.inpainting import Conditions
from diffplan.prior.random_streams import Generators
from diffplan.prior.sampling import make_sampling_scheduler, sample


@dataclass
class PosteriorSamples:
    """Plans for B problems and how they were chosen.

    Attributes:
        plans: (B, H, D) normalised windows.
        values: (B,) log p(O | plan) at t = 0 (zeros without a likelihood).
        candidates: (B, N, H, D) every candidate / particle.
        log_weights: (B, N) self-normalised log-weights of the candidates (uniform for guided/prior).
        candidate_values: (B, N) log p(O | candidate).
        diagnostics: method-specific tensors: ``ess_trace`` (S,), ``ess`` (S, B), ``log_evidence`` (B,),
            ``start_timestep`` (warm start), and ``guidance_clipped`` (B,): the steps at which the guidance of a
            problem's candidates was clipped (each moves the sampled distribution off its target).
    """

    plans: Tensor
    values: Tensor
    candidates: Tensor
    log_weights: Tensor
    candidate_values: Tensor
    diagnostics: dict[str, Tensor] = field(default_factory=dict)


def window_shape(prior: Denoiser) -> tuple[int, int]:
    """(H, D) of the prior's windows, read from a TrajectoryDiffusion or a GaussianPrior."""
    shape = getattr(prior, "shape", None)
    if shape is not None:
        return tuple(shape)
    config = getattr(prior, "config", None)
    if config is not None and hasattr(prior, "transition_dim"):
        return config.horizon, prior.transition_dim
    raise ValueError("cannot tell the window shape of this prior; pass conditions")


class PosteriorSampler:
    """Draws plans from p(tau | O) ∝ p(tau) p(O | tau).

    Args:
        prior: the denoiser of p(tau) (e.g. ``load_prior(run).diffusion``).
        likelihood: the reward source, or None for plain prior samples (``method`` must be ``prior``).
        config: method and settings.
    """

    def __init__(self, prior: Denoiser, likelihood: Likelihood | None, config: PosteriorConfig | None = None):
        self.prior = prior
        self.likelihood = likelihood
        self.config = config or PosteriorConfig()
        if likelihood is None and self.config.method != "prior":
            raise UserError(f"method {self.config.method!r} needs a likelihood (a reward or return model); "
                            "give one or use method prior")
        if likelihood is None and self.config.select in ("elite_mean", "elite_mode"):
            raise UserError(f"select {self.config.select!r} ranks candidates by a likelihood, and there is none; give "
                            "a reward or return model, or use select draw or mean")
        self.num_train_timesteps = int(prior.scheduler_config.num_train_timesteps)

    @property
    def num_steps(self) -> int:
        return self.config.num_steps or self.num_train_timesteps

    def guidance(self) -> GradientGuidance:
        c = self.config
        return GradientGuidance(self.prior, self.likelihood, c.guidance_scale, c.guide_steps, c.min_noise_level,
                                c.through_denoiser, c.guidance_clip)

    def timesteps(self) -> Tensor:
        """The training timesteps (descending) the method's solver visits."""
        if self.config.method == "smc":
            return smc_timesteps(self.num_train_timesteps, self.num_steps)
        return make_sampling_scheduler(self.prior.scheduler_config, self.config.scheduler, self.num_steps).timesteps

    def warm_start_init(self, warm_start: Tensor, conditions: Conditions | None, generator: Generators
                        ) -> tuple[Tensor, int]:
        """Previous plans (B, H, D) -> shifted, re-noised candidates (B, N, H, D) and their timestep."""
        c = self.config
        t_w = start_timestep(self.timesteps(), c.warm_start_noise_level, self.num_train_timesteps)
        shifted = shift_plan(warm_start.to(self.prior.alphas_cumprod.device), c.warm_start_shift)
        if conditions is not None:
            shifted = conditions.apply(shifted)
        x = renoise(repeat(shifted, "b h d -> b n h d", n=c.particles), t_w, self.prior.alphas_cumprod, generator,
                    c.temperature)
        return x, t_w

    def sample(
        self,
        conditions: Conditions | None = None,
        num_plans: int | None = None,
        generator: Generators = None,
        warm_start: Tensor | None = None,
    ) -> PosteriorSamples:
        """One plan per problem.

        conditions: (B, H, D) inpainting constraints (start state, goal, fixed entries), or None.
        num_plans: B when there are no conditions (default 1).
        warm_start: (B, H, D) previous plans: shifted by ``warm_start_shift`` rows, re-noised to
            ``warm_start_noise_level`` and denoised from there.
        """
        default_shape = (num_plans or 1, *window_shape(self.prior)) if conditions is None else None
        shape = tuple(conditions.shape) if conditions is not None else default_shape
        x_init, t_w = None, None
        diagnostics: dict[str, Tensor] = {}
        if warm_start is not None:
            if tuple(warm_start.shape) != shape:
                raise ValueError(f"warm_start is {tuple(warm_start.shape)}; expected {shape}")
            x_init, t_w = self.warm_start_init(warm_start, conditions, generator)
            diagnostics["start_timestep"] = torch.tensor(t_w)
        guidance = self.guidance()
        weighted = self._weighted_candidates(shape, conditions, generator, x_init, t_w, guidance)
        b = shape[0]
        clipped = torch.zeros(b, dtype=torch.long) if guidance.clipped is None else \
            rearrange(guidance.clipped.cpu(), "(b n) -> b n", b=b).sum(dim=1)
        diagnostics.update({"ess_trace": weighted.ess_trace, "ess": weighted.ess,
                            "log_evidence": weighted.log_evidence, "guidance_clipped": clipped})
        plans, values = self._select(weighted, conditions, generator)
        return PosteriorSamples(plans, values, weighted.x, weighted.log_weights, weighted.log_likelihood,
                                diagnostics)

    def _weighted_candidates(self, shape: tuple[int, int, int], conditions: Conditions | None,
                             generator: Generators, x_init: Tensor | None, t_w: int | None,
                             guidance: GradientGuidance) -> WeightedParticles:
        c, n = self.config, self.config.particles
        if c.method == "smc":
            return twisted_smc(self.prior, self.likelihood, shape, n, self.num_steps, conditions, guidance,
                               c.ess_threshold, c.eta, generator, x_init, t_w, c.tweedie_directions, c.smc_noise)
        if c.method == "importance":
            return importance_resample(self.prior, self.likelihood, shape, n, conditions, c.scheduler,
                                       self.num_steps, generator, x_init, t_w)
        if c.method == "guided":
            x = self._guided(shape, conditions, generator, x_init, t_w, guidance)
        else:
            x = prior_candidates(self.prior, shape, n, conditions, c.scheduler, self.num_steps, generator, x_init,
                                 t_w, c.temperature)
        b = shape[0]
        values = score_windows(self.likelihood, x) if self.likelihood is not None else torch.zeros(b, n)
        log_w = normalise(torch.zeros(b, n, dtype=torch.float64))
        if c.method == "best_of_n":
            log_w = normalise(torch.where(values == values.max(dim=1, keepdim=True).values, 0.0, -torch.inf))
        ess = effective_sample_size(log_w)
        return WeightedParticles(x, log_w.float(), values.to(x.device), ess.float().mean().reshape(1),
                                 ess.float().reshape(1, b), torch.zeros(b), torch.zeros(1, b, dtype=torch.bool))

    def _guided(self, shape: tuple[int, int, int], conditions: Conditions | None, generator: Generators,
                x_init: Tensor | None, t_w: int | None, guidance: GradientGuidance) -> Tensor:
        b, h, d = shape
        n = self.config.particles
        cond = conditions.repeat(n) if conditions is not None else None
        guidance.fixed = cond.mask if cond is not None else None
        init = rearrange(x_init, "b n h d -> (b n) h d") if x_init is not None else None
        x = sample(self.prior, (b * n, h, d), cond, self.config.scheduler, self.num_steps, generator,
                   eps_modifier=guidance, modifier_needs_grad=guidance.needs_grad, x_init=init,
                   start_timestep=t_w, temperature=self.config.temperature)
        return rearrange(x, "(b n) h d -> b n h d", b=b)

    def _select(self, weighted: WeightedParticles, conditions: Conditions | None,
                generator: Generators) -> tuple[Tensor, Tensor]:
        """One plan (B, H, D) and its log-likelihood (B,) per problem."""
        select = self.config.select
        if select == "elite_mean":
            return self._averaged(elite_mean(weighted.x, weighted.log_likelihood, self.config.elite_fraction),
                                  conditions)
        if select == "elite_mode":
            return self._averaged(elite_mode(weighted.x, weighted.log_likelihood, self.config.elite_fraction,
                                             self.likelihood, self.config.mode_steps), conditions)
        if self.config.method == "best_of_n" or (select == "most_likely" and self.likelihood is not None):
            return select_best(weighted.x, weighted.log_likelihood)
        rows = torch.arange(weighted.x.shape[0], device=weighted.x.device)
        if select == "mean":
            return self._averaged(weighted.mean(), conditions)
        pick = multinomial_pick(weighted.log_weights, generator)
        return weighted.x[rows, pick], weighted.log_likelihood[rows, pick]

    def _averaged(self, plans: Tensor, conditions: Conditions | None) -> tuple[Tensor, Tensor]:
        """An average (or mode) of candidates (B, H, D) with its constraints restored, and its log-likelihood (B,)."""
        if conditions is not None:
            plans = conditions.to(plans.device).apply(plans)
        if self.likelihood is None:
            return plans, torch.zeros(plans.shape[0])
        return plans, score_windows(self.likelihood, plans[:, None])[:, 0]
