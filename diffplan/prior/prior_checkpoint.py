"""Loading a trained prior p(tau) back from a ``diffplan train-prior`` run, checkpoint or export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from diffplan.data.normalizer import AffineNormalizer
from diffplan.data.observation_layout import ObservationLayout
from diffplan.prior.goal_condition import GoalConditioned, conditioned_denoiser
from diffplan.prior.inpainting import Conditions
from diffplan.prior.inverse_dynamics import InverseDynamics
from diffplan.prior.prior_config import PriorConfig, build_diffusion, build_inverse_dynamics
from diffplan.prior.trajectory_diffusion import TrajectoryDiffusion
from diffplan.training.trained_state import read_trained


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


def load_prior(path: str | Path, device: str | torch.device = "cpu") -> TrainedPrior:
    """Rebuild the prior of a ``train-prior`` run folder, checkpoint or export folder with its EMA weights."""
    state = read_trained(path, {"PriorLearner"}, "a train-prior run folder, checkpoint or export", device)
    config = state.config_as(PriorConfig)
    inverse_dynamics = build_inverse_dynamics(config)
    if inverse_dynamics is not None:
        inverse_dynamics = state.load_part(inverse_dynamics, "inverse_dynamics.").to(device).eval()
        inverse_dynamics.requires_grad_(False)
    return TrainedPrior(
        diffusion=state.load_part(build_diffusion(config), "diffusion.").to(device).eval().requires_grad_(False),
        config=config,
        normalizer=state.normalizer.to(device),
        layout=state.layout,
        inpaint_goal=bool(state.metadata["inpaint_goal"]),
        step=state.step,
        inverse_dynamics=inverse_dynamics,
    )
