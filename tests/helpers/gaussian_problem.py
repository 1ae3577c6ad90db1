"""A Gaussian trajectory prior and a quadratic reward whose posterior p(tau | O) is known in closed form.

Windows of H = 8 rows [action (1), state (1)], correlated in time (squared-exponential kernel) and across the
two columns; the reward pulls every row weakly, and the last row strongly, towards a target.
"""

from __future__ import annotations

import torch

from diffplan.inference.gaussian_prior import GaussianPrior
from diffplan.inference.known_reward import KnownReward

H, D, ACTION_DIM = 8, 2, 1


def gaussian_prior(num_train_timesteps: int = 100) -> GaussianPrior:
    steps = torch.arange(H, dtype=torch.float64)
    time_kernel = 0.5 * torch.exp(-0.5 * (steps[:, None] - steps[None]) ** 2) + 0.1 * torch.eye(H)
    columns = torch.tensor([[1.0, 0.3], [0.3, 0.5]], dtype=torch.float64)
    mean = torch.stack([0.1 * steps, -0.05 * steps], dim=-1)
    return GaussianPrior(mean, torch.kron(time_kernel, columns), num_train_timesteps)


def quadratic_reward(scale: float = 1.0, alpha: float = 1.0) -> tuple[KnownReward, torch.Tensor, torch.Tensor]:
    """The likelihood exp(R / alpha) with R = -1/2 sum W (x - g)^2, and its precision W / alpha and target g."""
    target = torch.zeros(H, D, dtype=torch.float64)
    target[-1] = torch.tensor([1.5, -1.0])
    weights = torch.full((H, D), 0.2, dtype=torch.float64)
    weights[-1] = 4.0
    weights = weights * scale

    def reward(states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        rows = torch.cat((actions, states), dim=-1)
        return -0.5 * ((rows - target.to(rows)) ** 2 * weights.to(rows)).sum(dim=-1)

    return KnownReward(reward, ACTION_DIM, None, alpha), weights / alpha, target


def weighted_moments(x: torch.Tensor, log_weights: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (H, D) and per-entry variance (H, D) of candidates x (B, K, H, D), pooled over the B problems."""
    x = x.double()
    if log_weights is None:
        log_weights = torch.full(x.shape[:2], -torch.log(torch.tensor(float(x.shape[1]))))
    w = log_weights.double().exp()[..., None, None]
    w = w / w.sum(dim=1, keepdim=True)
    mean = (w * x).sum(dim=1)
    var = (w * (x - mean[:, None]) ** 2).sum(dim=1)
    return mean.mean(dim=0), var.mean(dim=0)


def errors(prior: GaussianPrior, x: torch.Tensor, log_weights: torch.Tensor | None, precision, target
           ) -> tuple[float, float, float]:
    """Max |mean error| in posterior standard deviations, min and max variance ratio to the exact posterior."""
    mean, cov = prior.tilted(precision, target)
    var = cov.diag().reshape(H, D)
    m, v = weighted_moments(x, log_weights)
    ratio = v / var
    return float(((m - mean) / var.sqrt()).abs().max()), float(ratio.min()), float(ratio.max())
