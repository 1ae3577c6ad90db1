"""SMC against closed-form posteriors on a family of problems, each judged alone (no pooling).

Seeded random problems (:func:`random_gaussian_problem`): 16 entries, correlated priors of condition number 30,
dense quadratic rewards that couple every pair of entries, posterior sd 0.3-0.8 of the prior's, alpha 0.3, 1
and 3. The figures are printed beside plain guidance and the likelihood-of-x0_hat twist (TDS), and beside
exact iid posterior draws of the same size: a sampler can only be judged against the Monte Carlo error it
could at best reach. A mixture-of-Gaussians prior checks the posterior's mode weights.
"""

from __future__ import annotations

import time

import pytest
import torch

from diffplan.inference.gaussian_oracle import (
    GaussianProblem,
    QuadraticLikelihood,
    exact_posterior,
    random_gaussian_problem,
)
from diffplan.inference.mixture_prior import random_mixture_problem
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.posterior_sampler import PosteriorSampler

ALPHAS = (0.3, 1.0, 3.0)


def smc_errors(problem: GaussianProblem, particles: int, steps: int, seed: int, **settings
               ) -> tuple[float, float, float]:
    """(max |mean error| / sd, largest |variance ratio - 1|, |log-evidence error|) of one SMC run."""
    config = PosteriorConfig(method="smc", num_steps=steps, particles=particles, through_denoiser=True,
                             select="draw", **settings)
    out = PosteriorSampler(problem.prior, problem.likelihood, config).sample(
        num_plans=1, generator=torch.Generator().manual_seed(seed))
    bias, low, high = problem.errors(out.candidates[0], out.log_weights[0])
    return bias, max(1 - low, high - 1), abs(float(out.diagnostics["log_evidence"][0]) - problem.log_evidence)


def guided_bias(problem: GaussianProblem, particles: int, steps: int, seed: int) -> float:
    config = PosteriorConfig(method="guided", scheduler="ddpm", num_steps=steps, particles=particles,
                             through_denoiser=True)
    out = PosteriorSampler(problem.prior, problem.likelihood, config).sample(
        num_plans=1, generator=torch.Generator().manual_seed(seed))
    return problem.errors(out.candidates[0])[0]


