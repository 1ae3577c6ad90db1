"""One-step soft Bellman backups: the exact backup of inference and the variational backup of max-ent RL.

With next-state values V'(s') (units of reward) and temperature alpha:

* exact (posterior inference):  Q(s, a) = r(s, a) + gamma * alpha * log E_{s' ~ P(.|s,a)} exp(V'(s') / alpha)
  — this is alpha * log beta(s, a). It is *optimistic* under stochastic dynamics: the posterior also
  chooses the dynamics' outcome, so a lottery with a tiny chance of a big prize looks almost as good as
  the prize.
* variational (maximum-entropy RL): Q(s, a) = r(s, a) + gamma * E_{s' ~ P(.|s,a)} V'(s'); the dynamics
  are kept fixed, and the optimism is gone.

Both use the same soft state value with the action prior folded into the reward,

    V(s) = alpha * log sum_a p(a | s) exp(Q(s, a) / alpha)      (= alpha * log beta(s))
    pi(a | s) = p(a | s) exp((Q(s, a) - V(s)) / alpha),

i.e. the soft value of the folded reward r(s, a) + alpha * log p(a | s) over a uniform counting measure.
Everything divides by alpha inside a logsumexp, so alpha -> 0 tends to the hard max without NaN.

``SoftBackup`` holds an MDP in "axis-major" layout — ``(B, A, S)`` and ``(B, K, A, S)`` — because torch
on CPU reduces over a leading axis many times faster than over a short trailing one. The functions
``soft_backup``, ``soft_state_value`` and ``soft_policy`` give the same maths in the public
``(B, S, A)`` layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import torch
from einops import rearrange
from torch import Tensor

from diffplan.errors import UserError
from diffplan.exact.mdp import TabularMDP

Backup = Literal["exact", "variational"]
BACKUPS: tuple[str, ...] = ("exact", "variational")

# Below this, sum_k P exp(V' - max V') may have lost precision to underflow; such entries are redone
# with a per-(s, a) logsumexp.
UNDERFLOW_FLOOR = 1e-250


def check_backup(backup: str) -> None:
    """Raise ``UserError`` unless ``backup`` names a known backup."""
    if backup not in BACKUPS:
        raise UserError(f"unknown backup {backup!r}; use one of {', '.join(BACKUPS)}")


def logsumexp_leading(x: Tensor) -> Tensor:
    """logsumexp over axis 1 of ``(B, N, ...)``; entries are -inf or finite (never all -inf)."""
    peak = x.amax(1, keepdim=True)
    return torch.log(torch.exp(x - peak).sum(1)) + peak[:, 0]


@dataclass(frozen=True)
class SoftBackup:
    """An MDP's tensors laid out for repeated backups, in units of alpha (u = V / alpha).

    Attributes:
        next_state: ``(B, K, A or 1, S)`` successors.
        next_prob: ``(B, K, A, S)`` P(s' | s, a).
        log_next_prob: ``(B, K, A, S)``.
        log_action_prior: ``(B, A, S)``.
        step_logit: ``(B, A, S)`` log p(a | s) + r(s, a) / alpha, the folded reward over alpha.
        alpha: temperature.
        discount: gamma.
        move_prob: ``(B, A, K)`` when successors are shared by all actions and P(k | s, a) does not depend
            on s (gridworld slip), else ``None``; the expectation over successors is then a K-term sum.
    """

    next_state: Tensor
    next_prob: Tensor
    log_next_prob: Tensor
    log_action_prior: Tensor
    step_logit: Tensor
    alpha: float
    discount: float
    move_prob: Tensor | None = None

    @cached_property
    def step_logit_peak(self) -> Tensor:
        """``(B, S)`` max_a step_logit."""
        return self.step_logit.amax(1)

    @cached_property
    def step_weight(self) -> Tensor:
        """``(B, A, S)`` exp(step_logit - max_a step_logit), in (0, 1]."""
        return torch.exp(self.step_logit - self.step_logit_peak[:, None])

    @classmethod
    def from_mdp(cls, mdp: TabularMDP) -> SoftBackup:
        def axis_major(x: Tensor) -> Tensor:
            return rearrange(x, "b s a k -> b k a s").contiguous()

        next_prob = axis_major(mdp.next_prob)
        log_action_prior = rearrange(mdp.log_action_prior, "b s a -> b a s").contiguous()
        move_prob = None
        if mdp.next_state.shape[2] == 1 and bool((next_prob == next_prob[..., :1]).all()):
            move_prob = rearrange(next_prob[..., 0], "b k a -> b a k").contiguous()
        return cls(
            next_state=axis_major(mdp.next_state),
            next_prob=next_prob,
            log_next_prob=torch.log(next_prob),
            log_action_prior=log_action_prior,
            step_logit=log_action_prior + rearrange(mdp.reward, "b s a -> b a s") / mdp.alpha,
            alpha=mdp.alpha,
            discount=mdp.discount,
            move_prob=move_prob,
        )

    def successor_values(self, u_next: Tensor) -> Tensor:
        """``(B, K, A or 1, S)`` u'(s') of every successor, gathered from ``u_next (B, S)``."""
        B, K, A, S = self.next_state.shape
        flat = torch.gather(u_next, 1, rearrange(self.next_state, "b k a s -> b (k a s)"))
        return rearrange(flat, "b (k a s) -> b k a s", k=K, a=A)

    def expectation(self, values_next: Tensor) -> Tensor:
        """``(B, A, S)`` E_{s' ~ P(.|s,a)} f(s') for ``values_next = f (B, S)``."""
        successors = self.successor_values(values_next)
        if self.move_prob is not None:
            # broadcast-and-sum over the leading K axis, not matmul: BLAS calls cost milliseconds each
            # on a busy CPU, far more than this (B, K, A, S) product
            moves = rearrange(self.move_prob, "b a k -> b k a 1")
            return (moves * successors).sum(1)
        return (self.next_prob * successors).sum(1)

    def logits(self, u_next: Tensor, backup: Backup) -> Tensor:
        """``(B, A, S)`` log p(a | s) + Q(s, a) / alpha from ``u_next = V' / alpha (B, S)``."""
        return self.step(u_next, backup)[0]

    def step(self, u_next: Tensor, backup: Backup) -> tuple[Tensor, Tensor]:
        """One backup: ``logits (B, A, S)`` (see ``logits``) and ``u = V / alpha (B, S)``."""
        if backup == "variational":
            continuation = self.expectation(u_next)  # E[V'] / alpha
            if self.discount != 1.0:
                continuation = self.discount * continuation
            logits = self.step_logit + continuation
            return logits, logsumexp_leading(logits)
        check_backup(backup)
        # log E[exp(u')] with one shift per MDP; entries that underflow are redone per (s, a)
        shift = rearrange(u_next.amax(1), "b -> b 1 1")
        total = self.expectation(torch.exp(u_next - shift[:, 0]))
        continuation = torch.log(total) + shift
        if total.min() < UNDERFLOW_FLOOR:
            careful = logsumexp_leading(self.log_next_prob + self.successor_values(u_next))
            continuation = torch.where(total < UNDERFLOW_FLOOR, careful, continuation)
            total = None
        if self.discount != 1.0:
            continuation = self.discount * continuation
            total = None
        logits = self.step_logit + continuation
        if total is not None:
            # sum_a exp(logits) = exp(shift + peak_logit) * sum_a exp(step_logit - peak_logit) * total
            weighted = (self.step_weight * total).sum(1)
            if weighted.min() >= UNDERFLOW_FLOOR:
                return logits, torch.log(weighted) + self.step_logit_peak + shift[:, 0]
        return logits, logsumexp_leading(logits)

    def q(self, logits: Tensor) -> Tensor:
        """``Q = alpha * (logits - log p(a | s))``, same shape as ``logits (..., A, S)``."""
        return self.alpha * (logits - self.log_action_prior)


def soft_backup(mdp: TabularMDP, v_next: Tensor, backup: Backup = "exact") -> Tensor:
    """``(B, S, A)`` Q = r + gamma * backup(V') for ``v_next (B, S)`` (exact or variational)."""
    operator = SoftBackup.from_mdp(mdp)
    q = operator.q(operator.logits(v_next / mdp.alpha, backup))
    return rearrange(q, "b a s -> b s a")


def soft_state_value(q: Tensor, log_action_prior: Tensor, alpha: float) -> Tensor:
    """``(..., S)`` V = alpha * log sum_a p(a | s) exp(Q / alpha) for ``q (..., S, A)``."""
    return alpha * torch.logsumexp(log_action_prior + q / alpha, dim=-1)


def soft_policy(q: Tensor, log_action_prior: Tensor, alpha: float) -> Tensor:
    """``(..., S, A)`` log pi(a | s) = log p(a | s) + (Q - V) / alpha, computed as a log-softmax."""
    return torch.log_softmax(log_action_prior + q / alpha, dim=-1)
