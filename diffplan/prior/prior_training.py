"""Training the diffusion prior p(tau) on a Minari dataset (what ``diffplan train-prior`` runs)."""

from __future__ import annotations

import dataclasses

import torch

from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.prior.prior_config import PriorConfig, build_diffusion, build_inverse_dynamics, with_data_sizes
from diffplan.prior.prior_learner import PriorLearner
from diffplan.training.recorded_run import fit_and_record
from diffplan.training.trainer import make_accelerator


def train_prior(config: PriorConfig, run_dir, resume: bool = False, progress: bool = True) -> dict:
    """Train a prior as configured; returns the final metrics (the run folder holds the rest)."""
    accelerator = make_accelerator(config.trainer, config.data.device)
    data = dataclasses.replace(config.data, device=str(accelerator.device))
    buffer = TrajectoryBuffer.from_config(data, progress=progress and accelerator.is_main_process)
    config = with_data_sizes(dataclasses.replace(config, data=data), buffer.action_dim, buffer.state_dim)
    torch.manual_seed(config.trainer.seed)  # the initial weights follow the run's seed too
    learner = PriorLearner(build_diffusion(config), config.inpaint_goal, buffer.model_metadata(),
                           build_inverse_dynamics(config), config.inverse_dynamics.weight,
                           config.goal_condition_dims)
    trainer, metrics = fit_and_record(learner, buffer.sample, config, run_dir, accelerator, "train-prior", resume,
                                      progress)
    return {"run_dir": str(run_dir), "step": trainer.step, "data": buffer.describe(), **metrics}


