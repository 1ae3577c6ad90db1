"""Any trained diffplan model in one call, as the object it is used through.

``from_pretrained(path)`` reads an export folder (``diffplan export``), a run folder or a checkpoint and returns
a :class:`~diffplan.prior.prior_checkpoint.TrainedPrior` (train-prior), a
:class:`~diffplan.inference.return_model_checkpoint.TrainedReturnModel` (train-return-model), a
:class:`~diffplan.irl.reward_checkpoint.TrainedReward` (train-reward) or a
:class:`~diffplan.rl.actor.PolicyActor` (train-rl). A folder downloaded from the Hugging Face Hub
(``huggingface_hub.snapshot_download(repo_id)``) is an export folder like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from diffplan.inference.return_model_checkpoint import load_return_model
from diffplan.irl.reward_checkpoint import LEARNER_CLASSES as REWARD_LEARNERS
from diffplan.irl.reward_checkpoint import load_reward
from diffplan.prior.prior_checkpoint import load_prior
from diffplan.rl.actor import RL_LEARNERS, PolicyActor
from diffplan.training.trained_state import read_trained

LOADERS: dict[str, Callable[[Path, str | torch.device], Any]] = {
    "PriorLearner": load_prior,
    "ReturnModelLearner": load_return_model,
    **{name: load_reward for name in REWARD_LEARNERS.values()},
    **{name: PolicyActor.from_checkpoint for name in RL_LEARNERS},
}


def from_pretrained(path: str | Path, device: str | torch.device = "cpu") -> Any:
    """The trained model at ``path`` (export folder, run folder or checkpoint), rebuilt on ``device``."""
    state = read_trained(path, LOADERS, "a diffplan model (an export folder, run folder or checkpoint)")
    return LOADERS[state.learner_class](state.path, device)
