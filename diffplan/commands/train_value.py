"""``diffplan train-value``: train the return model J(x_t, t) that guides and ranks plans."""

from __future__ import annotations

import argparse
import dataclasses
import json

from diffusers import DDPMScheduler

from diffplan.commands.run_setup import add_run_arguments, load_run_config, record_config
from diffplan.config import to_dict
from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.inference.return_model import ReturnModel
from diffplan.inference.value_config import ValueConfig, with_data_sizes, with_prior
from diffplan.inference.value_learner import ValueLearner
from diffplan.tracking import ExperimentLog
from diffplan.training.checkpoint import list_checkpoints
from diffplan.training.trainer import Trainer, make_accelerator


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_config="value-pointmaze-umaze")


def train_value(config: ValueConfig, run_dir, resume: bool = False, progress: bool = True) -> dict:
    """Train a return model as configured; returns the final metrics (the run folder holds the rest)."""
    config = with_prior(config)
    accelerator = make_accelerator(config.trainer, config.data.device)
    data = dataclasses.replace(config.data, device=str(accelerator.device))
    buffer = TrajectoryBuffer.from_config(data, progress=progress and accelerator.is_main_process)
    config = with_data_sizes(dataclasses.replace(config, data=data), buffer.transition_dim)
    model = ReturnModel(config.model)
    model.set_return_statistics(buffer.returns_to_go[buffer.window_starts])
    schedule = DDPMScheduler(num_train_timesteps=config.num_train_timesteps, beta_schedule=config.beta_schedule)
    learner = ValueLearner(model, schedule.alphas_cumprod, buffer.action_dim, config.inpaint_goal,
                           buffer.model_metadata())
    if accelerator.is_main_process:
        record_config(config, run_dir)
    run_config = to_dict(config)
    experiment = ExperimentLog(config.tracking, run_dir, "train-value", run_config,
                               active=accelerator.is_main_process)
    trainer = Trainer(learner, buffer.sample, config.trainer, run_dir, accelerator, experiment,
                      run_config=run_config, progress=progress)
    try:
        metrics = trainer.fit(resume=resume)
        checkpoints = list_checkpoints(trainer.checkpoint_dir)
        if checkpoints:
            experiment.log_artifact(checkpoints[-1], name=f"value-{run_dir.name}", kind="model")
        experiment.summary(metrics)
    finally:
        experiment.finish()
    return {"run_dir": str(run_dir), "step": trainer.step, "data": buffer.describe(), **metrics}


def run(args: argparse.Namespace) -> dict:
    config, run_dir = load_run_config(ValueConfig, args)
    result = train_value(config, run_dir, resume=args.resume)
    print(json.dumps(result, indent=2))
    return result
