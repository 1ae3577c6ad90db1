"""Every posterior method on the Gaussian oracle: guidance with every solver, guide steps, inpainting,
warm starts, extreme reward scales, selection rules and configuration errors."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from helpers.gaussian_problem import ACTION_DIM, D, H, errors, gaussian_prior, quadratic_reward, weighted_moments

from diffplan.errors import UserError
from diffplan.inference.best_of_n import elite_mean, select_best
from diffplan.inference.elite_mode import elite_mode
from diffplan.inference.guidance import GradientGuidance
from diffplan.inference.likelihood import Likelihood
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.posterior_sampler import PosteriorSampler
from diffplan.inference.warm_start import shift_plan
from diffplan.prior.denoiser import Denoiser
from diffplan.prior.inpainting import Conditions
from diffplan.prior.sampling import sample

METHODS = ("guided", "smc", "best_of_n", "importance", "prior")


def test_oracle_satisfies_the_protocols():
    assert isinstance(gaussian_prior(), Denoiser)
    assert isinstance(quadratic_reward()[0], Likelihood)


# The reward on x_t itself (through_denoiser off) is no likelihood of noisy windows: fine with DDPM's
# stochastic steps, but deterministic solvers amplify its high-noise gradients; it is meant for a return model
# J(x_t, t) trained on noisy windows. Rewards of clean states go through the denoiser's x0 estimate.
@pytest.mark.parametrize(("solver", "steps", "through_denoiser"), [
    ("ddpm", 100, True), ("ddim", 50, True), ("dpmsolver++", 25, True), ("ddpm", 100, False)])
def test_guidance_moves_every_solver_towards_the_posterior(solver, steps, through_denoiser):
    prior = gaussian_prior(100)
    likelihood, precision, target = quadratic_reward()
    config = PosteriorConfig(method="guided", scheduler=solver, num_steps=steps, particles=512,
                             through_denoiser=through_denoiser, guidance_clip=0.0)
    out = PosteriorSampler(prior, likelihood, config).sample(num_plans=2, generator=torch.Generator().manual_seed(0))
    unguided = dataclasses.replace(config, method="prior")
    base = PosteriorSampler(prior, likelihood, unguided).sample(num_plans=2, generator=torch.Generator().manual_seed(0))
    guided_error = errors(prior, out.candidates, None, precision, target)[0]
    prior_error = errors(prior, base.candidates, None, precision, target)[0]
    assert prior_error > 0.8 and guided_error < 0.7 * prior_error, (guided_error, prior_error)


def test_guide_steps_min_noise_level_and_clipping():
    prior = gaussian_prior(100)
    likelihood, precision, target = quadratic_reward()

    def bias(**options) -> float:
        config = PosteriorConfig(method="guided", scheduler="ddim", num_steps=20, particles=256,
                                 through_denoiser=True, **options)
        out = PosteriorSampler(prior, likelihood, config).sample(num_plans=2,
                                                                 generator=torch.Generator().manual_seed(1))
        return errors(prior, out.candidates, None, precision, target)[0]

    # two guide steps at half the scale move x_t about as far as one step at the full scale
    one, two = bias(guidance_clip=0.0), bias(guidance_clip=0.0, guide_steps=2, guidance_scale=0.5)
    late = bias(guidance_clip=0.0, min_noise_level=90)
    clipped = bias(guidance_clip=1e-3)
    assert one < 0.75 and abs(two - one) < 0.1 and late > one and clipped > one
    # n guide steps: the x_t moves add up (eps correction of 2 steps ≈ twice one step for a linear reward)
    x = torch.randn(3, H, D)
    t = torch.full((3,), 50)
    linear = type("Linear", (), {"log_likelihood": lambda self, x, t: x.sum(dim=(1, 2))})()
    eps = prior.predict_eps(x, t)
    g1 = GradientGuidance(prior, linear, 1.0, guide_steps=1)(x, t, eps)
    g2 = GradientGuidance(prior, linear, 1.0, guide_steps=2)(x, t, eps)
    assert torch.allclose(eps - g2, 2 * (eps - g1), atol=1e-5)
    a = prior.alphas_cumprod[50]
    assert torch.allclose(eps - g1, (1 - a).sqrt() * torch.ones_like(x), atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_inpainted_entries_stay_exact(method):
    prior = gaussian_prior(50)
    likelihood, _, _ = quadratic_reward()
    start, goal = torch.tensor([[0.3], [-0.7]]), torch.tensor([[1.0], [0.5]])
    conditions = Conditions.start_goal(start, H, ACTION_DIM, goal)
    config = PosteriorConfig(method=method, num_steps=10, particles=8, through_denoiser=True)
    out = PosteriorSampler(prior, likelihood, config).sample(conditions, generator=torch.Generator().manual_seed(0))
    assert out.plans.shape == (2, H, D) and out.candidates.shape == (2, 8, H, D)
    assert torch.equal(out.plans[:, 0, ACTION_DIM:], start) and torch.equal(out.plans[:, -1, ACTION_DIM:], goal)
    assert torch.equal(out.candidates[:, :, 0, ACTION_DIM:], start[:, None].expand(2, 8, 1))
    assert torch.equal(out.candidates[:, :, -1, ACTION_DIM:], goal[:, None].expand(2, 8, 1))


@pytest.mark.parametrize("method", ["guided", "smc", "prior"])
def test_warm_start_reproduces_a_plan_from_a_low_noise_level(method):
    prior = gaussian_prior(100)
    likelihood, _, _ = quadratic_reward()
    previous = prior.sample_x0(3, torch.Generator().manual_seed(5))
    config = PosteriorConfig(method=method, scheduler="ddim", num_steps=50, particles=4, through_denoiser=True,
                             warm_start_noise_level=0.05, warm_start_shift=0, select="draw")
    sampler = PosteriorSampler(prior, likelihood, config)
    prior.calls = 0
    out = sampler.sample(num_plans=3, generator=torch.Generator().manual_seed(0), warm_start=previous)
    t_w = int(out.diagnostics["start_timestep"])
    assert t_w <= 5 and prior.calls <= 5
    assert (out.plans - previous).square().mean().sqrt() < 0.15
    fresh = dataclasses.replace(config, warm_start_noise_level=1.0)
    far = PosteriorSampler(prior, likelihood, fresh).sample(num_plans=3, generator=torch.Generator().manual_seed(0),
                                                            warm_start=previous)
    assert (far.plans - previous).square().mean().sqrt() > 0.5


def test_shift_plan_drops_executed_rows_and_repeats_the_last():
    plan = torch.arange(2 * 5 * 3, dtype=torch.float32).reshape(2, 5, 3)
    shifted = shift_plan(plan, 2)
    assert torch.equal(shifted[:, :3], plan[:, 2:]) and torch.equal(shifted[:, 3], plan[:, -1])
    assert torch.equal(shifted[:, 4], plan[:, -1]) and torch.equal(shift_plan(plan, 0), plan)


def test_sample_starts_from_a_given_window_and_timestep():
    prior = gaussian_prior(100)
    x0 = prior.sample_x0(4, torch.Generator().manual_seed(0))
    prior.calls = 0
    # trailing spacing: the solver's timesteps are 99, 94, ..., 4; start at the last one
    out = sample(prior, (4, H, D), None, "dpmsolver++", 20, torch.Generator().manual_seed(0), x_init=x0,
                 start_timestep=4)
    assert prior.calls == 1 and (out - x0).abs().max() < 0.1


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("scale", "alpha"), [(1e6, 1.0), (1.0, 1e-6)])
def test_no_nan_with_huge_rewards_or_tiny_temperature(method, scale, alpha):
    prior = gaussian_prior(50)
    likelihood, _, _ = quadratic_reward(scale, alpha)
    for solver in ("ddpm", "ddim", "dpmsolver++") if method == "guided" else ("ddim",):
        config = PosteriorConfig(method=method, scheduler=solver, num_steps=10, particles=16, through_denoiser=True)
        out = PosteriorSampler(prior, likelihood, config).sample(num_plans=2,
                                                                 generator=torch.Generator().manual_seed(0))
        assert torch.isfinite(out.plans).all() and torch.isfinite(out.candidates).all()
        assert not torch.isnan(out.values).any() and not torch.isnan(out.log_weights).any()
        assert torch.allclose(out.log_weights.exp().sum(dim=1), torch.ones(2), atol=1e-4)
        ess = out.diagnostics["ess"]
        assert ((ess >= 1) & (ess <= 16)).all()


def test_selection_rules():
    prior = gaussian_prior(50)
    likelihood, _, _ = quadratic_reward()
    base = PosteriorConfig(method="importance", num_steps=10, particles=32)
    assert base.select == "draw"  # a posterior draw unless an optimiser is asked for
    best = PosteriorSampler(prior, likelihood, dataclasses.replace(base, select="most_likely")).sample(
        num_plans=3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(best.values, best.candidate_values.max(dim=1).values)
    mean = PosteriorSampler(prior, likelihood, dataclasses.replace(base, select="mean")).sample(
        num_plans=3, generator=torch.Generator().manual_seed(0))
    w = mean.log_weights.exp()[..., None, None]
    assert torch.allclose(mean.plans, (w * mean.candidates).sum(dim=1), atol=1e-5)
    drawn = PosteriorSampler(prior, likelihood, dataclasses.replace(base, select="draw")).sample(
        num_plans=3, generator=torch.Generator().manual_seed(0))
    assert all(any(torch.equal(p, c) for c in cs) for p, cs in zip(drawn.plans, drawn.candidates, strict=True))
    bon = PosteriorSampler(prior, likelihood, dataclasses.replace(base, method="best_of_n", select="draw")).sample(
        num_plans=3, generator=torch.Generator().manual_seed(0))
    assert torch.equal(bon.values, bon.candidate_values.max(dim=1).values)
    elite = PosteriorSampler(prior, likelihood, dataclasses.replace(
        base, method="best_of_n", select="elite_mean", elite_fraction=0.25)).sample(
        num_plans=3, generator=torch.Generator().manual_seed(0))
    top = elite.candidate_values.topk(8, dim=1).indices  # a quarter of 32
    expected = torch.stack([cs[t].mean(dim=0) for cs, t in zip(elite.candidates, top, strict=True)])
    assert torch.allclose(elite.plans, expected, atol=1e-5)
    plain_config = PosteriorConfig(method="prior", num_steps=10, particles=2)
    plain = PosteriorSampler(prior, None, plain_config).sample(num_plans=3)
    assert plain.plans.shape == (3, H, D) and torch.equal(plain.values, torch.zeros(3))


@pytest.mark.parametrize("fraction", [0.25, 1.0, 1 / 32])
def test_elite_mode_is_the_mode_of_the_elites_gaussian_times_the_likelihood(fraction):
    # log p(O | x) = -1/2 sum W (x - g)^2 and the elites' N(mu, sigma^2): per entry the mode is
    # (mu / sigma^2 + W g) / (1 / sigma^2 + W), mu itself where the elites agree (sigma = 0, one elite).
    prior = gaussian_prior(50)
    likelihood, precision, target = quadratic_reward()
    config = PosteriorConfig(method="best_of_n", num_steps=10, particles=32, select="elite_mode",
                             elite_fraction=fraction)
    out = PosteriorSampler(prior, likelihood, config).sample(num_plans=3, generator=torch.Generator().manual_seed(0))
    k = max(1, round(fraction * 32))
    top = out.candidate_values.topk(k, dim=1).indices
    chosen = torch.stack([cs[t] for cs, t in zip(out.candidates, top, strict=True)]).double()
    mu = chosen.mean(dim=1)
    variance = chosen.var(dim=1) if k > 1 else torch.zeros_like(mu)
    mode = torch.where(variance > 0, (mu / variance + precision * target) / (1 / variance + precision), mu)
    assert torch.allclose(out.plans.double(), mode, atol=1e-4)
    assert not torch.allclose(out.plans.double(), mu, atol=1e-2) or k == 1  # the likelihood moved it
    assert torch.allclose(out.values, likelihood.log_likelihood(out.plans, torch.zeros(3, dtype=torch.long)))


def test_elite_mode_keeps_the_elite_mean_where_the_likelihood_is_not_finite():
    candidates = torch.randn(2, 8, H, D)
    values = torch.randn(2, 8)

    class Broken:
        def log_likelihood(self, x, t):
            return x.sum(dim=(1, 2)) * torch.tensor([1.0, float("nan")])

    mode = elite_mode(candidates, values, 0.5, Broken(), 5)
    assert torch.equal(mode[1], elite_mean(candidates, values, 0.5)[1]) and torch.isfinite(mode).all()


@pytest.mark.parametrize(("options", "fragment"), [
    ({"method": "mcmc"}, "method"),
    ({"mode_steps": 0}, "mode_steps"),
    ({"scheduler": "euler"}, "scheduler"),
    ({"select": "worst"}, "select"),
    ({"particles": 0}, "particles"),
    ({"eta": 0.0}, "eta"),
    ({"ess_threshold": 1.5}, "ess_threshold"),
    ({"guide_steps": 0}, "guide_steps"),
    ({"warm_start_noise_level": 2.0}, "warm_start_noise_level"),
    ({"elite_fraction": 0.0}, "elite_fraction"),
    ({"temperature": 0.0}, "temperature"),
    ({"temperature": float("inf")}, "temperature"),
    ({"temperature": 0.5, "method": "smc"}, "needs temperature 1"),
    ({"temperature": 0.5, "method": "importance"}, "needs temperature 1"),
    ({"temperature": 0.5, "scheduler": "ddpm"}, "deterministic solver"),
])
def test_config_errors_are_user_errors(options, fragment):
    with pytest.raises(UserError, match=fragment):
        PosteriorConfig(**options)


def test_elite_mean_spans_best_of_n_to_the_mean_of_all():
    candidates = torch.arange(2 * 4 * 3 * 2, dtype=torch.float32).reshape(2, 4, 3, 2)
    values = torch.tensor([[0.0, 3.0, 1.0, 2.0], [float("nan"), 1.0, 0.0, -1.0]])
    assert torch.equal(elite_mean(candidates, values, 0.25), select_best(candidates, values)[0])
    assert torch.allclose(elite_mean(candidates, values, 1.0), candidates.mean(dim=1))
    assert torch.allclose(elite_mean(candidates, values, 0.5)[0], candidates[0, [1, 3]].mean(dim=0))
    assert torch.allclose(elite_mean(candidates, values, 0.5)[1], candidates[1, [1, 2]].mean(dim=0))  # NaN last


def test_methods_other_than_prior_need_a_likelihood():
    with pytest.raises(UserError, match="likelihood"):
        PosteriorSampler(gaussian_prior(), None, PosteriorConfig(method="smc"))
    with pytest.raises(UserError, match="elite_mean"):
        PosteriorSampler(gaussian_prior(), None, PosteriorConfig(method="prior", select="elite_mean"))


def test_clipped_guidance_is_counted_per_problem():
    prior = gaussian_prior(50)
    likelihood, _, _ = quadratic_reward()
    tight = PosteriorConfig(method="guided", num_steps=10, particles=4, guidance_clip=1e-3)
    out = PosteriorSampler(prior, likelihood, tight).sample(num_plans=3, generator=torch.Generator().manual_seed(0))
    assert out.diagnostics["guidance_clipped"].shape == (3,)
    assert (out.diagnostics["guidance_clipped"] == 4 * 10).all()  # every candidate, every step
    free = dataclasses.replace(tight, guidance_clip=0.0)  # only the safety ceiling: a gentle reward never meets it
    gentle, _, _ = quadratic_reward(scale=0.01)
    out = PosteriorSampler(prior, gentle, free).sample(num_plans=3, generator=torch.Generator().manual_seed(0))
    assert (out.diagnostics["guidance_clipped"] == 0).all()


@pytest.mark.parametrize("method", ["prior", "best_of_n", "guided"])
def test_temperature_shrinks_the_candidates_towards_the_prior_mode(method):
    """Candidates at temperature 0.5 spread as N(mean, 0.25 cov) of the Gaussian prior (guidance off: scale 0)."""
    prior = gaussian_prior(100)
    likelihood, _, _ = quadratic_reward()
    config = PosteriorConfig(method=method, scheduler="dpmsolver++", num_steps=25, particles=4000, temperature=0.5,
                             guidance_scale=0.0, select="draw")
    out = PosteriorSampler(prior, likelihood, config).sample(num_plans=1, generator=torch.Generator().manual_seed(0))
    mean, var = weighted_moments(out.candidates)
    prior_var = prior.covariance.diag().reshape(H, D)
    assert ((mean - prior.mean.reshape(H, D)) / prior_var.sqrt()).abs().max() < 0.1
    assert ((var / prior_var) - 0.25).abs().max() < 0.05
