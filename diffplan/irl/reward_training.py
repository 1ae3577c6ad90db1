"""Learning a reward r_phi from demonstrations and unlabelled data, offline IRL (what ``diffplan train-reward``
runs).

The run folder gets ``config.yaml``, ``checkpoints/step_*.pt`` (r_phi with the data's normaliser and layout;
``diffplan.irl.reward_checkpoint.load_reward`` rebuilds it, and ``planner.reward=learned_reward
planner.reward_model=<run folder>`` guides plans by it), ``metrics.jsonl`` and the wandb run. With
``relabel.target`` it also writes a copy of the data whose rewards are r_phi.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from diffplan.data.minari_source import open_minari_dataset
from diffplan.data.trajectory_buffer import TrajectoryBuffer
from diffplan.irl.airl_learner import AIRLLearner
from diffplan.irl.irl_batch import WindowSource, buffer_windows, irl_batches
from diffplan.irl.maxent_learner import MaxEntIRLLearner
from diffplan.irl.prior_windows import pool_windows, prior_window_pool
from diffplan.irl.relabel import check_relabel_target, relabel_dataset
from diffplan.irl.reward_checkpoint import load_reward
from diffplan.irl.reward_config import RewardConfig, with_data_sizes
from diffplan.irl.reward_network import RewardNetwork
from diffplan.prior.prior_checkpoint import load_prior
from diffplan.rl.action_bounds import ActionBounds
from diffplan.training.learner import Learner
from diffplan.training.recorded_run import fit_and_record
from diffplan.training.trainer import make_accelerator


def background_windows(config: RewardConfig, buffer: TrajectoryBuffer) -> WindowSource:
    """Windows of p(tau): the unlabelled data's, or a pool of samples of the prior ``config.prior_run``."""
    if config.background == "dataset":
        return buffer_windows(buffer, buffer.normalizer)
    prior = load_prior(config.prior_run, buffer.device)
    return pool_windows(prior_window_pool(prior, buffer, config.prior_samples, config.prior_solver,
                                          config.prior_steps))


def build_learner(config: RewardConfig, buffer: TrajectoryBuffer, metadata: dict) -> Learner:
    """The learner of ``config.objective`` around a fresh reward network."""
    reward = RewardNetwork(config.reward)
    if config.objective == "maxent":
        return MaxEntIRLLearner(reward, config.reward_l2, metadata)
    bounds = ActionBounds.from_space(open_minari_dataset(config.data.dataset_id).action_space)
    return AIRLLearner(reward, config.airl, buffer.normalizer, bounds, config.reward_l2, metadata)


def train_reward(config: RewardConfig, run_dir: str | Path, resume: bool = False, progress: bool = True) -> dict:
    """Train r_phi as configured (and relabel); returns the final metrics (the run folder holds the rest)."""
    run_dir = Path(run_dir)
    if config.relabel.target:
        check_relabel_target(config.relabel.source or config.data.dataset_id, config.relabel.target,
                             config.relabel.overwrite)
    accelerator = make_accelerator(config.trainer, config.data.device)
    data = dataclasses.replace(config.data, device=str(accelerator.device))
    shown = progress and accelerator.is_main_process
    buffer = TrajectoryBuffer.from_config(data, progress=shown)
    demos = TrajectoryBuffer.from_config(dataclasses.replace(data, dataset_id=config.demonstrations), progress=shown)
    demos.check_dims(buffer.state_dim, buffer.action_dim)
    config = with_data_sizes(dataclasses.replace(config, data=data), buffer.action_dim, buffer.state_dim)
    metadata = {**buffer.model_metadata(), "demonstrations": config.demonstrations}
    torch.manual_seed(config.trainer.seed)  # initial weights and random Fourier features follow the run's seed
    learner = build_learner(config, buffer, metadata)
    sample = irl_batches(buffer_windows(demos, buffer.normalizer), background_windows(config, buffer),
                         config.demo_batch_size)
    trainer, metrics = fit_and_record(learner, sample, config, run_dir, accelerator, "train-reward", resume, progress)
    result = {"run_dir": str(run_dir), "step": trainer.step, "data": buffer.describe(),
              "demonstrations": demos.describe(), **metrics}
    if config.relabel.target and accelerator.is_main_process:
        relabelled = relabel_dataset(load_reward(run_dir, accelerator.device), config.relabel.source or
                                     config.data.dataset_id, config.relabel.target, config.relabel.overwrite,
                                     progress=shown)
        result["relabelled"] = {"dataset_id": config.relabel.target, "episodes": relabelled.total_episodes,
                                "steps": relabelled.total_steps}
    return result


