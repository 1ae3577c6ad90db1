"""Loading a learned reward r_phi back from a checkpoint of ``diffplan train-reward``, as a likelihood for
guidance or as a step reward for relabelling."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from diffplan.data.normalizer import AffineNormalizer
from diffplan.data.observation_layout import ObservationLayout
from diffplan.inference.learned_reward import LearnedReward
from diffplan.irl.environment_reward import EnvironmentReward
from diffplan.irl.reward_config import RewardConfig
from diffplan.irl.reward_network import RewardNetwork
from diffplan.training.trained_state import read_trained

LEARNER_CLASSES = {"maxent": "MaxEntIRLLearner", "airl": "AIRLLearner"}


@dataclass
class TrainedReward:
    """A learned reward ready to guide plans or relabel data.

    Attributes:
        reward: r_phi in environment units (EMA weights, eval mode, frozen, on the requested device).
        config: the size-complete config of the training run.
        normalizer: the rows' ``[a, s]`` normaliser r_phi was trained with (the unlabelled data's).
        layout: how the dataset's observations flatten into states.
        step: training step of the checkpoint.
    """

    reward: EnvironmentReward
    config: RewardConfig
    normalizer: AffineNormalizer
    layout: ObservationLayout
    step: int

    @property
    def action_dim(self) -> int:
        return self.config.reward.action_dim

    def likelihood(self, normalizer: AffineNormalizer, alpha: float = 1.0) -> LearnedReward:
        """log p(O | x) = sum_h r_phi(s_h, a_h) / alpha for windows normalised by ``normalizer`` (the prior's)."""
        return LearnedReward(self.reward, self.action_dim, normalizer, normalised_inputs=False, alpha=alpha)


def load_reward(path: str | Path, device: str | torch.device = "cpu") -> TrainedReward:
    """Rebuild r_phi of a ``train-reward`` run folder, checkpoint or export with its EMA weights."""
    state = read_trained(path, LEARNER_CLASSES.values(), "a train-reward run folder, checkpoint or export", device)
    config = state.config_as(RewardConfig)
    network = state.load_part(RewardNetwork(config.reward), "reward.")
    normalizer = state.normalizer.to("cpu")
    return TrainedReward(
        reward=EnvironmentReward(network, normalizer).to(device).eval().requires_grad_(False),
        config=config,
        normalizer=normalizer.to(device),
        layout=state.layout,
        step=state.step,
    )
