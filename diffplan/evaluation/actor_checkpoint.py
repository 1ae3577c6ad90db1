"""Any diffplan checkpoint as an actor: a prior's planner or an offline-RL policy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from diffplan.data.policies import Policy
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import load_prior, resolve_checkpoint
from diffplan.rl.actor import PolicyActor
from diffplan.training.checkpoint import load_checkpoint


@dataclass
class CheckpointActor:
    """An actor rebuilt from a checkpoint, with the dataset it was trained on and its training step."""

    actor: Policy
    dataset_id: str
    step: int
    path: Path


def actor_from_checkpoint(path: str | Path, planner: PlannerConfig | None = None,
                          device: str | torch.device = "cpu") -> CheckpointActor:
    """The actor of a ``train-prior`` checkpoint (a planner) or a ``train-rl`` checkpoint (its policy)."""
    path = resolve_checkpoint(path)
    state = load_checkpoint(path)
    if state.get("learner_class") == "PriorLearner":
        prior = load_prior(path, device)
        planner_actor = DiffusionPlanner(prior, planner or PlannerConfig(), device)
        return CheckpointActor(planner_actor, prior.config.data.dataset_id, prior.step, path)
    actor = PolicyActor.from_checkpoint(path, device)
    return CheckpointActor(actor, state["metadata"]["dataset_id"], int(state["step"]), path)
