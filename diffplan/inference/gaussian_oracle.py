"""Posterior problems with a closed-form answer: a Gaussian prior, a quadratic likelihood, the exact posterior.

A user checks a sampler (or a setting of one) by drawing from ``problem.prior`` tilted by
``problem.likelihood`` and comparing with ``problem.mean``, ``problem.covariance`` and
``problem.log_evidence``. :func:`random_gaussian_problem` draws a family of them: correlated priors of a given
condition number and dense reward precisions that shrink every coordinate's posterior standard deviation to a
chosen range of the prior's, so a sampler tuned to one problem is found out on the next.

With prior N(m, S) and ``log p(O | x) = -1/2 (x - g)^T P (x - g)`` (P = W / alpha) the posterior is
N(mu, C) with ``C = (S^-1 + P)^-1``, ``mu = C (S^-1 m + P g)``, and the evidence is

    log E_prior[p(O | x)] = 1/2 (log|C| - log|S|) - 1/2 (g^T P g + m^T S^-1 m - mu^T C^-1 mu).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from einops import rearrange
from torch import Tensor

from diffplan.inference.gaussian_prior import GaussianPrior


class QuadraticLikelihood:
    """``log p(O | x) = R(x) / alpha`` with ``R(x) = -1/2 (x - g)^T W (x - g)`` over flattened windows.

    Args:
        weights: (n, n) W, n = H * D (symmetric positive semi-definite): dense, so it couples entries.
        target: (H, D) g.
        alpha: temperature.
    """

    def __init__(self, weights: Tensor, target: Tensor, alpha: float = 1.0) -> None:
        if not alpha > 0:
            raise ValueError(f"alpha must be positive, got {alpha}")
        self.weights = (weights.double() + weights.double().T) / 2
        self.target = target.double()
        self.alpha = float(alpha)

    @property
    def precision(self) -> Tensor:
        """(n, n) P = W / alpha, the precision the likelihood adds to the prior's."""
        return self.weights / self.alpha

    def log_likelihood(self, x: Tensor, t: Tensor) -> Tensor:
        """x (B, H, D), t (B,) ignored -> (B,), differentiable in x."""
        r = rearrange(x - self.target.to(x), "b h d -> b (h d)")
        return -0.5 * ((r @ self.weights.to(x)) * r).sum(dim=1) / self.alpha


@dataclass
class GaussianProblem:
    """A prior, a likelihood, and the exact posterior moments and evidence (float64).

    Attributes:
        prior: N(m, S) with its closed-form denoiser.
        likelihood: exp(R / alpha) with R quadratic.
        mean: (H, D) posterior mean.
        covariance: (n, n) posterior covariance.
        log_evidence: log E_prior[p(O | x)].
        alpha: the temperature the precision was divided by.
    """

    prior: GaussianPrior
    likelihood: QuadraticLikelihood
    mean: Tensor
    covariance: Tensor
    log_evidence: float
    alpha: float

    @property
    def sd(self) -> Tensor:
        """(H, D) posterior standard deviations."""
        return self.covariance.diag().sqrt().reshape(self.prior.shape)

    def errors(self, x: Tensor, log_weights: Tensor | None = None) -> tuple[float, float, float]:
        """Max |mean error| in posterior sd, min and max variance ratio of weighted samples x (K, H, D)."""
        x = x.double()
        w = torch.full(x.shape[:1], 1.0 / x.shape[0], dtype=torch.float64) if log_weights is None else \
            torch.softmax(log_weights.double(), dim=0)
        w = rearrange(w, "k -> k 1 1")
        mean = (w * x).sum(dim=0)
        var = (w * (x - mean) ** 2).sum(dim=0)
        ratio = var / self.sd**2
        return float(((mean - self.mean) / self.sd).abs().max()), float(ratio.min()), float(ratio.max())


