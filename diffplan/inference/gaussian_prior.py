"""A Gaussian prior p(x0) = N(m, S) over windows with its closed-form denoiser: the samplers' test oracle.

For ``x_t = sqrt(a) x0 + sqrt(1 - a) eps`` (a = abar_t), x_t ~ N(sqrt(a) m, a S + (1 - a) I) and the exact
denoiser is ``E[eps | x_t] = sqrt(1 - a) (a S + (1 - a) I)^{-1} (x_t - sqrt(a) m)``; in the eigenbasis
S = U diag(l) U^T every inverse is a division. With a quadratic log-likelihood
``log p(O | x) = -1/2 (x - g)^T P (x - g)`` the posterior is Gaussian too:
covariance ``(S^{-1} + P)^{-1}``, mean ``cov (S^{-1} m + P g)``. Any sampler can be checked against it
without training anything. Windows (B, H, D) are flattened to (B, H * D) row-major.
"""

from __future__ import annotations

import torch
from diffusers import DDPMScheduler
from einops import rearrange
from torch import Tensor


class GaussianPrior:
    """Closed-form denoiser of N(mean, covariance); implements :class:`~diffplan.prior.denoiser.Denoiser`.

    Args:
        mean: (H, D) prior mean of x0.
        covariance: (H * D, H * D) prior covariance (symmetric positive definite), or (H, D) variances.
        num_train_timesteps, beta_schedule: the DDPM training schedule the denoiser belongs to.
    """

    def __init__(
        self,
        mean: Tensor,
        covariance: Tensor,
        num_train_timesteps: int = 100,
        beta_schedule: str = "squaredcos_cap_v2",
    ) -> None:
        self.mean = mean.double()
        horizon, dim = mean.shape
        n = horizon * dim
        covariance = covariance.double()
        if covariance.shape == mean.shape:
            covariance = torch.diag(covariance.flatten())
        if covariance.shape != (n, n):
            raise ValueError(f"covariance {tuple(covariance.shape)} must be ({n}, {n}) or {tuple(mean.shape)}")
        self.covariance = (covariance + covariance.T) / 2
        self.eigenvalues, self.eigenvectors = torch.linalg.eigh(self.covariance)  # (n,), (n, n)
        self._basis = self.eigenvectors.float()
        self._spectrum = self.eigenvalues.float()
        self._mean_coordinates = (self.mean.reshape(1, n) @ self.eigenvectors).float()  # (1, n)
        scheduler = DDPMScheduler(num_train_timesteps=num_train_timesteps, beta_schedule=beta_schedule,
                                  clip_sample=False, prediction_type="epsilon")
        self.scheduler_config = scheduler.config
        self.alphas_cumprod = scheduler.alphas_cumprod.float()
        self.calls = 0

    @property
    def shape(self) -> tuple[int, int]:
        """(H, D) of a window."""
        return tuple(self.mean.shape)

    def predict_eps(self, x_t: Tensor, t: Tensor) -> Tensor:
        """Exact E[eps | x_t]: x_t (B, H, D), t (B,) long -> (B, H, D); differentiable in x_t."""
        self.calls += 1
        a = rearrange(self.alphas_cumprod[t.long()].expand(x_t.shape[0]), "b -> b 1")
        y = rearrange(x_t.float(), "b h d -> b (h d)") @ self._basis - a.sqrt() * self._mean_coordinates
        eps = ((1 - a).sqrt() / (a * self._spectrum + 1 - a) * y) @ self._basis.T
        return rearrange(eps, "b (h d) -> b h d", h=self.shape[0]).to(x_t.dtype)

    def predict_x0(self, x_t: Tensor, t: Tensor) -> Tensor:
        """Exact E[x0 | x_t] (B, H, D)."""
        a = rearrange(self.alphas_cumprod[t.long()].expand(x_t.shape[0]).to(x_t.dtype), "b -> b 1 1")
        return (x_t - (1 - a).sqrt() * self.predict_eps(x_t, t)) / a.sqrt()

    def sample_x0(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n exact prior draws (n, H, D)."""
        z = torch.randn(n, self.eigenvalues.shape[0], generator=generator, dtype=torch.float64)
        x = (z * self.eigenvalues.sqrt()) @ self.eigenvectors.T
        return (rearrange(x, "b (h d) -> b h d", h=self.shape[0]) + self.mean).float()

    def tilted(self, precision: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        """Exact posterior of p(x) exp(-1/2 (x - g)^T P (x - g)).

        precision: (n, n) P, or (H, D) its diagonal. target: (H, D) g.
        Returns the posterior mean (H, D) and covariance (n, n), float64.
        """
        n = self.covariance.shape[0]
        precision = precision.double()
        if precision.shape == self.mean.shape:
            precision = torch.diag(precision.flatten())
        prior_precision = torch.linalg.inv(self.covariance)
        covariance = torch.linalg.inv(prior_precision + precision)
        covariance = (covariance + covariance.T) / 2
        mean = covariance @ (prior_precision @ self.mean.reshape(n) + precision @ target.double().reshape(n))
        return mean.reshape(self.shape), covariance
