"""Any trained actor (run folder, checkpoint or export) as an actor: a prior's planner or an offline-RL policy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from diffplan.data.policies import Policy
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import load_prior
from diffplan.rl.actor import RL_LEARNERS, PolicyActor
from diffplan.training.trained_state import read_trained


@dataclass
class CheckpointActor:
    """An actor rebuilt from a checkpoint, with the dataset it was trained on and its training step."""

    actor: Policy
    dataset_id: str
    step: int
    path: Path


def actor_from_checkpoint(path: str | Path, planner: PlannerConfig | None = None,
                          device: str | torch.device = "cpu") -> CheckpointActor:
    """The actor of a ``train-prior`` model (a planner) or a ``train-rl`` model (its policy): a run folder,
    checkpoint or export folder."""
    state = read_trained(path, ("PriorLearner", *RL_LEARNERS), "a train-prior or train-rl run folder, checkpoint "
                         "or export")
    if state.learner_class == "PriorLearner":
        prior = load_prior(state.path, device)
        return CheckpointActor(DiffusionPlanner(prior, planner or PlannerConfig(), device), state.dataset_id,
                               state.step, state.path)
    return CheckpointActor(PolicyActor.from_checkpoint(state.path, device), state.dataset_id, state.step, state.path)