def exact_posterior(prior: GaussianPrior, likelihood: QuadraticLikelihood) -> tuple[Tensor, Tensor, float]:
    """Posterior mean (H, D), covariance (n, n) and log-evidence of ``prior`` tilted by ``likelihood``."""
    p, g = likelihood.precision, likelihood.target.reshape(-1)
    s, m = prior.covariance, prior.mean.reshape(-1)
    s_inv = torch.linalg.inv(s)
    c = torch.linalg.inv(s_inv + p)
    c = (c + c.T) / 2
    mu = c @ (s_inv @ m + p @ g)
    log_z = 0.5 * (torch.logdet(c) - torch.logdet(s)) \
        - 0.5 * (g @ p @ g + m @ s_inv @ m - mu @ torch.linalg.solve(c, mu))
    return mu.reshape(prior.shape), c, float(log_z)


def _random_rotation(n: int, generator: torch.Generator) -> Tensor:
    q, r = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))


def random_gaussian_problem(
    seed: int,
    horizon: int = 8,
    dim: int = 2,
    alpha: float = 1.0,
    condition_number: float = 30.0,
    sd_ratio: tuple[float, float] = (0.3, 0.8),
    shift: float = 1.5,
    num_train_timesteps: int = 1000,
) -> GaussianProblem:
    """A seeded problem of windows (horizon, dim): correlated prior, dense reward, known posterior.

    The prior covariance has eigenvalues log-uniform over ``[1 / sqrt(c), sqrt(c)]`` (condition number c, both
    ends included) in a random basis, so every pair of entries is correlated. The posterior precision added by
    the reward is dense: ``P = S^-1/2 M S^-1/2`` with M of random eigenbasis and eigenvalues drawn so that each
    coordinate's posterior sd lies within ``sd_ratio`` of its prior sd (redrawn until it does). The reward is
    ``W = alpha P``, so at temperature ``alpha`` the posterior spread is the one drawn and a smaller alpha of
    the same W sharpens it. The reward's target sits ``shift`` prior sds from the prior mean in its largest
    coordinate.

    Raises:
        ValueError: when 1,000 draws of M all miss ``sd_ratio`` (a range too narrow).
    """
    generator = torch.Generator().manual_seed(seed)
    n = horizon * dim
    log_c = math.log(condition_number)
    spectrum = torch.exp((torch.rand(n, generator=generator, dtype=torch.float64) - 0.5) * log_c)
    spectrum[0], spectrum[1] = math.exp(-log_c / 2), math.exp(log_c / 2)
    basis = _random_rotation(n, generator)
    covariance = (basis * spectrum) @ basis.T
    mean = 0.3 * torch.randn(horizon, dim, generator=generator, dtype=torch.float64)
    prior = GaussianPrior(mean, covariance, num_train_timesteps)
    root_inv = (basis / spectrum.sqrt()) @ basis.T  # S^-1/2
    prior_sd = covariance.diag().sqrt()
    low, high = sd_ratio
    for _ in range(1000):
        inner = _random_rotation(n, generator)
        variance_ratio = low**2 + torch.rand(n, generator=generator, dtype=torch.float64) * (high**2 - low**2)
        precision = root_inv @ ((inner * (1 / variance_ratio - 1)) @ inner.T) @ root_inv
        ratio = torch.linalg.inv(torch.linalg.inv(covariance) + precision).diag().sqrt() / prior_sd
        if ratio.min() >= low and ratio.max() <= high:
            break
    else:
        raise ValueError(f"no dense precision gives posterior sd ratios within {sd_ratio}")
    direction = torch.randn(n, generator=generator, dtype=torch.float64)
    target = mean.reshape(-1) + shift * prior_sd * direction / direction.abs().max()
    likelihood = QuadraticLikelihood(alpha * precision, target.reshape(horizon, dim), alpha)
    mu, c, log_z = exact_posterior(prior, likelihood)
    return GaussianProblem(prior, likelihood, mu, c, log_z, alpha)
