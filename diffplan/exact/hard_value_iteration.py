"""Hard (alpha = 0) value iteration: the limit the soft backups must reach as alpha -> 0.

V(s) = max over allowed actions (p(a | s) > 0) of Q(s, a), Q = r + gamma * E[V'].
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from einops import rearrange
from torch import Tensor

from diffplan.errors import UserError
from diffplan.exact.backups import SoftBackup
from diffplan.exact.mdp import TabularMDP
from diffplan.exact.messages import finite_horizon


@dataclass(frozen=True)
class HardValues:
    """Optimal values without entropy.

    Attributes:
        q: ``(B, T, S, A)`` finite horizon or ``(B, S, A)`` discounted; ``-inf`` for forbidden actions.
        v: ``(B, T + 1, S)`` finite horizon or ``(B, S)`` discounted.
    """

    q: Tensor
    v: Tensor

    @property
    def greedy_action(self) -> Tensor:
        """``(B, T, S)`` or ``(B, S)`` argmax_a Q."""
        return self.q.argmax(-1)


def _masked(q: Tensor, allowed: Tensor) -> Tensor:
    return q.masked_fill(~allowed, -torch.inf)


def hard_backward_values(mdp: TabularMDP) -> HardValues:
    """Finite-horizon hard values: q ``(B, T, S, A)``, v ``(B, T + 1, S)``."""
    T = finite_horizon(mdp)
    operator = SoftBackup.from_mdp(mdp)
    reward = rearrange(mdp.reward, "b s a -> b a s")
    allowed = rearrange(mdp.action_prior > 0, "b s a -> b a s")
    B, A, S = reward.shape
    q = torch.empty((B, T, A, S), dtype=mdp.dtype, device=mdp.device)
    v = torch.zeros((B, T + 1, S), dtype=mdp.dtype, device=mdp.device)
    for t in range(T - 1, -1, -1):
        q[:, t] = _masked(reward + operator.expectation(v[:, t + 1]), allowed)
        v[:, t] = q[:, t].amax(1)
    return HardValues(q=rearrange(q, "b t a s -> b t s a"), v=v)


def hard_value_iteration(mdp: TabularMDP, *, tolerance: float = 1e-12, max_iterations: int = 100_000) -> HardValues:
    """Discounted hard value iteration (needs ``mdp.discount < 1``): q ``(B, S, A)``, v ``(B, S)``."""
    if not mdp.discount < 1.0:
        raise UserError(f"hard_value_iteration needs discount < 1 to converge, got {mdp.discount}; set discount")
    operator = SoftBackup.from_mdp(mdp)
    reward = rearrange(mdp.reward, "b s a -> b a s")
    allowed = rearrange(mdp.action_prior > 0, "b s a -> b a s")
    v = torch.zeros((mdp.batch_size, mdp.num_states), dtype=mdp.dtype, device=mdp.device)
    for _ in range(max_iterations):
        q = _masked(reward + mdp.discount * operator.expectation(v), allowed)
        v_new = q.amax(1)
        done = float((v_new - v).abs().max()) <= tolerance
        v = v_new
        if done:
            break
    q = _masked(reward + mdp.discount * operator.expectation(v), allowed)
    return HardValues(q=rearrange(q, "b a s -> b s a"), v=q.amax(1))