def iid_bias(problem: GaussianProblem, particles: int, seed: int) -> float:
    """The same error for exact independent posterior draws: the floor any sampler of that size sits on."""
    root = torch.linalg.cholesky(problem.covariance)
    z = torch.randn(particles, root.shape[0], generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return problem.errors((z @ root.T).reshape(particles, *problem.prior.shape) + problem.mean)[0]


def test_the_family_is_what_it_claims():
    for seed in range(10):
        problem = random_gaussian_problem(seed, alpha=ALPHAS[seed % 3])
        prior_sd = problem.prior.covariance.diag().sqrt().reshape(problem.prior.shape)
        ratio = problem.sd / prior_sd
        assert float(ratio.min()) >= 0.3 and float(ratio.max()) <= 0.8
        eigenvalues = torch.linalg.eigvalsh(problem.prior.covariance)
        assert float(eigenvalues.max() / eigenvalues.min()) == pytest.approx(30.0, rel=1e-6)
        weights = problem.likelihood.weights
        assert bool((weights.abs() > 1e-6).all())  # every pair of entries coupled
        assert problem.likelihood.alpha == ALPHAS[seed % 3]


def test_smc_beats_the_x0_hat_twist_and_guidance_on_every_problem():
    """Default run: three problems (one per alpha), 1,024 particles, 100 steps."""
    for seed in range(3):
        problem = random_gaussian_problem(seed, alpha=ALPHAS[seed])
        bias, variance, evidence = smc_errors(problem, 1024, 100, seed)
        tds, _, _ = smc_errors(problem, 1024, 100, seed, tweedie_directions=0)
        guided = guided_bias(problem, 256, 100, seed)
        print(f"\nproblem {seed} (alpha {ALPHAS[seed]}): SMC {bias:.3f} sd (variance off by {variance:.1%}, "
              f"log-evidence off by {evidence:.3f}), x0_hat twist {tds:.3f} sd, plain guidance {guided:.3f} sd")
        assert bias < 0.15 and variance < 0.2 and evidence < 0.25
        assert bias < tds / 2 and bias < guided / 2


@pytest.mark.slow
def test_smc_is_accurate_on_ten_problems_and_improves_with_particles():
    """The oracle benchmark's settings: every one of the 1,000 timesteps, 8 Krylov directions (about 30 minutes)."""
    steps, rows = 0, []
    start = time.perf_counter()
    for seed in range(10):
        problem = random_gaussian_problem(seed, alpha=ALPHAS[seed % 3])
        few = smc_errors(problem, 1024, steps, seed, tweedie_directions=8)
        many = smc_errors(problem, 4096, steps, seed, tweedie_directions=8)
        rows.append((few, many, iid_bias(problem, 1024, seed), iid_bias(problem, 4096, seed),
                     guided_bias(problem, 1024, 250, seed)))
        print(f"\nproblem {seed} (alpha {ALPHAS[seed % 3]}): 1,024: {few[0]:.3f} sd, variance {few[1]:.1%}, "
              f"log Z {few[2]:.3f} | 4,096: {many[0]:.3f} sd, variance {many[1]:.1%}, log Z {many[2]:.3f} | "
              f"iid draws {rows[-1][2]:.3f} / {rows[-1][3]:.3f} sd | plain guidance {rows[-1][4]:.3f} sd")
    few_bias = [r[0][0] for r in rows]
    many_bias = [r[1][0] for r in rows]
    print(f"worst 1,024: {max(few_bias):.3f} sd (iid {max(r[2] for r in rows):.3f}); worst 4,096: "
          f"{max(many_bias):.3f} sd (iid {max(r[3] for r in rows):.3f}); {time.perf_counter() - start:.0f} s")
    assert max(few_bias) <= 0.10 and max(r[0][1] for r in rows) <= 0.15
    assert max(many_bias) <= 0.05 and max(r[1][1] for r in rows) <= 0.10
    assert sum(many_bias) < 0.6 * sum(few_bias)  # 4x the particles: about half the error, as for iid draws
    assert max(max(r[0][2], r[1][2]) for r in rows) <= 0.1
    assert all(r[0][0] < r[4] / 2 for r in rows)


def mode_weight(prior, x: torch.Tensor, log_weights: torch.Tensor | None = None) -> float:
    """Weighted share of candidates x (K, H, D) in the second mode."""
    w = torch.full(x.shape[:1], 1.0 / x.shape[0]) if log_weights is None else torch.softmax(log_weights, dim=0)
    return float((w * (prior.component_of(x) == 1)).sum())


def test_smc_recovers_the_posterior_mode_weights_of_a_mixture():
    for seed in range(3):
        prior, likelihood, exact = random_mixture_problem(seed)
        settings = dict(num_steps=250, particles=1024, through_denoiser=True)
        smc = PosteriorSampler(prior, likelihood, PosteriorConfig(method="smc", select="draw", **settings)).sample(
            num_plans=1, generator=torch.Generator().manual_seed(seed))
        guided = PosteriorSampler(prior, likelihood, PosteriorConfig(method="guided", scheduler="ddpm", **settings)
                                  ).sample(num_plans=1, generator=torch.Generator().manual_seed(seed))
        best = PosteriorSampler(prior, likelihood, PosteriorConfig(method="best_of_n", scheduler="ddpm", num_steps=100,
                                                                   particles=64)
                                ).sample(num_plans=32, generator=torch.Generator().manual_seed(seed))
        smc_share = mode_weight(prior, smc.candidates[0], smc.log_weights[0])
        guided_share = mode_weight(prior, guided.candidates[0])
        best_share = float((prior.component_of(best.plans) == 1).float().mean())
        print(f"\nmixture {seed}: exact weight of the preferred mode {float(exact[1]):.3f}; SMC {smc_share:.3f}, "
              f"plain guidance {guided_share:.3f}, best-of-64 (32 plans) {best_share:.3f}")
        assert abs(smc_share - float(exact[1])) <= 0.04
        assert abs(smc_share - float(exact[1])) < abs(guided_share - float(exact[1]))


def test_the_posterior_spread_shrinks_with_alpha():
    """One reward W at three temperatures: p(tau | O) ∝ p(tau) exp(R / alpha) narrows as alpha falls."""
    base = random_gaussian_problem(4, alpha=1.0)
    spreads, exact = [], []
    for alpha in (0.3, 1.0, 3.0):
        likelihood = QuadraticLikelihood(base.likelihood.weights, base.likelihood.target, alpha)
        mean, covariance, _ = exact_posterior(base.prior, likelihood)
        out = PosteriorSampler(base.prior, likelihood, PosteriorConfig(
            method="smc", num_steps=100, particles=1024, through_denoiser=True)).sample(
            num_plans=1, generator=torch.Generator().manual_seed(0))
        w = torch.softmax(out.log_weights[0].double(), dim=0)[:, None, None]
        x = out.candidates[0].double()
        spreads.append(float((w * (x - (w * x).sum(dim=0)) ** 2).sum(dim=0).mean()))
        exact.append(float(covariance.diag().mean()))
        print(f"\nalpha {alpha}: mean posterior variance {spreads[-1]:.4f} (exact {exact[-1]:.4f})")
    assert spreads[0] < spreads[1] < spreads[2]
    assert all(abs(s / e - 1) < 0.1 for s, e in zip(spreads, exact, strict=True))
