"""Warm start from the previous plan: shift it, re-noise it with the forward process, denoise from there.

After executing k steps of a plan x (B, H, D), its rows k.. are the new plan's first rows; the tail is
padded by repeating the last row. The shifted plan is noised to a training timestep t_w,
``x_{t_w} = sqrt(abar_{t_w}) x + sqrt(1 - abar_{t_w}) eps``, and only the solver steps at timesteps <= t_w
run: a low t_w keeps the previous plan (and costs few steps), t_w = T - 1 forgets it.
"""

from __future__ import annotations

import torch
from einops import repeat
from torch import Tensor

from diffplan.prior.random_streams import Generators, normal


def shift_plan(plan: Tensor, steps: int) -> Tensor:
    """Drop the first ``steps`` rows of plans (B, H, D) and repeat the last row at the end: (B, H, D)."""
    if steps <= 0:
        return plan
    horizon = plan.shape[1]
    steps = min(steps, horizon - 1)
    tail = repeat(plan[:, -1], "b d -> b k d", k=steps)
    return torch.cat((plan[:, steps:], tail), dim=1)


def start_timestep(timesteps: Tensor, noise_level: float, num_train_timesteps: int) -> int:
    """The solver timestep to re-noise to: the largest of ``timesteps`` (descending) at or below
    ``noise_level * (T - 1)``, with ``noise_level`` in [0, 1]; the smallest timestep if none is."""
    target = noise_level * (num_train_timesteps - 1)
    below = timesteps[timesteps <= target + 1e-6]
    return int(below[0]) if len(below) else int(timesteps[-1])


def renoise(x0: Tensor, timestep: int, alphas_cumprod: Tensor, generator: Generators = None,
            temperature: float = 1.0) -> Tensor:
    """Forward process q(x_t | x0) at one training timestep: windows (..., H, D) -> (..., H, D); its noise
    scaled by ``temperature`` (1 = the forward process itself)."""
    a = float(alphas_cumprod[timestep])
    noise = normal(x0.shape, generator, x0.device).to(x0.dtype)
    return a**0.5 * x0 + (1 - a) ** 0.5 * temperature * noise
