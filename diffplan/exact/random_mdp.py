"""Random finite MDPs (dense transitions) for tests and oracles."""

from __future__ import annotations

import numpy as np
import torch
from einops import repeat

from diffplan.errors import UserError
from diffplan.exact.mdp import TabularMDP


def random_mdp(
    num_states: int,
    num_actions: int,
    *,
    batch_size: int = 1,
    concentration: float = 1.0,
    reward_scale: float = 1.0,
    random_action_prior: bool = False,
    alpha: float = 1.0,
    horizon: int | None = None,
    discount: float = 1.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> TabularMDP:
    """``batch_size`` random MDPs with dense (K = S) transitions.

    P(. | s, a) ~ Dirichlet(concentration), rewards ~ reward_scale * N(0, 1), initial distribution
    ~ Dirichlet(1). The action prior is uniform, or ~ Dirichlet(1) per state when
    ``random_action_prior`` (a stand-in for a behaviour policy pi_beta).
    """
    if num_states < 1 or num_actions < 1 or batch_size < 1:
        raise UserError(f"need >= 1 states, actions and MDPs; got {num_states}, {num_actions}, {batch_size}")
    if concentration <= 0:
        raise UserError(f"concentration must be > 0 (Dirichlet parameter), got {concentration}")
    rng = np.random.default_rng(seed)
    B, S, A = batch_size, num_states, num_actions

    def dirichlet(shape: tuple[int, ...], c: float) -> torch.Tensor:
        sample = rng.dirichlet(np.full(shape[-1], c), size=shape[:-1])
        sample = np.maximum(sample, 1e-300)
        return torch.from_numpy(sample / sample.sum(-1, keepdims=True))

    transitions = dirichlet((B, S, A, S), concentration)
    reward = reward_scale * torch.from_numpy(rng.standard_normal((B, S, A)))
    initial = dirichlet((B, S), 1.0)
    action_prior = dirichlet((B, S, A), 1.0) if random_action_prior else None
    next_state = repeat(torch.arange(S), "k -> b s 1 k", b=B, s=S).contiguous()
    mdp = TabularMDP(
        initial=initial,
        next_state=next_state,
        next_prob=transitions,
        reward=reward,
        action_prior=action_prior,
        alpha=alpha,
        horizon=horizon,
        discount=discount,
    )
    return mdp.to(device=device, dtype=dtype)
