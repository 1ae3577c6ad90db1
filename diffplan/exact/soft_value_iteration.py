"""Infinite-horizon soft value iteration with discount, exact or variational backup.

Iterates u <- log sum_a p(a | s) exp(r(s, a) / alpha + gamma * backup(u')) with u = V / alpha until the
values stop changing (a gamma-contraction for both backups). With a non-uniform action prior
p(a | s) = pi_beta(a | s) the result is the KL-regularised optimum

    pi*(a | s) = pi_beta(a | s) exp((Q_soft(s, a) - V_soft(s)) / alpha),
    Q_soft = r + gamma * E[V_soft'],   V_soft = alpha * log E_{a ~ pi_beta} exp(Q_soft / alpha)

(variational backup), the target of KL-regularised SAC and AWR.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from einops import rearrange
from torch import Tensor

from diffplan.errors import UserError
from diffplan.exact.backups import Backup, SoftBackup, check_backup
from diffplan.exact.mdp import TabularMDP


@dataclass(frozen=True)
class SoftValues:
    """Stationary soft values.

    Attributes:
        q: ``(B, S, A)`` Q_soft(s, a) (reward units, action prior not included).
        v: ``(B, S)`` V_soft(s).
        log_policy: ``(B, S, A)`` log pi*(a | s) = log p(a | s) + (Q - V) / alpha.
        iterations: sweeps performed.
        residual: final max |V_new - V_old| (reward units).
    """

    q: Tensor
    v: Tensor
    log_policy: Tensor
    iterations: int
    residual: float

    @property
    def policy(self) -> Tensor:
        """``(B, S, A)`` pi*(a | s)."""
        return self.log_policy.exp()


def soft_value_iteration(
    mdp: TabularMDP,
    backup: Backup = "variational",
    *,
    tolerance: float = 1e-12,
    max_iterations: int = 100_000,
) -> SoftValues:
    """Discounted soft value iteration (needs ``mdp.discount < 1``); stops when max |dV| <= tolerance."""
    check_backup(backup)
    if not mdp.discount < 1.0:
        raise UserError(f"soft_value_iteration needs discount < 1 to converge, got {mdp.discount}; set discount")
    operator = SoftBackup.from_mdp(mdp)
    u = torch.zeros((mdp.batch_size, mdp.num_states), dtype=mdp.dtype, device=mdp.device)
    residual = float("inf")
    iterations = 0
    while iterations < max_iterations:
        logits, u_new = operator.step(u, backup)
        residual = mdp.alpha * float((u_new - u).abs().max())
        u = u_new
        iterations += 1
        if residual <= tolerance:
            break
    logits, u = operator.step(u, backup)
    log_policy = logits - u[:, None]
    return SoftValues(
        q=rearrange(operator.q(logits), "b a s -> b s a"),
        v=mdp.alpha * u,
        log_policy=rearrange(log_policy, "b a s -> b s a"),
        iterations=iterations,
        residual=residual,
    )
