"""``diffplan evaluate``: run a trained actor (a prior's planner, an RL policy) in the dataset's eval environment."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from diffplan.config import load_config, to_dict
from diffplan.data.collect import register_robotics_envs
from diffplan.data.minari_source import open_minari_dataset
from diffplan.data.trajectory_buffer import resolve_device
from diffplan.errors import UserError
from diffplan.evaluation.actor_checkpoint import actor_from_checkpoint
from diffplan.evaluation.rollout_video import save_gif
from diffplan.evaluation.rollouts import dataset_reference_scores, evaluate_actor, make_eval_envs
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.maze_plot import plot_episodes
from diffplan.planning.planner_config import PlannerConfig
from diffplan.tracking import ExperimentLog, TrackingConfig


@dataclass
class EvaluationConfig:
    """An evaluation run.

    Attributes:
        episodes: evaluation episodes (episode k resets with seed + k).
        seed: seed of the episodes.
        planner: how plans are sampled and turned into actions.
        num_envs: environments stepped side by side (a gymnasium vector env); the planner samples the plans
            of all of them in one batch. Results do not depend on it: episode k always resets with seed + k.
        plots: episodes drawn in ``plans.png`` (mazes only).
        videos: episodes recorded as rollout videos (``videos/episode_<k>.gif``, logged to wandb); MuJoCo
            renders offscreen with ``MUJOCO_GL=egl`` (GPU) or ``osmesa`` (CPU).
        output_dir: where metrics.json and plans.png go (default: ``<run folder>/eval``).
        device: where the prior runs (``auto`` = CUDA when present).
    """

    episodes: int = 50
    seed: int = 0
    planner: PlannerConfig = field(default_factory=PlannerConfig)
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    num_envs: int = 10
    plots: int = 8
    videos: int = 0
    output_dir: str = ""
    device: str = "auto"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a train-prior or train-rl checkpoint (.pt) or its run folder (newest "
                                           "checkpoint); a prior is evaluated through its planner")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="evaluation overrides, e.g. episodes=20 planner.posterior.num_steps=10 "
                             "planner.replan_every=32 (default: none)")
    parser.add_argument("--config", default=None, help="YAML file with an evaluation config (default: none)")


def evaluate_checkpoint(checkpoint: str | Path, config: EvaluationConfig) -> dict:
    """Evaluate the planner of ``checkpoint``; writes metrics.json (and plans.png for mazes)."""
    if config.episodes < 1:
        raise UserError(f"episodes must be positive, got {config.episodes}")
    if config.num_envs < 1 or config.videos < 0:
        raise UserError(f"num_envs must be positive and videos not negative, got {config.num_envs} and "
                        f"{config.videos}")
    loaded = actor_from_checkpoint(checkpoint, config.planner, resolve_device(config.device))
    path, dataset_id, actor = loaded.path, loaded.dataset_id, loaded.actor
    dataset = open_minari_dataset(dataset_id)
    register_robotics_envs()
    render = {"render_mode": "rgb_array"} if config.videos else {}
    envs = make_eval_envs(lambda: dataset.recover_environment(eval_env=True, **render),
                          min(config.num_envs, config.episodes))
    output = Path(config.output_dir) if config.output_dir else path.parent.parent / "eval"
    output.mkdir(parents=True, exist_ok=True)
    experiment = ExperimentLog(config.tracking, output, "evaluate", to_dict(config))
    try:
        started = time.perf_counter()
        result = evaluate_actor(actor, envs, config.episodes, config.seed, dataset_reference_scores(dataset),
                                video_episodes=config.videos, progress=True)
        seconds = time.perf_counter() - started
        metrics = {"checkpoint": str(path), "dataset_id": dataset_id, "training_step": loaded.step,
                   **result.metrics(), "actions_per_second": float(result.lengths.sum() / seconds)}
        maze = getattr(envs.envs[0].unwrapped, "maze", None)
        if maze is not None and config.plots > 0 and isinstance(actor, DiffusionPlanner):
            shown = actor.episodes[: config.plots]
            picture = plot_episodes(shown, maze.maze_map, maze.maze_size_scaling, output / "plans.png",
                                    result.successes[: len(shown)])
            metrics["plans_png"] = str(picture)
            experiment.log_image("eval/plans", picture, step=loaded.step)
        for k, frames in enumerate(result.videos):
            video = save_gif(frames, (output / "videos").joinpath(f"episode_{k}.gif"), every=2)
            experiment.log_video(f"eval/video_{k}", video, step=loaded.step)
        experiment.log({f"eval/{k}": v for k, v in metrics.items() if isinstance(v, float)}, step=loaded.step)
        experiment.summary({k: v for k, v in metrics.items() if isinstance(v, float)})
    finally:
        experiment.finish()
        envs.close()
    (output / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def run(args: argparse.Namespace) -> dict:
    config = load_config(EvaluationConfig, args.config, args.overrides)
    metrics = evaluate_checkpoint(args.checkpoint, config)
    print(json.dumps(metrics, indent=2))
    return metrics



