"""Expected visitation of a policy run through the true dynamics, and of demonstrations.

d_0 = rho,   d_{t+1}(s') = sum_{s, a} d_t(s) pi_t(a | s) P(s' | s, a),   D_t(s, a) = d_t(s) pi_t(a | s).

For the soft-optimal policy of the variational backup these are the expected counts of max-ent IRL
(Ziebart et al. 2010). Under stochastic dynamics they differ from the posterior marginals of
p(tau | O) (``posterior_marginals``), which also bias the dynamics.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from einops import rearrange, reduce
from torch import Tensor

from diffplan.errors import UserError
from diffplan.exact.backups import Backup
from diffplan.exact.mdp import TabularMDP
from diffplan.exact.messages import backward_messages, finite_horizon


@dataclass(frozen=True)
class Visitation:
    """Expected visitation.

    Attributes:
        state: ``(B, T + 1, S)`` d_t(s) = P(s_t = s).
        state_action: ``(B, T, S, A)`` D_t(s, a) = P(s_t = s, a_t = a).
    """

    state: Tensor
    state_action: Tensor

    @property
    def state_counts(self) -> Tensor:
        """``(B, S)`` expected number of decisions taken in each state, sum_{t < T} d_t(s)."""
        return reduce(self.state[:, :-1], "b t s -> b s", "sum")


def policy_visitation(mdp: TabularMDP, log_policy: Tensor) -> Visitation:
    """Visitation of the (time-dependent) policy ``log_policy (B, T, S, A)`` from rho."""
    T = finite_horizon(mdp)
    B, S, A = mdp.reward.shape
    if log_policy.shape != (B, T, S, A):
        raise UserError(f"log_policy must have shape (B, T, S, A) = {(B, T, S, A)}, got {tuple(log_policy.shape)}")
    policy = log_policy.exp()
    next_prob = rearrange(mdp.next_prob, "b s a k -> b k a s")
    next_state = rearrange(mdp.next_state, "b s a k -> b k a s")
    shared = next_state.shape[2] == 1
    flat_index = rearrange(next_state, "b k a s -> b (k a s)")
    state = torch.zeros((B, T + 1, S), dtype=mdp.dtype, device=mdp.device)
    state[:, 0] = mdp.initial
    for t in range(T):
        flow = rearrange(state[:, t], "b s -> b 1 1 s") * rearrange(policy[:, t], "b s a -> b 1 a s") * next_prob
        if shared:
            flow = reduce(flow, "b k a s -> b k 1 s", "sum")
        state[:, t + 1].scatter_add_(1, flat_index, rearrange(flow, "b k a s -> b (k a s)"))
    state_action = rearrange(state[:, :-1], "b t s -> b t s 1") * policy
    return Visitation(state=state, state_action=state_action)


def soft_optimal_visitation(
    mdp: TabularMDP, reward: Tensor | None = None, backup: Backup = "variational"
) -> Visitation:
    """Visitation of the soft-optimal policy for ``reward (B, S, A)`` (default: the MDP's own)."""
    if reward is not None:
        mdp = mdp.replace(reward=reward)
    return policy_visitation(mdp, backward_messages(mdp, backup).log_policy)


def empirical_visitation(states: Tensor, actions: Tensor, num_states: int, num_actions: int) -> Tensor:
    """``(T, S, A)`` fraction of demonstrations in (s, a) at each t, from ``states (N, T)`` (or
    ``(N, T + 1)``; the last column is ignored) and ``actions (N, T)`` int tensors."""
    N, T = actions.shape
    if states.ndim != 2 or states.shape[0] != N or states.shape[1] not in (T, T + 1):
        raise UserError(f"states must have shape (N, T) or (N, T + 1) for actions {(N, T)}, got {tuple(states.shape)}")
    flat = states[:, :T] * num_actions + actions  # (N, T)
    counts = torch.zeros((T, num_states * num_actions), dtype=torch.float64, device=actions.device)
    ones = torch.ones((T, N), dtype=torch.float64, device=actions.device)
    counts.scatter_add_(1, rearrange(flat, "n t -> t n"), ones)
    return rearrange(counts / N, "t (s a) -> t s a", a=num_actions)
