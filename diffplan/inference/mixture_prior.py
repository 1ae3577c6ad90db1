"""A mixture of Gaussians as the prior: a multimodal oracle with a closed-form denoiser and posterior.

Plan spaces are multimodal (round a wall on the left or on the right), and a sampler that is exact on one
Gaussian may still put the wrong mass on each mode. For ``p(x0) = sum_k pi_k N(m_k, S_k)`` the noisy marginal
is the mixture of ``N(sqrt(a) m_k, a S_k + (1 - a) I)``, so the exact denoiser is the responsibility-weighted
sum of each component's Gaussian denoiser, ``E[x0 | x_t] = sum_k r_k(x_t) E_k[x0 | x_t]``. Tilted by a
quadratic likelihood each component stays Gaussian and its weight becomes ``pi_k Z_k`` with ``Z_k`` its
evidence: the posterior's mode weights are known exactly.
"""

from __future__ import annotations

import math

import torch
from einops import rearrange
from torch import Tensor

from diffplan.inference.gaussian_oracle import QuadraticLikelihood, exact_posterior
from diffplan.inference.gaussian_prior import GaussianPrior


class GaussianMixturePrior:
    """Closed-form denoiser of ``sum_k pi_k N(m_k, S_k)``; implements :class:`~diffplan.prior.denoiser.Denoiser`.

    Args:
        weights: (C,) mixture weights pi (positive, normalised here).
        components: the C Gaussian components (same window shape and training schedule).
    """

    def __init__(self, weights: Tensor, components: list[GaussianPrior]) -> None:
        if len(components) != len(weights) or not len(components):
            raise ValueError(f"{len(weights)} weights for {len(components)} components")
        if not bool((weights > 0).all()):
            raise ValueError("mixture weights must be positive")
        self.weights = (weights / weights.sum()).double()
        self.components = components
        first = components[0]
        self.scheduler_config = first.scheduler_config
        self.alphas_cumprod = first.alphas_cumprod
        self.calls = 0

    @property
    def shape(self) -> tuple[int, int]:
        """(H, D) of a window."""
        return self.components[0].shape

    def responsibilities(self, x_t: Tensor, t: Tensor) -> Tensor:
        """r_k(x_t) (B, C): the posterior probability of each component given x_t (B, H, D); differentiable."""
        a = rearrange(self.alphas_cumprod[t.long()].expand(x_t.shape[0]).to(x_t.dtype), "b -> b 1")
        logits = []
        for weight, component in zip(self.weights.tolist(), self.components, strict=True):
            y = rearrange(x_t, "b h d -> b (h d)") @ component._basis.to(x_t.dtype) \
                - a.sqrt() * component._mean_coordinates.to(x_t.dtype)
            variance = a * component._spectrum.to(x_t.dtype) + 1 - a  # (B, n) in the component's eigenbasis
            logits.append(math.log(weight) - 0.5 * (y.square() / variance + variance.log()).sum(dim=1))
        return torch.softmax(torch.stack(logits, dim=1), dim=1)

    def predict_eps(self, x_t: Tensor, t: Tensor) -> Tensor:
        """Exact E[eps | x_t]: x_t (B, H, D), t (B,) long -> (B, H, D); differentiable in x_t."""
        self.calls += 1
        r = self.responsibilities(x_t, t)
        eps = torch.stack([component.predict_eps(x_t, t) for component in self.components], dim=1)  # (B, C, H, D)
        return (rearrange(r, "b c -> b c 1 1") * eps).sum(dim=1)

    def component_of(self, x0: Tensor) -> Tensor:
        """Index (K,) of the component each clean window x0 (K, H, D) most likely came from."""
        return self.responsibilities(x0, torch.zeros(x0.shape[0], dtype=torch.long)).argmax(dim=1)

    def sample_x0(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n exact prior draws (n, H, D)."""
        picks = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        draws = torch.stack([component.sample_x0(n, generator) for component in self.components])  # (C, n, H, D)
        return draws[picks, torch.arange(n)]


def posterior_mode_weights(prior: GaussianMixturePrior, likelihood: QuadraticLikelihood) -> Tensor:
    """Exact posterior weight (C,) of each component: ``pi_k Z_k / sum_j pi_j Z_j``."""
    log_terms = torch.stack([torch.log(w) + exact_posterior(component, likelihood)[2]
                             for w, component in zip(prior.weights, prior.components, strict=True)])
    return torch.softmax(log_terms, dim=0)


def random_mixture_problem(seed: int, horizon: int = 8, dim: int = 2, separation: float = 3.0,
                           preferred_weight: float = 0.75, sharpness: float = 4.0, num_train_timesteps: int = 1000
                           ) -> tuple[GaussianMixturePrior, QuadraticLikelihood, Tensor]:
    """Two correlated Gaussian modes of equal prior weight, ``separation`` apart (each 0.5-1 wide), and a dense
    quadratic reward of precision about ``sharpness`` times a mode's, aimed at a point between the modes chosen
    so that the second mode's exact posterior weight is ``preferred_weight``. A sharp reward between the modes
    pulls samplers that follow its gradient into the wrong proportions.

    Returns the prior, the likelihood and the exact posterior mode weights (2,).
    """
    generator = torch.Generator().manual_seed(seed)
    n = horizon * dim
    components = []
    direction = torch.randn(n, generator=generator, dtype=torch.float64)
    direction = direction / direction.norm()
    for sign in (-1.0, 1.0):
        q, r = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
        basis = q * torch.sign(torch.diagonal(r))
        spectrum = 0.25 * torch.exp(torch.rand(n, generator=generator, dtype=torch.float64) * math.log(4.0))
        mean = (sign * separation / 2 * direction).reshape(horizon, dim)
        components.append(GaussianPrior(mean, (basis * spectrum) @ basis.T, num_train_timesteps))
    prior = GaussianMixturePrior(torch.tensor([0.5, 0.5]), components)
    q, r = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    spread = torch.exp(torch.rand(n, generator=generator, dtype=torch.float64) * math.log(3.0))
    precision = ((q * torch.sign(torch.diagonal(r))) * spread) @ (q * torch.sign(torch.diagonal(r))).T
    precision = sharpness * precision / spread.mean()  # dense; a mode's own precision is about 1 to 4
    low, high = 0.5, 1.0  # where between the modes the reward aims (0 = the first, 1 = the second)
    for _ in range(60):
        middle = (low + high) / 2
        target = (components[0].mean + middle * (components[1].mean - components[0].mean))
        weights = posterior_mode_weights(prior, QuadraticLikelihood(precision, target))
        low, high = (middle, high) if weights[1] < preferred_weight else (low, middle)
    likelihood = QuadraticLikelihood(precision, components[0].mean + low * (components[1].mean - components[0].mean))
    return prior, likelihood, posterior_mode_weights(prior, likelihood)
