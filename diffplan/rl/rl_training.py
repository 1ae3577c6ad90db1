"""Behaviour-prior offline RL (KL-regularised SAC or AWR/AWAC) on a Minari dataset (what ``diffplan train-rl``
runs).

The run folder gets ``config.yaml``, ``checkpoints/step_*.pt`` (the learner and the metadata every diffplan model
has, with the state normaliser and action bounds of its policy) and ``evaluation.json`` (normalised score ×100,
mean ± s.e., of the policy in the dataset's eval env). :meth:`~diffplan.rl.actor.PolicyActor.from_checkpoint`
rebuilds the policy as an actor.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import torch

from diffplan.data.minari_source import open_minari_dataset
from diffplan.data.trajectory_buffer import TrajectoryBuffer, Transitions
from diffplan.errors import UserError
from diffplan.evaluation.rollouts import dataset_reference_scores, evaluate_actor
from diffplan.rl.action_bounds import ActionBounds
from diffplan.rl.actor import PolicyActor
from diffplan.rl.awr import AdvantageWeightedRegression
from diffplan.rl.kl_sac import KLRegularisedSAC
from diffplan.rl.rl_config import RLRunConfig, check_rl_config
from diffplan.training.learner import Learner
from diffplan.training.recorded_run import fit_and_record
from diffplan.training.trainer import make_accelerator


def build_learner(config: RLRunConfig, state_dim: int, action_dim: int) -> Learner:
    """The learner named by ``config.algorithm``."""
    if config.algorithm == "kl_sac":
        return KLRegularisedSAC(state_dim, action_dim, config.kl_sac, config.critic, config.behaviour_prior)
    return AdvantageWeightedRegression(state_dim, action_dim, config.awr, config.critic, config.behaviour_prior)


def unit_action_sampler(buffer: TrajectoryBuffer, bounds: ActionBounds):
    """``sample(batch_size) -> Transitions`` with actions mapped into [-1, 1] by the action-space bounds."""
    bounds = bounds.to(buffer.device)

    def sample(batch_size: int) -> Transitions:
        batch = buffer.sample_transitions(batch_size)
        batch.actions = bounds.to_unit(batch.actions)
        return batch

    return sample




def train_rl(config: RLRunConfig, run_dir: str | Path, resume: bool = False, progress: bool = True
             ) -> dict[str, Any]:
    """Train the policy of ``config.algorithm`` and score it in the dataset's eval env; returns the summary that
    ``evaluation.json`` holds."""
    check_rl_config(config)
    if config.torch_threads > 0:
        torch.set_num_threads(config.torch_threads)
    accelerator = make_accelerator(config.trainer, config.data.device)
    data = dataclasses.replace(config.data, device=str(accelerator.device))
    buffer = TrajectoryBuffer.from_config(data)
    dataset = open_minari_dataset(data.dataset_id, download=data.download)
    bounds = ActionBounds.from_space(dataset.action_space)
    if bounds.low.numel() != buffer.action_dim:
        raise UserError(f"action space of '{data.dataset_id}' has {bounds.low.numel()} dims but the data "
                        f"{buffer.action_dim}; the dataset is inconsistent, re-collect it")
    config = dataclasses.replace(config, data=data)
    torch.manual_seed(config.trainer.seed)  # the initial weights follow the run's seed too
    learner = build_learner(config, buffer.state_dim, buffer.action_dim)
    learner.extra_metadata = {**buffer.model_metadata(), "state_normalizer": buffer.state_normalizer.state_dict(),
                              "action_bounds": bounds.state_dict()}
    ref_scores = dataset_reference_scores(dataset)
    eval_env = None
    eval_seconds = 0.0
    episode_returns: list[float] = []

    def evaluate(model: torch.nn.Module, step: int) -> dict[str, float]:
        nonlocal eval_env, eval_seconds
        if config.evaluation.episodes == 0:
            return {}
        start = time.perf_counter()
        if eval_env is None:
            eval_env = dataset.recover_environment(eval_env=True)
        actor = PolicyActor(model.policy, buffer.layout, buffer.state_normalizer, bounds,
                            deterministic=config.evaluation.deterministic)
        result = evaluate_actor(actor, eval_env, config.evaluation.episodes, seed=config.evaluation.seed,
                                ref_scores=ref_scores)
        eval_seconds += time.perf_counter() - start
        episode_returns[:] = result.returns.tolist()
        return result.metrics()

    try:
        start = time.perf_counter()
        trainer, metrics = fit_and_record(learner, unit_action_sampler(buffer, bounds), config, run_dir,
                                          accelerator, f"train-rl-{config.algorithm}", resume, progress, evaluate)
        train_seconds = time.perf_counter() - start - eval_seconds
    finally:
        if eval_env is not None:
            eval_env.close()
    summary = {"algorithm": config.algorithm, "dataset_id": data.dataset_id, "steps": trainer.step,
               "run_dir": str(run_dir), **{k: v for k, v in metrics.items() if k.startswith("eval/")},
               "eval_returns": episode_returns}
    if not resume:  # the steps of a resumed run are not all timed here
        summary["train_seconds"] = train_seconds
        summary["gradient_steps_per_second"] = trainer.step / max(train_seconds, 1e-9)
    Path(run_dir, "evaluation.json").write_text(json.dumps(summary, indent=2))
    return summary
