"""KL-regularised offline SAC (BRAC): TD learning of E[Σ r] − alpha · KL(pi || pi_beta).

Per step, in order (each objective stepped by the trainer's ``optimize``):

1. behaviour prior: −log pi_beta(a | s) on dataset actions (the only update during the warm-up);
2. critic (twin Q, Polyak targets): Q_i(s, a) → r + γ (1 − d) [min_j Q'_j(s', a') − alpha · D̂(s')],
   a' ~ pi(· | s'), with the value penalty D̂(s') = mean_n log pi(a'_n | s') − log pi_beta(a'_n | s')
   switchable (``value_penalty``);
3. actor: E_{a ~ pi}[alpha · D̂(s) − min_j Q_j(s, a)] with reparameterised samples (policy regularisation
   switchable; without it the actor maximises Q alone);
4. temperature (``tune_alpha``): log alpha ← log alpha + lr · (D̂ − target_kl), the dual ascent that holds
   the KL estimate at its budget;
5. Polyak update of the target critics.

With both penalties the fixed point is pi* ∝ pi_beta · exp(Q_soft / alpha), Q_soft the soft Q-function
with pi_beta as the action prior (checked against ``diffplan.exact.soft_value_iteration`` in the tabular
version, :mod:`diffplan.rl.tabular`).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from diffplan.data.trajectory_buffer import Transitions
from diffplan.rl.behaviour_prior import behaviour_cloning_loss, frozen
from diffplan.rl.critics import TwinQ
from diffplan.rl.divergence import kl_estimate
from diffplan.rl.networks import polyak_update
from diffplan.rl.policy_network import TanhGaussianPolicy
from diffplan.rl.rl_config import BehaviourPriorConfig, CriticConfig, KLSACConfig
from diffplan.training.learner import Learner, Optimize


class KLRegularisedSAC(Learner):
    """BRAC-style actor-critic with a behaviour-cloned prior; batches are :class:`Transitions`, actions in [−1, 1].

    Args:
        state_dim: S; action_dim: A.
        config: the KL-SAC settings; critic: critic settings; prior: behaviour prior settings.
    """

    def __init__(self, state_dim: int, action_dim: int, config: KLSACConfig, critic: CriticConfig,
                 prior: BehaviourPriorConfig):
        super().__init__()
        self.state_dim, self.action_dim = state_dim, action_dim
        self.config, self.critic_config, self.prior_config = config, critic, prior
        self.policy = TanhGaussianPolicy(state_dim, action_dim, config.actor_hidden_dims)
        self.behaviour_prior = TanhGaussianPolicy(state_dim, action_dim, prior.hidden_dims, prior.components)
        self.critic = TwinQ(state_dim, action_dim, critic.hidden_dims, critic.ensemble, critic.layer_norm)
        self.target_critic = copy.deepcopy(self.critic).requires_grad_(False)
        self.log_alpha = nn.Parameter(torch.tensor(math.log(config.alpha)), requires_grad=config.tune_alpha)
        self.extra_metadata: dict[str, Any] = {}

    @property
    def alpha(self) -> float:
        return float(self.log_alpha.detach().exp())

    def optimizer_groups(self):
        groups = {"behaviour_prior": self.behaviour_prior.parameters(), "critic": self.critic.parameters(),
                  "policy": self.policy.parameters()}
        if self.config.tune_alpha:
            groups["temperature"] = [self.log_alpha]
        return groups

    def policy_kl(self, states: torch.Tensor, samples: int, reparameterise: bool
                  ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Actions ``(N, B, A)`` from pi at states ``(B, S)``, their log pi ``(N, B)`` and D̂(s) ``(B,)``."""
        distribution = self.policy(states)
        actions, log_policy = distribution.rsample((samples,)) if reparameterise else distribution.sample((samples,))
        log_behaviour = self.behaviour_prior(states).log_prob(actions)
        return actions, log_policy, kl_estimate(log_policy, log_behaviour)

    def training_step(self, batch: Transitions, step: int, optimize: Optimize) -> dict[str, float]:
        config, gamma = self.config, self.critic_config.discount
        behaviour_loss = behaviour_cloning_loss(self.behaviour_prior, batch.states, batch.actions)
        optimize("behaviour_prior", behaviour_loss)
        metrics = {"behaviour_nll": behaviour_loss.item()}
        if step < self.prior_config.warmup_steps:
            return metrics
        alpha = self.log_alpha.exp().detach()

        with torch.no_grad():
            next_actions, _, next_kl = self.policy_kl(batch.next_states, config.kl_samples, reparameterise=False)
            next_q = self.target_critic.minimum(batch.next_states, next_actions).mean(0)
            next_value = next_q - alpha * next_kl if config.value_penalty else next_q
            target = batch.rewards + gamma * (1.0 - batch.terminals) * next_value
        q = self.critic(batch.states, batch.actions)  # (E, B)
        critic_loss = (q - target).pow(2).mean(1).sum()
        optimize("critic", critic_loss)

        with frozen(self.critic, self.behaviour_prior):
            actions, log_policy, kl = self.policy_kl(batch.states, config.kl_samples, reparameterise=True)
            q_policy = self.critic.minimum(batch.states, actions).mean(0)
        actor_loss = (alpha * kl - q_policy).mean() if config.policy_regularisation else (-q_policy).mean()
        optimize("policy", actor_loss)
        kl_mean = kl.mean().detach()

        if config.tune_alpha:
            temperature_loss = -self.log_alpha * (kl_mean - config.target_kl)
            optimize("temperature", temperature_loss)
        polyak_update(self.target_critic, self.critic, self.critic_config.target_update_rate)
        metrics.update({
            "critic_loss": critic_loss.item(), "actor_loss": actor_loss.item(), "q_mean": q.mean().item(),
            "kl_estimate": kl_mean.item(), "alpha": self.alpha, "policy_entropy": -log_policy.mean().item(),
        })
        return metrics

    def metadata(self) -> dict[str, Any]:
        return {"algorithm": "kl_sac", "state_dim": self.state_dim, "action_dim": self.action_dim,
                "policy_hidden_dims": list(self.config.actor_hidden_dims), **self.extra_metadata}
