"""Configuration of a prior p(tau): data, network, diffusion, training, tracking."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from diffplan.data.data_config import DataConfig
from diffplan.errors import UserError
from diffplan.prior.inverse_dynamics import InverseDynamics, InverseDynamicsConfig
from diffplan.prior.temporal_unet import TemporalUNet, TemporalUNetConfig
from diffplan.prior.trajectory_diffusion import DiffusionConfig, TrajectoryDiffusion
from diffplan.tracking import TrackingConfig
from diffplan.training.trainer_config import TrainerConfig


@dataclass
class PriorConfig:
    """A ``diffplan train-prior`` run.

    The sizes that follow from the data (``model.transition_dim``, ``diffusion.horizon``,
    ``diffusion.action_dim``) are taken from the dataset and ``data.horizon``; leave them out of YAML files.

    Attributes:
        inpaint_goal: inpaint the window's last state too (goal-reaching in mazes), besides its start.
        goal_condition_dims: state dimensions of the goal row (the window's last real state) also given to the
            network as its global condition vector (``model.cond_dim`` follows), e.g. ``[0, 1]`` for a maze's
            position: every row then knows the goal, which a small prior learns far sooner than from the
            inpainted row alone (:mod:`diffplan.prior.goal_condition`). Needs ``inpaint_goal``; empty = none.
        inverse_dynamics: an optional model a_t = f(s_t, s_{t+1}) trained beside the prior, for planners that
            act with ``action: inverse_dynamics``.
        run_dir: folder of the run (config, checkpoints, wandb logs).
    """

    data: DataConfig = field(default_factory=DataConfig)
    model: TemporalUNetConfig = field(default_factory=TemporalUNetConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    inpaint_goal: bool = False
    goal_condition_dims: list[int] = field(default_factory=list)
    inverse_dynamics: InverseDynamicsConfig = field(default_factory=InverseDynamicsConfig)
    run_dir: str = "runs/prior"


def with_data_sizes(config: PriorConfig, action_dim: int, state_dim: int) -> PriorConfig:
    """``config`` with the sizes that follow from the data filled in (a conflicting given size is an error)."""
    if config.goal_condition_dims and not config.inpaint_goal:
        raise UserError("goal_condition_dims needs inpaint_goal=true (the condition is the inpainted goal row)")
    bad = [d for d in config.goal_condition_dims if not 0 <= d < state_dim]
    if bad or len(set(config.goal_condition_dims)) != len(config.goal_condition_dims):
        raise UserError(f"goal_condition_dims {config.goal_condition_dims} must be distinct state dimensions in "
                        f"0..{state_dim - 1}")
    sizes = {
        ("model", "transition_dim"): action_dim + state_dim,
        ("model", "cond_dim"): len(config.goal_condition_dims),
        ("diffusion", "horizon"): config.data.horizon,
        ("diffusion", "action_dim"): action_dim,
    }
    for (section, key), size in sizes.items():
        given = getattr(getattr(config, section), key)
        if given not in (0, size):
            raise UserError(f"{section}.{key} is {given} but the data gives {size}; remove it from the config")
    config.model.check_horizon(config.data.horizon)
    if any(width < 1 for width in config.inverse_dynamics.hidden_dims):
        raise UserError(f"inverse_dynamics.hidden_dims {config.inverse_dynamics.hidden_dims} must be positive widths, "
                        "e.g. [256, 256] (or [] for none)")
    model = dataclasses.replace(config.model, transition_dim=action_dim + state_dim,
                                cond_dim=len(config.goal_condition_dims))
    diffusion = dataclasses.replace(config.diffusion, horizon=config.data.horizon, action_dim=action_dim)
    return dataclasses.replace(config, model=model, diffusion=diffusion)


def build_diffusion(config: PriorConfig) -> TrajectoryDiffusion:
    """The denoiser network and its training schedule, for a config whose data sizes are filled in."""
    return TrajectoryDiffusion(TemporalUNet(config.model), config.diffusion)


def build_inverse_dynamics(config: PriorConfig) -> InverseDynamics | None:
    """The inverse-dynamics model of a size-complete config, or None when it has none."""
    if not config.inverse_dynamics.hidden_dims:
        return None
    action_dim = config.diffusion.action_dim
    return InverseDynamics(config.model.transition_dim - action_dim, action_dim, config.inverse_dynamics.hidden_dims)
