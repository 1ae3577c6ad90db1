"""Training the return model J(x_t, t) that guides and ranks plans (what ``diffplan train-return-model`` runs)."""

from __future__ import annotations

import dataclasses

import torch
from diffusers import DDPMScheduler

from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.inference.return_model import ReturnModel
from diffplan.inference.return_model_learner import ReturnModelLearner
from diffplan.inference.return_model_run_config import ReturnModelRunConfig, with_data_sizes, with_prior
from diffplan.training.recorded_run import fit_and_record
from diffplan.training.trainer import make_accelerator


def train_return_model(config: ReturnModelRunConfig, run_dir, resume: bool = False, progress: bool = True) -> dict:
    """Train a return model as configured; returns the final metrics (the run folder holds the rest)."""
    config = with_prior(config)
    accelerator = make_accelerator(config.trainer, config.data.device)
    data = dataclasses.replace(config.data, device=str(accelerator.device))
    buffer = TrajectoryBuffer.from_config(data, progress=progress and accelerator.is_main_process)
    config = with_data_sizes(dataclasses.replace(config, data=data), buffer.transition_dim)
    torch.manual_seed(config.trainer.seed)  # the initial weights follow the run's seed too
    model = ReturnModel(config.model)
    model.set_return_statistics(buffer.returns_to_go[buffer.window_starts])
    schedule = DDPMScheduler(num_train_timesteps=config.num_train_timesteps, beta_schedule=config.beta_schedule)
    learner = ReturnModelLearner(model, schedule.alphas_cumprod, buffer.action_dim, config.inpaint_goal,
                           buffer.model_metadata(), config.expectile)
    trainer, metrics = fit_and_record(learner, buffer.sample, config, run_dir, accelerator, "train-return-model",
                                      resume, progress)
    return {"run_dir": str(run_dir), "step": trainer.step, "data": buffer.describe(), **metrics}


