"""Loading a trained prior p(tau) back from a checkpoint of ``diffplan train-prior``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from diffplan.config import from_dict
from diffplan.data.normalizer import AffineNormalizer
from diffplan.data.observation_layout import ObservationLayout
from diffplan.errors import UserError
from diffplan.prior.goal_condition import GoalConditioned, conditioned_denoiser
from diffplan.prior.inpainting import Conditions
from diffplan.prior.inverse_dynamics import InverseDynamics
from diffplan.prior.prior_config import PriorConfig, build_diffusion, build_inverse_dynamics
from diffplan.prior.trajectory_diffusion import TrajectoryDiffusion
from diffplan.training.checkpoint import (
    list_checkpoints,
    load_checkpoint,
    load_learner_part,
    newest_valid_checkpoint,
)


@dataclass
class TrainedPrior:
    """A prior ready to sample: the EMA denoiser and what maps its rows back to the environment.

    Attributes:
        diffusion: EMA weights, in eval mode, on the requested device.
        config: the size-complete config of the training run.
        normalizer: rows ``[a, s]`` (normalised) ↔ environment units.
        layout: how environment observations flatten into states, and where the goal is.
        inpaint_goal: whether it was trained with the window's last state inpainted.
        step: training step of the checkpoint.
        inverse_dynamics: a_t = f(s_t, s_{t+1}) on normalised rows (EMA weights), when the run trained one.
    """

    diffusion: TrajectoryDiffusion
    config: PriorConfig
    normalizer: AffineNormalizer
    layout: ObservationLayout
    inpaint_goal: bool
    step: int
    inverse_dynamics: InverseDynamics | None = None

    @property
    def action_dim(self) -> int:
        return self.config.diffusion.action_dim

    @property
    def horizon(self) -> int:
        return self.config.diffusion.horizon

    def denoiser(self, conditions: Conditions, goal_rows: torch.Tensor | None = None
                 ) -> TrajectoryDiffusion | GoalConditioned:
        """What samplers draw plans ``conditions`` ``(B, H, D)`` from: the diffusion, bound to the inpainted goal
        states (at ``goal_rows`` ``(B,)``, default the last row) when it was trained with ``goal_condition_dims``."""
        return conditioned_denoiser(self.diffusion, conditions, goal_rows, self.action_dim,
                                    self.config.goal_condition_dims)

    @property
    def stride(self) -> int:
        """Environment steps between consecutive rows of a plan (``data.stride``)."""
        return self.config.data.stride


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file, or the newest checkpoint of a run folder that passes its checksum."""
    path = Path(path)
    if path.is_dir():
        found = list_checkpoints(path / "checkpoints") or list_checkpoints(path)
        if not found:
            raise UserError(f"run folder '{path}' has no checkpoints; train first or pass a .pt file")
        return newest_valid_checkpoint(found)
    return path


def load_prior(path: str | Path, device: str | torch.device = "cpu") -> TrainedPrior:
    """Rebuild the prior of a ``train-prior`` checkpoint (file or run folder) with its EMA weights."""
    path = resolve_checkpoint(path)
    state = load_checkpoint(path, map_location=device)
    config = from_dict(PriorConfig, state["config"])
    diffusion = load_learner_part(build_diffusion(config), state, "PriorLearner", "diffusion.", path,
                                  "a train-prior checkpoint")
    metadata = state["metadata"]
    inverse_dynamics = build_inverse_dynamics(config)
    if inverse_dynamics is not None:
        load_learner_part(inverse_dynamics, state, "PriorLearner", "inverse_dynamics.", path,
                          "a train-prior checkpoint")
        inverse_dynamics = inverse_dynamics.to(device).eval().requires_grad_(False)
    return TrainedPrior(
        diffusion=diffusion.to(device).eval().requires_grad_(False),
        config=config,
        normalizer=AffineNormalizer.from_state_dict(metadata["normalizer"]).to(device),
        layout=ObservationLayout.from_dict(metadata["observation_layout"]),
        inpaint_goal=bool(metadata["inpaint_goal"]),
        step=int(state["step"]),
        inverse_dynamics=inverse_dynamics,
    )
