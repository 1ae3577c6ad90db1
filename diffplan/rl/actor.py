"""A trained policy as an actor: the Policy protocol (``reset``, ``__call__``) rebuilt from a train-rl model.

"A policy is just another actor": the object returned by :meth:`PolicyActor.from_checkpoint` is driven by
:func:`diffplan.evaluation.rollouts.evaluate_actor` exactly like a planner or a scripted expert.
Observations are flattened with the dataset's :class:`ObservationLayout`, normalised with the saved state
normaliser, and the policy's unit action is mapped to the env's bounds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from diffplan.data.normalizer import AffineNormalizer
from diffplan.data.observation_layout import ObservationLayout
from diffplan.rl.action_bounds import ActionBounds
from diffplan.rl.policy_network import TanhGaussianPolicy
from diffplan.training.trained_state import read_trained

RL_LEARNERS = ("KLRegularisedSAC", "AdvantageWeightedRegression")  # the learners of diffplan train-rl


class PolicyActor:
    """Acts with ``policy`` on flattened, normalised observations.

    Args:
        policy: the trained pi(a | s) (in eval mode).
        layout: how observations become flat states.
        state_normalizer: the dataset's state normaliser.
        bounds: the env's action bounds.
        deterministic: act with tanh(mean) (True) or sample (torch's global generator).
    """

    def __init__(self, policy: TanhGaussianPolicy, layout: ObservationLayout, state_normalizer: AffineNormalizer,
                 bounds: ActionBounds, deterministic: bool = True):
        self.policy = policy.eval()
        self.layout = layout
        self.device = next(policy.parameters()).device
        self.state_normalizer = state_normalizer.to(self.device)
        self.bounds = bounds.to(self.device)
        self.deterministic = deterministic

    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        """Nothing to remember between steps: the policy is Markov."""

    def start(self, envs: gym.vector.VectorEnv, slots: np.ndarray, obs: Any, infos: dict[str, Any],
              episodes: np.ndarray | None = None) -> None:
        """Nothing to remember between episodes (the VectorActor protocol)."""

    def act(self, obs: Any, infos: dict[str, Any], active: np.ndarray) -> np.ndarray:
        """Actions ``(N, A)`` for the batched observations of a vector env."""
        return self.actions(self.layout.state(obs))

    @torch.no_grad()
    def actions(self, states: np.ndarray) -> np.ndarray:
        """Actions ``(B, A)`` in the env's units for flat states ``(B, S)``."""
        x = self.state_normalizer.normalize(torch.as_tensor(states, dtype=torch.float32, device=self.device))
        distribution = self.policy(x)
        unit = distribution.mode() if self.deterministic else distribution.sample()[0]
        return self.bounds.from_unit(unit).cpu().numpy()

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        return self.actions(self.layout.single_state(obs)[None])[0]

    @staticmethod
    def from_checkpoint(path: str | Path, device: str | torch.device = "cpu", deterministic: bool = True
                        ) -> PolicyActor:
        """Rebuild the actor of a ``diffplan train-rl`` run folder, checkpoint or export."""
        state = read_trained(path, RL_LEARNERS, "a train-rl run folder, checkpoint or export", device)
        metadata = state.metadata
        policy = TanhGaussianPolicy(metadata["state_dim"], metadata["action_dim"], metadata["policy_hidden_dims"])
        return PolicyActor(state.load_part(policy, "policy.").to(device), state.layout,
                           AffineNormalizer.from_state_dict(metadata["state_normalizer"]),
                           ActionBounds.from_state_dict(metadata["action_bounds"]), deterministic)
