"""``diffplan train-prior``: train the diffusion prior p(tau) on a Minari dataset."""

from __future__ import annotations

import argparse
import dataclasses
import json

from diffplan.commands.run_setup import add_run_arguments, load_run_config, record_config
from diffplan.config import to_dict
from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.prior.prior_config import PriorConfig, build_diffusion, with_data_sizes
from diffplan.prior.prior_learner import PriorLearner
from diffplan.tracking import ExperimentLog
from diffplan.training.checkpoint import list_checkpoints
from diffplan.training.trainer import Trainer, make_accelerator


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_config="prior-pointmaze-umaze")


def train_prior(config: PriorConfig, run_dir, resume: bool = False, progress: bool = True) -> dict:
    """Train a prior as configured; returns the final metrics (the run folder holds the rest)."""
    accelerator = make_accelerator(config.trainer, config.data.device)
    data = dataclasses.replace(config.data, device=str(accelerator.device))
    buffer = TrajectoryBuffer.from_config(data, progress=progress and accelerator.is_main_process)
    config = with_data_sizes(dataclasses.replace(config, data=data), buffer.action_dim, buffer.state_dim)
    learner = PriorLearner(build_diffusion(config), config.inpaint_goal, buffer.model_metadata())
    if accelerator.is_main_process:
        record_config(config, run_dir)
    run_config = to_dict(config)
    experiment = ExperimentLog(config.tracking, run_dir, "train-prior", run_config,
                               active=accelerator.is_main_process)
    trainer = Trainer(learner, buffer.sample, config.trainer, run_dir, accelerator, experiment,
                      run_config=run_config, progress=progress)
    try:
        metrics = trainer.fit(resume=resume)
        checkpoints = list_checkpoints(trainer.checkpoint_dir)
        if checkpoints:
            experiment.log_artifact(checkpoints[-1], name=f"prior-{run_dir.name}", kind="model")
        experiment.summary(metrics)
    finally:
        experiment.finish()
    return {"run_dir": str(run_dir), "step": trainer.step, "data": buffer.describe(), **metrics}


def run(args: argparse.Namespace) -> dict:
    config, run_dir = load_run_config(PriorConfig, args)
    result = train_prior(config, run_dir, resume=args.resume)
    print(json.dumps(result, indent=2))
    return result
