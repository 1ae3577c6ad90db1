"""AWR / AWAC: project pi* ∝ pi_beta · exp(A / alpha) onto the policy class by weighted likelihood.

The KL-regularised optimum has the closed form pi*(a | s) ∝ pi_beta(a | s) exp(A(s, a) / alpha). Dataset
actions are samples of pi_beta, so maximising E_{(s, a) ~ D}[w(s, a) log pi(a | s)] with
w = min(exp(A / alpha), max_weight) is the (clipped) M-projection of pi* — no explicit pi_beta needed.

Advantages (``advantage``):

* ``q`` (AWAC): twin Q by TD on the policy's next actions, r + γ (1 − d) min Q'(s', a'), a' ~ pi, optionally
  minus alpha · D̂(s') (``critic_kl_penalty``, which makes the fixed point the KL-regularised optimum);
  A = min Q(s, a) − E_{a' ~ pi} min Q(s, a').
* ``value`` (IQL-style): V(s) regressed in-sample on min Q'(s, a) of dataset actions (``expectile`` or
  ``soft``), Q(s, a) → r + γ (1 − d) V(s'); A = min Q'(s, a) − V(s). With ``soft`` V is the soft value under
  pi_beta and exp(A / alpha) is exactly the density ratio pi* / pi_beta.
"""

from __future__ import annotations

import copy
from typing import Any

import torch

from diffplan.data.trajectory_buffer import Transitions
from diffplan.rl.behaviour_prior import behaviour_cloning_loss
from diffplan.rl.critics import StateValue, TwinQ, value_regression_loss
from diffplan.rl.divergence import advantage_weights, kl_estimate
from diffplan.rl.networks import polyak_update
from diffplan.rl.policy_network import TanhGaussianPolicy
from diffplan.rl.rl_config import AWRConfig, BehaviourPriorConfig, CriticConfig
from diffplan.training.learner import Learner, Optimize


class AdvantageWeightedRegression(Learner):
    """AWAC or IQL-style AWR; batches are :class:`Transitions` with actions in [−1, 1].

    Args:
        state_dim: S; action_dim: A.
        config: AWR settings; critic: critic settings; prior: behaviour prior settings (used only with
            ``critic_kl_penalty``).
    """

    def __init__(self, state_dim: int, action_dim: int, config: AWRConfig, critic: CriticConfig,
                 prior: BehaviourPriorConfig):
        super().__init__()
        self.state_dim, self.action_dim = state_dim, action_dim
        self.config, self.critic_config, self.prior_config = config, critic, prior
        self.policy = TanhGaussianPolicy(state_dim, action_dim, config.actor_hidden_dims)
        self.critic = TwinQ(state_dim, action_dim, critic.hidden_dims, critic.ensemble, critic.layer_norm)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.value = (StateValue(state_dim, critic.hidden_dims, critic.layer_norm)
                      if config.advantage == "value" else None)
        self.uses_prior = config.advantage == "q" and config.critic_kl_penalty
        self.behaviour_prior = (TanhGaussianPolicy(state_dim, action_dim, prior.hidden_dims, prior.components)
                                if self.uses_prior else None)
        self.extra_metadata: dict[str, Any] = {}

    def optimizer_groups(self):
        groups = {"critic": self.critic.parameters(), "policy": self.policy.parameters()}
        if self.value is not None:
            groups["value"] = self.value.parameters()
        if self.behaviour_prior is not None:
            groups["behaviour_prior"] = self.behaviour_prior.parameters()
        return groups

    def training_step(self, batch: Transitions, step: int, optimize: Optimize) -> dict[str, float]:
        config, gamma = self.config, self.critic_config.discount
        metrics: dict[str, float] = {}
        if self.behaviour_prior is not None:
            behaviour_loss = behaviour_cloning_loss(self.behaviour_prior, batch.states, batch.actions)
            optimize("behaviour_prior", behaviour_loss)
            metrics["behaviour_nll"] = behaviour_loss.item()
            if step < self.prior_config.warmup_steps:
                return metrics
        not_done = 1.0 - batch.terminals

        if self.value is not None:
            with torch.no_grad():
                q_data = self.target_critic.minimum(batch.states, batch.actions)
            value = self.value(batch.states)
            value_loss = value_regression_loss(config.value_loss, q_data - value, config.expectile, config.alpha)
            optimize("value", value_loss)
            with torch.no_grad():
                target = batch.rewards + gamma * not_done * self.value(batch.next_states)
                advantage = q_data - value.detach()
            metrics["value_loss"] = value_loss.item()
        else:
            with torch.no_grad():
                next_actions, next_log_policy = self.policy(batch.next_states).sample((config.value_samples,))
                next_value = self.target_critic.minimum(batch.next_states, next_actions).mean(0)
                if self.behaviour_prior is not None:
                    log_behaviour = self.behaviour_prior(batch.next_states).log_prob(next_actions)
                    next_kl = kl_estimate(next_log_policy, log_behaviour)
                    next_value = next_value - config.alpha * next_kl
                    metrics["kl_estimate"] = next_kl.mean().item()
                target = batch.rewards + gamma * not_done * next_value

        q = self.critic(batch.states, batch.actions)
        critic_loss = (q - target).pow(2).mean(1).sum()
        optimize("critic", critic_loss)

        if self.value is None:
            with torch.no_grad():
                policy_actions, _ = self.policy(batch.states).sample((config.value_samples,))
                baseline = self.critic.minimum(batch.states, policy_actions).mean(0)
                advantage = self.critic.minimum(batch.states, batch.actions) - baseline
        weights = advantage_weights(advantage, config.alpha, config.max_weight)
        actor_loss = -(weights * self.policy(batch.states).log_prob(batch.actions)).mean()
        optimize("policy", actor_loss)
        polyak_update(self.target_critic, self.critic, self.critic_config.target_update_rate)
        metrics.update({
            "critic_loss": critic_loss.item(), "actor_loss": actor_loss.item(), "q_mean": q.mean().item(),
            "advantage_mean": advantage.mean().item(), "weight_mean": weights.mean().item(),
            "weight_clipped_fraction": (weights >= config.max_weight).float().mean().item(),
        })
        return metrics

    def metadata(self) -> dict[str, Any]:
        return {"algorithm": "awr", "state_dim": self.state_dim, "action_dim": self.action_dim,
                "policy_hidden_dims": list(self.config.actor_hidden_dims), **self.extra_metadata}
