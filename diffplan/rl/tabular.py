"""Discrete versions of KL-regularised SAC and AWR/AWAC on tabular parameterisations.

The same losses as :mod:`diffplan.rl.kl_sac` and :mod:`diffplan.rl.awr`, with tables instead of networks:
Q(s, a), V(s) and policy logits are ``(S, A)`` / ``(S,)`` parameters, expectations over the policy's
actions are exact sums over A (discrete SAC), and everything else is sampled: a batch holds transitions
(s, a, r, s') with s ~ d(s), a ~ pi_beta(· | s), s' ~ P(· | s, a), drawn by :class:`TabularTransitionSampler`
from a :class:`~diffplan.exact.TabularMDP`. pi_beta is the MDP's action prior, known here. Both learners
train with the shared :class:`~diffplan.training.trainer.Trainer`; their policies are compared with the exact
optimum pi* ∝ pi_beta · exp(Q_soft / alpha) of ``diffplan.exact.soft_value_iteration`` in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from diffplan.exact.mdp import TabularMDP
from diffplan.rl.critics import value_regression_loss
from diffplan.rl.divergence import advantage_weights
from diffplan.training.learner import Learner, Optimize


@dataclass
class TabularTransitions:
    """B transitions of a tabular MDP: states, actions, next_states ``(B,)`` int64; rewards, terminals ``(B,)``."""

    states: Tensor
    actions: Tensor
    rewards: Tensor
    next_states: Tensor
    terminals: Tensor


class TabularTransitionSampler:
    """Offline data of a known behaviour policy: s ~ d, a ~ pi_beta(· | s), s' ~ P(· | s, a), r = r(s, a).

    Args:
        mdp: an unbatched (B = 1) :class:`TabularMDP`; its ``action_prior`` is pi_beta.
        state_distribution: ``(S,)`` d(s); uniform by default.
    """

    def __init__(self, mdp: TabularMDP, state_distribution: Tensor | None = None):
        self.transitions = mdp.dense_transitions()[0].float()  # (S, A, S)
        self.reward = mdp.reward[0].float()  # (S, A)
        self.behaviour = mdp.action_prior[0].float()  # (S, A)
        S = mdp.num_states
        self.state_distribution = (torch.full((S,), 1.0 / S) if state_distribution is None
                                   else state_distribution.float())

    def __call__(self, batch_size: int) -> TabularTransitions:
        states = torch.multinomial(self.state_distribution, batch_size, replacement=True)
        actions = torch.multinomial(self.behaviour[states], 1)[:, 0]
        next_states = torch.multinomial(self.transitions[states, actions], 1)[:, 0]
        return TabularTransitions(states, actions, self.reward[states, actions], next_states,
                                  torch.zeros(batch_size))


class TabularLearner(Learner):
    """Shared tables: Q and its Polyak target ``(S, A)``, policy logits ``(S, A)``, known log pi_beta ``(S, A)``."""

    def __init__(self, log_behaviour: Tensor, alpha: float, discount: float, target_update_rate: float):
        super().__init__()
        S, A = log_behaviour.shape
        self.register_buffer("log_behaviour", log_behaviour.float())
        self.q = nn.Parameter(torch.zeros(S, A))
        self.register_buffer("target_q", torch.zeros(S, A))
        self.policy_logits = nn.Parameter(log_behaviour.float().clone())
        self.alpha, self.discount, self.target_update_rate = alpha, discount, target_update_rate

    @property
    def log_policy(self) -> Tensor:
        """``(S, A)`` log pi(a | s)."""
        return torch.log_softmax(self.policy_logits, dim=-1)

    def policy_value(self, q: Tensor, states: Tensor, kl_penalty: bool) -> Tensor:
        """``(B,)`` E_{a ~ pi} Q(s, a) − [alpha · KL(pi || pi_beta)(s)], exact over the A actions."""
        log_policy = self.log_policy[states].detach()
        policy = log_policy.exp()
        value = (policy * q[states]).sum(-1)
        if kl_penalty:
            value = value - self.alpha * (policy * (log_policy - self.log_behaviour[states])).sum(-1)
        return value

    def update_target(self) -> None:
        with torch.no_grad():
            self.target_q.lerp_(self.q, self.target_update_rate)


class TabularKLSAC(TabularLearner):
    """Discrete KL-regularised SAC: value penalty in the TD target, KL in the actor loss (both exact sums)."""

    def optimizer_groups(self):
        return {"critic": [self.q], "policy": [self.policy_logits]}

    def training_step(self, batch: TabularTransitions, step: int, optimize: Optimize) -> dict[str, float]:
        with torch.no_grad():
            next_value = self.policy_value(self.target_q, batch.next_states, kl_penalty=True)
            target = batch.rewards + self.discount * (1.0 - batch.terminals) * next_value
        critic_loss = (self.q[batch.states, batch.actions] - target).pow(2).mean()
        optimize("critic", critic_loss)
        log_policy = self.log_policy[batch.states]
        policy = log_policy.exp()
        kl = (policy * (log_policy - self.log_behaviour[batch.states])).sum(-1)
        actor_loss = (self.alpha * kl - (policy * self.q[batch.states].detach()).sum(-1)).mean()
        optimize("policy", actor_loss)
        self.update_target()
        return {"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item(), "kl_estimate": kl.mean().item()}


class TabularAWR(TabularLearner):
    """Discrete AWR: weighted likelihood of dataset actions with w = min(exp(A / alpha), max_weight).

    Args:
        advantage: ``q`` (AWAC, with ``critic_kl_penalty`` in the TD target) or ``value`` (in-sample V).
        value_loss: ``soft`` or ``expectile`` for ``value``.
    """

    def __init__(self, log_behaviour: Tensor, alpha: float, discount: float, target_update_rate: float,
                 advantage: Literal["q", "value"] = "q", value_loss: Literal["expectile", "soft"] = "soft",
                 expectile: float = 0.7, max_weight: float = 100.0, critic_kl_penalty: bool = True):
        super().__init__(log_behaviour, alpha, discount, target_update_rate)
        self.advantage, self.value_loss, self.expectile = advantage, value_loss, expectile
        self.max_weight, self.critic_kl_penalty = max_weight, critic_kl_penalty
        self.v = nn.Parameter(torch.zeros(log_behaviour.shape[0]))

    def optimizer_groups(self):
        groups = {"critic": [self.q], "policy": [self.policy_logits]}
        if self.advantage == "value":
            groups["value"] = [self.v]
        return groups

    def training_step(self, batch: TabularTransitions, step: int, optimize: Optimize) -> dict[str, float]:
        s, a = batch.states, batch.actions
        not_done = 1.0 - batch.terminals
        metrics: dict[str, float] = {}
        if self.advantage == "value":
            q_data = self.target_q[s, a]
            value_loss = value_regression_loss(self.value_loss, q_data - self.v[s], self.expectile, self.alpha)
            optimize("value", value_loss)
            target = batch.rewards + self.discount * not_done * self.v[batch.next_states].detach()
            advantage = q_data - self.v[s].detach()
            metrics["value_loss"] = value_loss.item()
        else:
            next_value = self.policy_value(self.target_q, batch.next_states, kl_penalty=self.critic_kl_penalty)
            target = batch.rewards + self.discount * not_done * next_value
        critic_loss = (self.q[s, a] - target).pow(2).mean()
        optimize("critic", critic_loss)
        if self.advantage == "q":
            advantage = self.q[s, a].detach() - self.policy_value(self.q.detach(), s, kl_penalty=False)
        weights = advantage_weights(advantage, self.alpha, self.max_weight)
        actor_loss = -(weights * self.log_policy[s, a]).mean()
        optimize("policy", actor_loss)
        self.update_target()
        metrics.update({"critic_loss": critic_loss.item(), "actor_loss": actor_loss.item(),
                        "weight_max": weights.max().item()})
        return metrics


def total_variation(log_policy: Tensor, log_reference: Tensor) -> Tensor:
    """``(S,)`` ½ Σ_a |pi(a | s) − pi_ref(a | s)| of two ``(S, A)`` log-policies."""
    return 0.5 * (log_policy.exp() - log_reference.exp()).abs().sum(-1)
