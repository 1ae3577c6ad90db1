"""Finite-horizon messages of control as inference, p(tau | O) ∝ p(tau) exp(sum_t r(s_t, a_t) / alpha).

A trajectory is tau = (s_0, a_0, s_1, ..., a_{T-1}, s_T) with
p(tau) = rho(s_0) prod_t p(a_t | s_t) P(s_{t+1} | s_t, a_t) and rewards on the T decisions.

Backward messages (log space, t = 0..T-1, with log beta_T(s) = 0):

    log beta_t(s, a) = r(s, a) / alpha + log E_{s' ~ P(.|s,a)} beta_{t+1}(s')     = Q_t(s, a) / alpha
    log beta_t(s)    = log sum_a p(a | s) beta_t(s, a)                              = V_t(s) / alpha
    pi_t(a | s)      = p(a | s) beta_t(s, a) / beta_t(s)          = p(a | s) exp((Q_t - V_t) / alpha)

Forward messages alpha_t(s) = p(s_t = s, O_{0:t-1}):

    alpha_0 = rho,   alpha_{t+1}(s') = sum_{s, a} alpha_t(s) p(a | s) exp(r(s, a) / alpha) P(s' | s, a)

Posterior marginals: p(s_t | O) = alpha_t beta_t / Z and p(s_t, a_t | O) = alpha_t p(a|s) beta_t(s,a) / Z,
with Z = sum_s rho(s) beta_0(s).

``backward_messages(mdp, backup="variational")`` runs the same recursion with the max-ent RL backup
Q = r + E[V'] (see ``backups.py``); its ``log_beta_*`` are then soft values / alpha, not messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch
from einops import rearrange, reduce
from torch import Tensor

from diffplan.errors import UserError
from diffplan.exact.backups import UNDERFLOW_FLOOR, Backup, SoftBackup, check_backup
from diffplan.exact.mdp import TabularMDP


def finite_horizon(mdp: TabularMDP) -> int:
    """The horizon T of ``mdp``; raises ``UserError`` if it has none or is discounted."""
    if mdp.horizon is None:
        raise UserError("this MDP has no horizon; build it with horizon=T or use soft_value_iteration")
    if mdp.discount != 1.0:
        raise UserError(f"finite-horizon messages are undiscounted but discount={mdp.discount}; set discount=1.0")
    return mdp.horizon


@dataclass(frozen=True)
class BackwardMessages:
    """Soft values of the finite-horizon problem (``q``, ``log_beta_sa`` and ``policy`` are computed on
    first access and cached).

    Attributes:
        logits: ``(B, T, S, A)`` log p(a | s) + Q_t(s, a) / alpha, the stored form of beta_t(s, a).
        log_beta_s: ``(B, T + 1, S)`` log beta_t(s) = V_t(s) / alpha; ``log_beta_s[:, T] = 0``.
        log_policy: ``(B, T, S, A)`` log pi_t(a | s).
        log_action_prior: ``(B, 1, S, A)`` log p(a | s).
        alpha: temperature.
        backup: ``"exact"`` or ``"variational"``; with ``"variational"`` the ``log_beta_*`` are soft
            values / alpha, not messages.
    """

    logits: Tensor
    log_beta_s: Tensor
    log_policy: Tensor
    log_action_prior: Tensor
    alpha: float
    backup: str

    @cached_property
    def log_beta_sa(self) -> Tensor:
        """``(B, T, S, A)`` log beta_t(s, a) = log p(O_{t:T-1} | s_t, a_t) = Q_t / alpha."""
        return self.logits - self.log_action_prior

    @cached_property
    def q(self) -> Tensor:
        """``(B, T, S, A)`` Q_t(s, a) = alpha * log beta_t(s, a)."""
        return self.alpha * self.log_beta_sa

    @property
    def v(self) -> Tensor:
        """``(B, T + 1, S)`` V_t(s) = alpha * log beta_t(s)."""
        return self.alpha * self.log_beta_s

    @cached_property
    def policy(self) -> Tensor:
        """``(B, T, S, A)`` pi_t(a | s)."""
        return self.log_policy.exp()


def backward_messages(mdp: TabularMDP, backup: Backup = "exact") -> BackwardMessages:
    """Backward recursion from t = T-1 down to 0, in log space. Returns ``BackwardMessages``."""
    check_backup(backup)
    T = finite_horizon(mdp)
    B, S, A = mdp.reward.shape
    operator = SoftBackup.from_mdp(mdp)
    # lists, not in-place buffers, so that autograd can differentiate through the recursion
    step_logits: list[Tensor] = []  # log p(a|s) + log beta_t(s, a), (B, A, S), t = T-1 .. 0
    log_beta: list[Tensor] = [torch.zeros((B, S), dtype=mdp.dtype, device=mdp.device)]
    for _ in range(T):
        logits_t, log_beta_t = operator.step(log_beta[-1], backup)
        step_logits.append(logits_t)
        log_beta.append(log_beta_t)
    logits = torch.stack(step_logits[::-1], dim=1)  # (B, T, A, S)
    log_beta_s = torch.stack(log_beta[::-1], dim=1)  # (B, T + 1, S)
    log_policy = logits - rearrange(log_beta_s[:, :T], "b t s -> b t 1 s")
    return BackwardMessages(
        logits=rearrange(logits, "b t a s -> b t s a"),
        log_beta_s=log_beta_s,
        log_policy=rearrange(log_policy, "b t a s -> b t s a"),
        log_action_prior=rearrange(mdp.log_action_prior, "b s a -> b 1 s a"),
        alpha=mdp.alpha,
        backup=backup,
    )


def scatter_logsumexp(values: Tensor, index: Tensor, size: int) -> Tensor:
    """``(B, size)`` out[b, j] = log sum_{n: index[b, n] = j} exp(values[b, n]); ``-inf`` where empty.

    ``values`` and ``index`` are ``(B, N)``. Each target is shifted by its own maximum, so no target
    underflows however far apart the values are.
    """
    B = values.shape[0]
    neg_inf = torch.full((B, size), -torch.inf, dtype=values.dtype, device=values.device)
    peak = neg_inf.scatter_reduce(1, index, values, reduce="amax", include_self=True)
    peak = peak.clamp_min(torch.finfo(values.dtype).min)  # targets without finite sources
    total = torch.zeros_like(peak).scatter_add_(1, index, torch.exp(values - torch.gather(peak, 1, index)))
    return torch.log(total) + peak


def forward_messages(mdp: TabularMDP) -> Tensor:
    """``(B, T + 1, S)`` log alpha_t(s) = log p(s_t = s, O_{0:t-1}), log alpha_0 = log rho."""
    T = finite_horizon(mdp)
    B, S, _ = mdp.reward.shape
    # log of p(a | s) exp(r(s, a) / alpha) P(s' | s, a) for every successor, axis-major (B, K, A, S)
    edge_log_weight = rearrange(mdp.log_action_prior + mdp.reward / mdp.alpha, "b s a -> b 1 a s")
    edge_log_weight = edge_log_weight + rearrange(mdp.log_next_prob, "b s a k -> b k a s")
    next_state = rearrange(mdp.next_state, "b s a k -> b k a s")
    if next_state.shape[2] == 1:  # successors shared by all actions: sum the actions out once
        edge_log_weight = torch.logsumexp(edge_log_weight, dim=2, keepdim=True)
    flat_log_weight = rearrange(edge_log_weight, "b k a s -> b (k a s)")
    flat_index = rearrange(next_state, "b k a s -> b (k a s)")
    # fast path: exp(log alpha_t(s) + source_peak(s) - shift) * edge_weight, one scatter_add per step
    source_peak = reduce(edge_log_weight, "b k a s -> b s", "max")
    edge_weight = torch.exp(edge_log_weight - source_peak[:, None, None])
    finite = torch.isfinite(edge_log_weight)
    exact_zeros = bool(((edge_weight > 0) == finite).all())
    smallest_edge = (edge_log_weight - source_peak[:, None, None]).detach().masked_fill(~finite, 0.0).amin()
    flat_edge_weight = rearrange(edge_weight, "b k a s -> b (k a s)")
    repeats = flat_log_weight.shape[1] // S
    floor = math.log(UNDERFLOW_FLOOR)

    log_alpha = [torch.log(mdp.initial)]
    for _ in range(T):
        source = log_alpha[-1] + source_peak
        shift = source.amax(1, keepdim=True)
        lowest = (source - shift).detach().masked_fill(source == -torch.inf, 0.0).amin()
        if exact_zeros and float(lowest + smallest_edge) > floor:  # no contribution can underflow
            contribution = torch.exp(source - shift).repeat(1, repeats) * flat_edge_weight
            total = torch.zeros_like(shift.expand(B, S)).scatter_add(1, flat_index, contribution)
            log_alpha.append(torch.log(total) + shift)
        else:
            flat_source = log_alpha[-1].repeat(1, repeats) + flat_log_weight
            log_alpha.append(scatter_logsumexp(flat_source, flat_index, S))
    log_alpha = torch.stack(log_alpha, dim=1)
    return log_alpha


@dataclass(frozen=True)
class PosteriorMarginals:
    """Marginals of p(tau | O).

    Attributes:
        log_alpha: ``(B, T + 1, S)`` forward messages log alpha_t(s).
        log_partition: ``(B,)`` log Z = log p(O_{0:T-1}).
        state: ``(B, T + 1, S)`` p(s_t = s | O).
        state_action: ``(B, T, S, A)`` p(s_t = s, a_t = a | O).
    """

    log_alpha: Tensor
    log_partition: Tensor
    state: Tensor
    state_action: Tensor


def log_partition(mdp: TabularMDP, messages: BackwardMessages) -> Tensor:
    """``(B,)`` log Z = log sum_s rho(s) beta_0(s)."""
    return torch.logsumexp(torch.log(mdp.initial) + messages.log_beta_s[:, 0], dim=-1)


def posterior_marginals(mdp: TabularMDP, messages: BackwardMessages | None = None) -> PosteriorMarginals:
    """State and state-action marginals of p(tau | O) ∝ alpha * beta (needs exact backward messages)."""
    if messages is None:
        messages = backward_messages(mdp, backup="exact")
    if messages.backup != "exact":
        raise UserError("posterior marginals need exact messages; call backward_messages(mdp, backup='exact')")
    log_alpha = forward_messages(mdp)
    log_z = log_partition(mdp, messages)
    # alpha_t beta_t / Z, normalised at each t (the same in exact arithmetic; at tiny alpha the logs are
    # ~1 / alpha and their rounding would otherwise leave sum_s p(s_t | O) != 1)
    state = torch.softmax(log_alpha + messages.log_beta_s, dim=-1)
    # p(s_t, a_t | O) = p(s_t | O) pi_t(a_t | s_t)
    state_action = rearrange(state[:, :-1], "b t s -> b t s 1") * messages.policy
    return PosteriorMarginals(log_alpha=log_alpha, log_partition=log_z, state=state, state_action=state_action)
