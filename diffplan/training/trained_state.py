"""One way to read any trained model back, from a checkpoint of its run or from an exported folder.

Every learner saves the same metadata schema: the data it was trained on (``DATA_METADATA``, from
``TrajectoryBuffer.model_metadata``) and its own keys beside them (``inpaint_goal``, ``action_bounds``, ...).
The loaders of priors, return models, rewards and policies all go through :func:`read_trained`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch

from diffplan.config import from_dict
from diffplan.data.normalizer import AffineNormalizer
from diffplan.data.observation_layout import ObservationLayout
from diffplan.errors import UserError
from diffplan.training.checkpoint import is_export_folder, load_checkpoint, resolve_checkpoint
from diffplan.training.export_folder import read_export_folder, write_export_folder

ConfigT = TypeVar("ConfigT")
ModuleT = TypeVar("ModuleT", bound=torch.nn.Module)

# the data a model was trained on, in every learner's metadata
DATA_METADATA = ("dataset_id", "horizon", "stride", "action_dim", "state_dim", "observation_layout", "normalizer")


@dataclass
class TrainedState:
    """A trained model as read from disk.

    Attributes:
        learner_class: the learner that was trained (``PriorLearner``, ``ReturnModelLearner``, ``KLRegularisedSAC``,
            ...).
        config: the training run's config, as plain data.
        metadata: ``DATA_METADATA`` and the learner's own keys.
        weights: the learner's weights, its moving average when it kept one.
        step: training step.
        path: the checkpoint file or export folder it was read from.
    """

    learner_class: str
    config: dict[str, Any]
    metadata: dict[str, Any]
    weights: dict[str, torch.Tensor]
    step: int
    path: Path

    def config_as(self, cls: type[ConfigT]) -> ConfigT:
        """The run's config as the dataclass ``cls`` (strictly checked)."""
        return from_dict(cls, self.config)

    def load_part(self, module: ModuleT, prefix: str) -> ModuleT:
        """Load ``module`` from the weights under ``prefix`` (``"diffusion."``, ``"policy."``, ...)."""
        try:
            module.load_state_dict({k[len(prefix):]: v for k, v in self.weights.items() if k.startswith(prefix)})
        except RuntimeError as error:
            raise UserError(f"'{self.path}' does not match its own config ({str(error).splitlines()[0]}); it was "
                            "written by another diffplan version") from None
        return module

    @property
    def normalizer(self) -> AffineNormalizer:
        """The rows' ``[a, s]`` normaliser of the training data."""
        return AffineNormalizer.from_state_dict(self.metadata["normalizer"])

    @property
    def layout(self) -> ObservationLayout:
        return ObservationLayout.from_dict(self.metadata["observation_layout"])

    @property
    def dataset_id(self) -> str:
        return self.metadata["dataset_id"]


def read_trained(path: str | Path, learner_classes: Collection[str] | None = None, what: str = "a trained model",
                 device: str | torch.device = "cpu") -> TrainedState:
    """Read the model at ``path`` (checkpoint file, run folder: its newest valid checkpoint, or export folder).

    ``learner_classes``: the learners accepted (None: any); ``what`` names them in the error, e.g.
    ``"a train-prior run, checkpoint or export"``.
    """
    path = resolve_checkpoint(path)
    if is_export_folder(path):
        state = TrainedState(**read_export_folder(path, device), path=path)
    else:
        saved = load_checkpoint(path, map_location=device)
        if not {"learner_class", "learner", "metadata", "config", "step"} <= set(saved):
            raise UserError(f"'{path}' is not a checkpoint of a diffplan training run; pass {what}")
        state = TrainedState(saved["learner_class"], saved["config"], saved["metadata"],
                             saved["ema"] if saved.get("ema") is not None else saved["learner"], int(saved["step"]),
                             path)
    if learner_classes is not None and state.learner_class not in learner_classes:
        raise UserError(f"'{path}' holds a {state.learner_class}, not {what}; pass {what}")
    missing = [key for key in DATA_METADATA if key not in state.metadata]
    if missing:
        raise UserError(f"'{path}' lacks the metadata {', '.join(missing)}; it was written by another diffplan "
                        "version: train or export it again")
    return state


def export_trained(source: str | Path, folder: str | Path) -> Path:
    """Write the model of a run folder, checkpoint or export at ``source`` as an export folder at ``folder``."""
    state = read_trained(source, what="a diffplan run folder, checkpoint or export")
    return write_export_folder(folder, state.learner_class, state.config, state.metadata, state.weights, state.step)
