"""Brute-force enumeration of every trajectory of a tiny MDP: the oracle for the messages.

tau = (s_0, a_0, ..., a_{T-1}, s_T); log p(tau, O) = log rho(s_0) + sum_t [log p(a_t | s_t) + r / alpha
+ log P(s_{t+1} | s_t, a_t)]. There are S^(T+1) A^T trajectories, so keep S, A and T tiny.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from diffplan.errors import UserError
from diffplan.exact.mdp import TabularMDP
from diffplan.exact.messages import finite_horizon

MAX_TRAJECTORIES = 2_000_000


@dataclass(frozen=True)
class EnumeratedPosterior:
    """Every trajectory of one MDP (batch entry) with its posterior probability.

    Attributes:
        states: ``(N, T + 1)`` s_0..s_T.
        actions: ``(N, T)`` a_0..a_{T-1}.
        log_posterior: ``(N,)`` log p(tau | O) (``-inf`` for impossible trajectories).
        log_partition: scalar log Z.
    """

    states: Tensor
    actions: Tensor
    log_posterior: Tensor
    log_partition: Tensor

    def state_marginals(self, num_states: int) -> Tensor:
        """``(T + 1, S)`` p(s_t | O)."""
        probs = self.log_posterior.exp()
        out = torch.zeros((self.states.shape[1], num_states), dtype=probs.dtype)
        for t in range(self.states.shape[1]):
            out[t].index_add_(0, self.states[:, t], probs)
        return out

    def state_action_marginals(self, num_states: int, num_actions: int) -> Tensor:
        """``(T, S, A)`` p(s_t, a_t | O)."""
        probs = self.log_posterior.exp()
        out = torch.zeros((self.actions.shape[1], num_states, num_actions), dtype=probs.dtype)
        for t in range(self.actions.shape[1]):
            out[t].index_put_((self.states[:, t], self.actions[:, t]), probs, accumulate=True)
        return out


def enumerate_posterior(mdp: TabularMDP, batch_index: int = 0) -> EnumeratedPosterior:
    """Enumerate p(tau | O) for MDP ``batch_index`` of ``mdp`` (tiny MDPs only)."""
    T = finite_horizon(mdp)
    S, A = mdp.num_states, mdp.num_actions
    count = S ** (T + 1) * A**T
    if count > MAX_TRAJECTORIES:
        raise UserError(f"{count} trajectories is too many to enumerate; use S^(T+1) A^T <= {MAX_TRAJECTORIES}")
    transitions = mdp.dense_transitions()[batch_index].cpu()
    log_prior = mdp.log_action_prior[batch_index].cpu()
    reward = mdp.reward[batch_index].cpu()
    log_rho = torch.log(mdp.initial[batch_index].cpu())
    axes = [torch.arange(S)] + [torch.arange(n) for _ in range(T) for n in (A, S)]
    grid = torch.cartesian_prod(*axes) if len(axes) > 1 else axes[0][:, None]
    states, actions = grid[:, 0::2], grid[:, 1::2]
    log_joint = log_rho[states[:, 0]]
    for t in range(T):
        s, a, s_next = states[:, t], actions[:, t], states[:, t + 1]
        log_joint = log_joint + log_prior[s, a] + reward[s, a] / mdp.alpha + torch.log(transitions[s, a, s_next])
    log_z = torch.logsumexp(log_joint, 0)
    return EnumeratedPosterior(states=states, actions=actions, log_posterior=log_joint - log_z, log_partition=log_z)
