"""A gridworld IRL problem: an expert's demonstrations and a behaviour policy's unlabelled episodes, packed as
dataset windows of one-hot states, with the exact module as the oracle."""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch
from einops import rearrange, repeat
from torch import Tensor

from diffplan.data.episodes import EpisodeSteps
from diffplan.data.observation_layout import ObservationLayout
from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.exact import TabularMDP, backward_messages, gridworld_from_ascii, soft_value_iteration
from diffplan.exact.visitation import soft_optimal_visitation

LAYOUT = ["S...", ".##.", "....", "#..G"]
HORIZON = 10


@dataclass
class TabularIRLProblem:
    """mdp: the true MDP (its reward is the expert's); behaviour: ``(S, A)`` stationary pi_beta."""

    mdp: TabularMDP
    behaviour: Tensor

    @staticmethod
    def make() -> TabularIRLProblem:
        mdp = gridworld_from_ascii(LAYOUT, horizon=HORIZON, goal_reward=1.0, alpha=0.5)
        # pi_beta: a soft goal-seeker at a high temperature, mixed with uniform actions (full support)
        seeker = soft_value_iteration(mdp.replace(alpha=2.0, horizon=None, discount=0.9)).policy[0]
        return TabularIRLProblem(mdp, 0.7 * seeker + 0.3 / mdp.num_actions)

    def expert_state_counts(self) -> Tensor:
        """``(S,)`` expected state visits of the expert (soft-optimal policy of the true reward)."""
        return soft_optimal_visitation(self.mdp).state_counts[0]

    def learned_state_counts(self, state_reward: Tensor) -> Tensor:
        """``(S,)`` expected visits of p(tau) exp(sum_t r(s_t)) with the behaviour policy as action prior."""
        reward = repeat(state_reward.to(self.mdp.dtype), "s -> 1 s a", a=self.mdp.num_actions)
        model = self.mdp.replace(reward=reward, action_prior=self.behaviour[None], alpha=1.0)
        return soft_optimal_visitation(model).state_counts[0]

    def sample(self, policy: str, episodes: int, seed: int) -> tuple[Tensor, Tensor]:
        """States ``(N, T + 1)`` and actions ``(N, T)`` of ``episodes`` rollouts of the expert or pi_beta."""
        mdp, T = self.mdp, HORIZON
        expert = policy == "expert"
        probs = backward_messages(mdp).policy[0] if expert else repeat(self.behaviour, "s a -> t s a", t=T)
        generator = torch.Generator().manual_seed(seed)
        states = torch.zeros(episodes, T + 1, dtype=torch.long)
        actions = torch.zeros(episodes, T, dtype=torch.long)
        states[:, 0] = torch.multinomial(mdp.initial[0].float(), episodes, replacement=True, generator=generator)
        next_state = mdp.next_state[0].expand(-1, mdp.num_actions, -1)  # (S, A, K)
        for t in range(T):
            s = states[:, t]
            a = torch.multinomial(probs[t, s].float(), 1, generator=generator)[:, 0]
            k = torch.multinomial(mdp.next_prob[0, s, a].float(), 1, generator=generator)[:, 0]
            actions[:, t], states[:, t + 1] = a, next_state[s, a, k]
        return states, actions

    def buffer(self, states: Tensor, actions: Tensor) -> TrajectoryBuffer:
        """Episodes of one-hot states and actions packed as windows of the whole episode (H = T)."""
        S, A = self.mdp.num_states, self.mdp.num_actions
        one_hot_states = torch.nn.functional.one_hot(states, S).float().numpy()
        episodes, T = actions.shape
        steps = EpisodeSteps(
            states=rearrange(one_hot_states[:, :-1], "n t s -> (n t) s"),
            next_states=rearrange(one_hot_states[:, 1:], "n t s -> (n t) s"),
            actions=rearrange(torch.nn.functional.one_hot(actions, A).float().numpy(), "n t a -> (n t) a"),
            rewards=np.zeros(episodes * T),
            terminations=np.zeros(episodes * T, dtype=bool),
            truncations=np.tile(np.arange(T) == T - 1, episodes),
            goals=None,
            episode_lengths=np.full(episodes, T),
        )
        layout = ObservationLayout.from_space(gym.spaces.Box(0.0, 1.0, shape=(S,)))
        return TrajectoryBuffer(steps, T, layout=layout, normalizer="limits")


def total_variation(p: Tensor, q: Tensor) -> float:
    """TV distance between two (unnormalised) distributions ``(S,)``."""
    return 0.5 * float((p / p.sum() - q / q.sum()).abs().sum())
