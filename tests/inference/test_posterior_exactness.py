"""Posterior samplers against the closed-form posterior of a Gaussian prior with a quadratic reward.

No training: the prior's denoiser is exact (:class:`GaussianPrior`). SMC with 1,024 particles per problem
(pooled over 16 independent problems, 16,384 particles in all) must match the posterior mean within 0.05
posterior standard deviations in every coordinate and its variances within ±10 %; plain gradient guidance
(R on the denoiser's x0 estimate) is biased, and SMC must beat it.
"""

from __future__ import annotations

import time

import torch
from helpers.gaussian_problem import errors, gaussian_prior, quadratic_reward

from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.posterior_sampler import PosteriorSampler

T = 400  # the DDPM kernel's own error (variance -3 % at 200 steps, -1 % at 1000) stays well inside ±10 %
PARTICLES, PROBLEMS = 1024, 16


def test_smc_matches_the_exact_posterior_and_beats_plain_guidance():
    torch.manual_seed(0)
    prior = gaussian_prior(T)
    likelihood, precision, target = quadratic_reward()
    prior_error = errors(prior, prior.sample_x0(4096, torch.Generator().manual_seed(0))[None], None, precision,
                         target)[0]

    start = time.perf_counter()
    guided = PosteriorSampler(prior, likelihood, PosteriorConfig(
        method="guided", scheduler="ddpm", num_steps=0, particles=PARTICLES, through_denoiser=True,
        guidance_clip=0.0)).sample(num_plans=4, generator=torch.Generator().manual_seed(1))
    guided_bias, guided_low, guided_high = errors(prior, guided.candidates, None, precision, target)
    guided_time = time.perf_counter() - start

    start = time.perf_counter()
    config = PosteriorConfig(method="smc", num_steps=100, particles=PARTICLES, through_denoiser=True,
                             guidance_clip=0.0, ess_threshold=0.5, select="draw")
    smc = PosteriorSampler(prior, likelihood, config).sample(num_plans=PROBLEMS,
                                                             generator=torch.Generator().manual_seed(2))
    smc_bias, smc_low, smc_high = errors(prior, smc.candidates, smc.log_weights, precision, target)
    smc_time = time.perf_counter() - start

    ess = smc.diagnostics["ess_trace"]
    print(f"\nprior mean error {prior_error:.3f} posterior std (what the reward must move)")
    print(f"plain guidance (R on x0_hat, DDPM {T} steps): max |mean error| {guided_bias:.3f} posterior std, "
          f"variance ratio [{guided_low:.3f}, {guided_high:.3f}]  ({guided_time:.1f} s)")
    print(f"SMC ({PARTICLES} particles x {PROBLEMS} problems, 100 of {T} steps): max |mean error| {smc_bias:.3f} "
          f"posterior std, variance ratio [{smc_low:.3f}, {smc_high:.3f}], ESS min {ess.min():.0f} final "
          f"{ess[-1]:.0f}, {int(smc.diagnostics['ess'].shape[0])} weight updates  ({smc_time:.1f} s)")
    assert prior_error > 0.8
    assert smc_bias < 0.05
    assert smc_low > 0.9 and smc_high < 1.1
    assert smc_bias < guided_bias
    assert ((ess >= 1) & (ess <= PARTICLES)).all()
    per_problem = smc.diagnostics["ess"]
    assert per_problem.shape == (len(ess), PROBLEMS) and ((per_problem >= 1) & (per_problem <= PARTICLES)).all()
    assert torch.isfinite(smc.diagnostics["log_evidence"]).all()
    assert torch.allclose(smc.log_weights.exp().sum(dim=1), torch.ones(PROBLEMS), atol=1e-4)


def test_importance_resampling_from_the_prior_matches_the_exact_posterior():
    prior = gaussian_prior(100)
    likelihood, precision, target = quadratic_reward()
    config = PosteriorConfig(method="importance", scheduler="dpmsolver++", num_steps=50, particles=PARTICLES,
                             select="draw")
    out = PosteriorSampler(prior, likelihood, config).sample(num_plans=PROBLEMS,
                                                             generator=torch.Generator().manual_seed(3))
    bias, low, high = errors(prior, out.candidates, out.log_weights, precision, target)
    ess = out.diagnostics["ess"]
    print(f"\nimportance resampling: max |mean error| {bias:.3f} posterior std, variance ratio "
          f"[{low:.3f}, {high:.3f}], ESS {ess.mean():.0f} of {PARTICLES}")
    assert bias < 0.08 and low > 0.88 and high < 1.12
    assert ((ess >= 1) & (ess <= PARTICLES)).all()
    # the evidence estimate log E_prior[p(O | x)] agrees with the closed form
    mean, cov = prior.tilted(precision, target)
    n = cov.shape[0]
    p, m0, s0, g = precision.flatten(), prior.mean.flatten(), prior.covariance, target.flatten()
    exact = (0.5 * (torch.logdet(cov) - torch.logdet(s0))
             - 0.5 * ((p * g * g).sum() + m0 @ torch.linalg.solve(s0, m0)
                      - mean.flatten() @ torch.linalg.solve(cov, mean.flatten())))
    assert n == 16 and abs(float(out.diagnostics["log_evidence"].mean()) - float(exact)) < 0.1
