"""An AIRL-style discriminator against the behaviour prior pi_beta, as a learner of the shared trainer.

AIRL (Fu et al. 2018) classifies expert transitions against the generator's with

    D(s, a, s') = exp(f(s, a, s')) / (exp(f(s, a, s')) + pi(a | s)),    logit D = f − log pi(a | s),
    f(s, a, s') = r_phi(s, a) + gamma · h(s') − h(s)        (or f = r_phi with ``shaping: false``),

where h is a shaping potential and r_phi the disentangled reward. Offline there is no generator to train:
the contrast is the behaviour data, so pi is the behaviour prior pi_beta, a tanh-Gaussian fit by behaviour
cloning on the unlabelled data in the same step (its log-probabilities are constants for the discriminator).
The discriminator loss is the balanced logistic loss of demonstration transitions (label 1) against
behaviour transitions (label 0), plus the reward-scale penalty on r_phi. At its optimum
f = log pi_beta(a | s) + log d_E(s, a, s') / d_beta(s, a, s'), so r_phi recovers the expert's reward up to
shaping and the state-only term log d_E(s) / d_beta(s) (the generator never moves towards the expert, unlike
online AIRL). The exported reward is r_phi; under a behaviour-prior posterior p_beta(tau) exp(sum r) the full
logit f − log pi_beta is the density-ratio reward. Transitions are consecutive real rows of windows.
"""

from __future__ import annotations

from typing import Any

import torch
from einops import rearrange
from torch import Tensor, nn

from diffplan.data.normalizer import AffineNormalizer
from diffplan.irl.irl_batch import IRLBatch
from diffplan.irl.regularisation import reward_l2
from diffplan.irl.reward_config import AIRLConfig
from diffplan.irl.reward_network import RewardNetwork
from diffplan.rl.action_bounds import ActionBounds
from diffplan.rl.behaviour_prior import behaviour_cloning_loss
from diffplan.rl.networks import mlp
from diffplan.rl.policy_network import TanhGaussianPolicy
from diffplan.training.learner import Learner, Optimize


def window_transitions(x: Tensor, mask: Tensor, action_dim: int) -> tuple[Tensor, Tensor, Tensor]:
    """States ``(N, S)``, actions ``(N, A)`` and next states ``(N, S)`` of the consecutive real rows of
    windows ``x (B, H, A + S)`` with real-step ``mask (B, H)``."""
    valid = rearrange(mask[:, :-1] & mask[:, 1:], "b h -> (b h)")
    rows = rearrange(x[:, :-1], "b h d -> (b h) d")[valid]
    next_states = rearrange(x[:, 1:, action_dim:], "b h s -> (b h) s")[valid]
    return rows[:, action_dim:], rows[:, :action_dim], next_states


class AIRLLearner(Learner):
    """Trains r_phi (and h, pi_beta) by the AIRL-style discriminator on demonstration vs behaviour transitions.

    Args:
        reward: the reward network r_phi (normalised inputs).
        config: discriminator settings.
        normalizer: rows' normaliser (actions are unnormalised, then mapped to pi_beta's unit box).
        bounds: the action space's bounds.
        l2: weight of the reward-scale penalty E[r²].
        data_metadata: saved with checkpoints.
    """

    def __init__(self, reward: RewardNetwork, config: AIRLConfig, normalizer: AffineNormalizer,
                 bounds: ActionBounds, l2: float, data_metadata: dict[str, Any]) -> None:
        super().__init__()
        S, A = reward.config.state_dim, reward.config.action_dim
        self.reward = reward
        self.potential = mlp(S, 1, config.potential_hidden_dims) if config.shaping else None
        self.behaviour_prior = TanhGaussianPolicy(S, A, config.behaviour_hidden_dims, config.behaviour_components)
        self.discount = config.discount
        self.l2 = l2
        self.data_metadata = data_metadata
        action_normalizer = normalizer.select(slice(0, A))
        self.register_buffer("action_shift", action_normalizer.shift.clone(), persistent=False)
        self.register_buffer("action_scale", action_normalizer.scale.clone(), persistent=False)
        self.register_buffer("action_low", bounds.low.clone(), persistent=False)
        self.register_buffer("action_high", bounds.high.clone(), persistent=False)

    def optimizer_groups(self):
        discriminator = list(self.reward.parameters())
        if self.potential is not None:
            discriminator += list(self.potential.parameters())
        return {"behaviour_prior": self.behaviour_prior.parameters(), "discriminator": discriminator}

    def unit_actions(self, actions: Tensor) -> Tensor:
        """Normalised actions ``(N, A)`` → pi_beta's unit box [-1, 1]."""
        bounds = ActionBounds(self.action_low, self.action_high)
        return bounds.to_unit(actions * self.action_scale + self.action_shift)

    def shaped_reward(self, states: Tensor, actions: Tensor, next_states: Tensor) -> tuple[Tensor, Tensor]:
        """f ``(N,)`` and r_phi ``(N,)`` of transitions ``(N, S)``, ``(N, A)``, ``(N, S)``."""
        reward = self.reward.step_reward(states, actions, next_states)
        if self.potential is None:
            return reward, reward
        h = rearrange(self.potential(torch.cat([states, next_states])), "n 1 -> n")
        h_now, h_next = h.chunk(2)
        return reward + self.discount * h_next - h_now, reward

    def training_step(self, batch: IRLBatch, step: int, optimize: Optimize) -> dict[str, float]:
        A = self.reward.action_dim
        demo = window_transitions(batch.demo_x, batch.demo_mask, A)
        behaviour = window_transitions(batch.background_x, batch.background_mask, A)
        behaviour_loss = behaviour_cloning_loss(self.behaviour_prior, behaviour[0], self.unit_actions(behaviour[1]))
        optimize("behaviour_prior", behaviour_loss)
        losses, rewards = [], []
        for (states, actions, next_states), label in ((demo, 1.0), (behaviour, 0.0)):
            with torch.no_grad():
                log_pi = self.behaviour_prior(states).log_prob(self.unit_actions(actions))
            f, reward = self.shaped_reward(states, actions, next_states)
            logits = f - log_pi
            losses.append(nn.functional.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label)))
            rewards.append(reward)
        discriminator_loss = 0.5 * (losses[0] + losses[1])
        penalty = reward_l2(rewards, [torch.ones_like(r, dtype=torch.bool) for r in rewards])
        optimize("discriminator", discriminator_loss + self.l2 * penalty)
        return {"loss": discriminator_loss.item(), "behaviour_nll": behaviour_loss.item(),
                "reward_l2": penalty.item(), "demo_reward": rewards[0].mean().item(),
                "background_reward": rewards[1].mean().item()}

    def metadata(self) -> dict[str, Any]:
        return self.data_metadata
