"""The mode of the elites' Gaussian times the likelihood: an elite mean that may leave the data's spread.

The cross-entropy method fits a Gaussian N(mu, diag sigma²) to the most likely few candidates and returns its
mean. Here that Gaussian stands for the prior near the elites, and the plan is the mode of the posterior it
makes with the likelihood::

    x* = argmax_x  log p(O | x) - sum_d (x_d - mu_d)² / (2 sigma_d²)

Each entry moves along the likelihood's gradient as far as the elites spread in it: entries the candidates
agree on (inpainted start states, a single elite) stay at mu, and for a linear log-likelihood with gradient g
the mode is mu + sigma² g exactly. A critic Q(s_0, a_0) / alpha as the likelihood so moves the first action off
the data's noise, by at most what the prior allows there, as TD3+BC's actor moves off the data's action by
maximising Q less a squared distance to it.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import Tensor

from diffplan.inference.best_of_n import elites
from diffplan.inference.likelihood import Likelihood


def elite_gaussian(candidates: Tensor, values: Tensor, fraction: float) -> tuple[Tensor, Tensor]:
    """Mean and variance (B, H, D) of the ``ceil(fraction * N)`` highest-valued candidates (B, N, H, D).

    The variance is the unbiased one over the elites, zero with a single elite.
    """
    best = elites(candidates, values, fraction)
    variance = best.var(dim=1) if best.shape[1] > 1 else torch.zeros_like(best[:, 0])
    return best.mean(dim=1), variance


def elite_mode(candidates: Tensor, values: Tensor, fraction: float, likelihood: Likelihood, steps: int) -> Tensor:
    """The posterior mode of N(elite mean, elite variance) p(O | x): (B, N, H, D), (B, N) -> (B, H, D).

    Found by L-BFGS (strong-Wolfe line search, ``steps`` iterations at most) in whitened coordinates
    z = (x - mu) / sigma, where the prior term is -|z|² / 2; the likelihood is read at t = 0.
    """
    mean, variance = elite_gaussian(candidates, values, fraction)
    scale = variance.sqrt()
    z = torch.zeros_like(mean, requires_grad=True)
    t = torch.zeros(mean.shape[0], dtype=torch.long, device=mean.device)
    optimiser = torch.optim.LBFGS([z], max_iter=steps, line_search_fn="strong_wolfe")

    def negative_log_posterior() -> Tensor:
        optimiser.zero_grad()
        loss = 0.5 * z.square().sum() - likelihood.log_likelihood(mean + scale * z, t).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimiser.step(negative_log_posterior)
    mode = (mean + scale * z).detach()
    finite = rearrange(mode.isfinite().all(dim=2).all(dim=1), "b -> b 1 1")
    return torch.where(finite, mode, mean)  # a likelihood that is not finite near the elites leaves their mean
