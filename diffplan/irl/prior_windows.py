"""Windows of a trained prior as the background of max-ent IRL (``background: prior``).

A pool of prior samples is drawn once before training: each starts from the first state of a dataset window
(and ends at its last state when the prior inpaints goals), so the pool follows the prior's p(tau) over the
dataset's start states. The pool is kept in the reward's normalisation and sampled uniformly.
"""

from __future__ import annotations

import torch
from torch import Tensor

from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.errors import UserError
from diffplan.irl.irl_batch import WindowSource, renormalise
from diffplan.prior.inpainting import Conditions, last_real_rows
from diffplan.prior.prior_checkpoint import TrainedPrior
from diffplan.prior.sampling import sample


def prior_window_pool(prior: TrainedPrior, buffer: TrajectoryBuffer, count: int, solver: str, num_steps: int,
                      chunk: int = 256) -> Tensor:
    """``(count, H, A + S)`` prior samples in ``buffer``'s normalisation, conditioned on dataset windows."""
    if prior.horizon != buffer.horizon or prior.action_dim != buffer.action_dim:
        raise UserError(f"the prior's windows (H={prior.horizon}, A={prior.action_dim}) differ from the data's "
                        f"(H={buffer.horizon}, A={buffer.action_dim}); set data.horizon to the prior's")
    pool = []
    for begin in range(0, count, chunk):
        windows = buffer.sample(min(chunk, count - begin))
        x = renormalise(windows.x, windows.mask, buffer.normalizer, prior.normalizer)
        conditions = Conditions.from_windows(x, prior.action_dim, windows.mask, goal=prior.inpaint_goal)
        denoiser = prior.denoiser(conditions, last_real_rows(x, windows.mask) if prior.inpaint_goal else None)
        plans = sample(denoiser, tuple(x.shape), conditions, solver, num_steps, device=buffer.device)
        pool.append(renormalise(plans, torch.ones_like(windows.mask), prior.normalizer, buffer.normalizer))
    return torch.cat(pool)


def pool_windows(pool: Tensor) -> WindowSource:
    """Uniform draws from a pool of windows ``(N, H, D)`` (every step real)."""

    def draw(n: int) -> tuple[Tensor, Tensor]:
        x = pool[torch.randint(pool.shape[0], (n,), device=pool.device)]
        return x, torch.ones(x.shape[:2], dtype=torch.bool, device=pool.device)

    return draw
