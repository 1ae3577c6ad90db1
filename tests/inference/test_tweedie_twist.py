"""The Laplace twist against the exact log p(O | x_t) of a Gaussian problem, and where it cannot be computed."""

from __future__ import annotations

import torch

from diffplan.inference.gaussian_oracle import GaussianProblem, random_gaussian_problem
from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.inference.posterior_sampler import PosteriorSampler
from diffplan.inference.tweedie_twist import tweedie_twist


def exact_log_twist(problem: GaussianProblem, x_t: torch.Tensor, t: int) -> torch.Tensor:
    """log p(O | x_t) (B,) up to a constant: x0 | x_t ~ N(x0_hat, Sigma_t), l quadratic of precision P."""
    prior, likelihood = problem.prior, problem.likelihood
    a = float(prior.alphas_cumprod[t])
    values = prior.eigenvalues * (1 - a) / (a * prior.eigenvalues + 1 - a)
    posterior_of_x0 = (prior.eigenvectors * values) @ prior.eigenvectors.T
    spread = torch.linalg.inv(posterior_of_x0 + torch.linalg.inv(likelihood.precision))
    x0 = prior.predict_x0(x_t.double(), torch.full((x_t.shape[0],), t)).flatten(1)
    d = x0 - likelihood.target.flatten()
    return -0.5 * ((d @ spread) * d).sum(dim=1)


def test_the_twist_matches_the_exact_one_where_it_varies_and_is_constant_at_pure_noise():
    problem = random_gaussian_problem(9, alpha=0.3)
    x = torch.randn(512, *problem.prior.shape, generator=torch.Generator().manual_seed(0))
    for t in (500, 100):
        timesteps = torch.full((512,), t)
        twist, _, _ = tweedie_twist(problem.prior, problem.likelihood, x, timesteps, directions=16)
        exact = exact_log_twist(problem, x, t)
        assert float(exact.std()) > 2.0  # the twist matters here
        assert float((twist.double() - exact).std()) < 0.02 * float(exact.std())
    last = int(problem.prior.alphas_cumprod.shape[0]) - 1
    assert float(problem.prior.alphas_cumprod[last]) < 1e-8  # cosine schedule: float32 cannot resolve C
    assert float(exact_log_twist(problem, x, last).std()) < 0.02  # and the exact twist is nearly constant
    twist, grad, _ = tweedie_twist(problem.prior, problem.likelihood, x, torch.full((512,), last), directions=16)
    assert float(twist.abs().max()) == 0.0 and float(grad.abs().max()) == 0.0


def test_smc_on_every_timestep_keeps_its_particles():
    """1,000 steps: near pure noise an unresolvable twist would scatter the weights and force resampling."""
    problem = random_gaussian_problem(8, alpha=3.0)
    config = PosteriorConfig(method="smc", num_steps=0, particles=256, through_denoiser=True, select="draw")
    out = PosteriorSampler(problem.prior, problem.likelihood, config).sample(
        num_plans=1, generator=torch.Generator().manual_seed(7))
    ess = out.diagnostics["ess"][:, 0]
    print(f"\nlowest ESS over 1,000 steps: {float(ess.min()):.0f} of 256")
    assert float(ess.min()) > 0.8 * 256
