"""Loading the critic of a ``diffplan train-rl`` run back, to rank or guide a diffusion planner's plans."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from diffplan.data.normalizer import AffineNormalizer
from diffplan.inference.critic_likelihood import CriticLikelihood
from diffplan.rl.action_bounds import ActionBounds
from diffplan.rl.actor import RL_LEARNERS
from diffplan.rl.critics import TwinQ
from diffplan.rl.rl_config import RLRunConfig
from diffplan.training.trained_state import read_trained


@dataclass
class TrainedCritic:
    """The critics Q_1..Q_E(s, a) of an offline-RL run (twin by default; eval mode, frozen), with the units it reads.

    Attributes:
        critic: Q of normalised states and unit actions.
        state_normalizer: the run's state normaliser; bounds: the env's action bounds.
        state_dim, action_dim: S and A it reads.
        dataset_id: the dataset it was trained on; algorithm: ``kl_sac`` or ``awr``; step: training step.
    """

    critic: TwinQ
    state_normalizer: AffineNormalizer
    bounds: ActionBounds
    state_dim: int
    action_dim: int
    dataset_id: str
    algorithm: str
    step: int

    def likelihood(self, row_normalizer: AffineNormalizer, action_dim: int, alpha: float = 1.0,
                   pessimism: float = 1.0) -> CriticLikelihood:
        """log p(O | x) = Q(s_0, a_0) / alpha for windows normalised by ``row_normalizer`` (the prior's); Q is the
        critics' mean less ``pessimism`` standard deviations."""
        return CriticLikelihood(self.critic, row_normalizer, action_dim, self.state_normalizer, self.bounds, alpha,
                                pessimism)


def load_critic(path: str | Path, device: str | torch.device = "cpu") -> TrainedCritic:
    """Rebuild the critic of a ``train-rl`` run folder, checkpoint or export (AWR or KL-SAC)."""
    state = read_trained(path, RL_LEARNERS, "a train-rl run folder, checkpoint or export", device)
    config = state.config_as(RLRunConfig)
    critic = TwinQ(state.metadata["state_dim"], state.metadata["action_dim"], config.critic.hidden_dims,
                   config.critic.ensemble, config.critic.layer_norm)
    return TrainedCritic(
        critic=state.load_part(critic, "critic.").to(device).eval().requires_grad_(False),
        state_normalizer=AffineNormalizer.from_state_dict(state.metadata["state_normalizer"]).to(device),
        bounds=ActionBounds.from_state_dict(state.metadata["action_bounds"]).to(device),
        state_dim=int(state.metadata["state_dim"]),
        action_dim=int(state.metadata["action_dim"]),
        dataset_id=state.dataset_id,
        algorithm=state.metadata["algorithm"],
        step=state.step,
    )
