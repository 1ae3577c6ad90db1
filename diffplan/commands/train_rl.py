"""``diffplan train-rl``: behaviour-prior offline RL (KL-regularised SAC or AWR/AWAC) on a Minari dataset.

The run folder gets ``config.yaml``, ``checkpoints/step_*.pt`` (the learner, its metadata: layout, state
normaliser, action bounds) and ``evaluation.json`` (normalised score ×100, mean ± s.e., of the policy in the
dataset's eval env). ``diffplan.rl.actor.PolicyActor.from_checkpoint`` rebuilds the policy as an actor.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import torch

from diffplan.commands.run_setup import add_run_arguments, load_run_config, record_config
from diffplan.config import to_dict
from diffplan.data.minari_source import open_minari_dataset
from diffplan.data.trajectory_buffer import TrajectoryBuffer, Transitions
from diffplan.errors import UserError
from diffplan.evaluation.rollouts import dataset_reference_scores, evaluate_actor
from diffplan.rl.action_bounds import ActionBounds
from diffplan.rl.actor import PolicyActor
from diffplan.rl.awr import AdvantageWeightedRegression
from diffplan.rl.kl_sac import KLRegularisedSAC
from diffplan.rl.rl_config import RLRunConfig, check_rl_config
from diffplan.tracking import ExperimentLog
from diffplan.training.learner import Learner
from diffplan.training.trainer import Trainer, check_run_start, make_accelerator

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_config="rl-pendulum-medium")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


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


def run(args: argparse.Namespace) -> dict[str, Any]:
    config, run_dir = load_run_config(RLRunConfig, args)
    check_rl_config(config)
    if config.torch_threads > 0:
        torch.set_num_threads(config.torch_threads)
    buffer = TrajectoryBuffer.from_config(config.data)
    dataset = open_minari_dataset(config.data.dataset_id, download=config.data.download)
    bounds = ActionBounds.from_space(dataset.action_space)
    if bounds.low.numel() != buffer.action_dim:
        raise UserError(f"action space of '{config.data.dataset_id}' has {bounds.low.numel()} dims but the data "
                        f"{buffer.action_dim}; the dataset is inconsistent, re-collect it")
    check_run_start(config.trainer, run_dir, args.resume)
    record_config(config, run_dir)
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

    run_config = to_dict(config)
    experiment = ExperimentLog(config.tracking, run_dir, job_type=f"train-rl-{config.algorithm}",
                               run_config=run_config)
    try:
        trainer = Trainer(learner, unit_action_sampler(buffer, bounds), config.trainer, run_dir,
                          accelerator=make_accelerator(config.trainer, str(buffer.device)), experiment=experiment,
                          evaluate=evaluate, run_config=run_config, progress=not args.no_progress)
        start = time.perf_counter()
        metrics = trainer.fit(resume=args.resume)
        train_seconds = time.perf_counter() - start - eval_seconds
        summary = {"algorithm": config.algorithm, "dataset_id": config.data.dataset_id, "steps": trainer.step,
                   "run_dir": str(run_dir), **{k: v for k, v in metrics.items() if k.startswith("eval/")},
                   "eval_returns": episode_returns}
        if not args.resume:  # the steps of a resumed run are not all timed here
            summary["train_seconds"] = train_seconds
            summary["gradient_steps_per_second"] = trainer.step / max(train_seconds, 1e-9)
        experiment.summary(summary)
    finally:
        experiment.finish()
        if eval_env is not None:
            eval_env.close()
    Path(run_dir, "evaluation.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return summary
