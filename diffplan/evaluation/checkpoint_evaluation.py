"""Evaluating a trained actor (a prior's planner, an RL policy) in its dataset's eval environment, with
baselines on the same episodes (what ``diffplan evaluate`` runs)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from diffplan.config import to_dict
from diffplan.data.collect import register_robotics_envs
from diffplan.data.minari_source import open_minari_dataset
from diffplan.data.pointmaze_maps import without_goal
from diffplan.devices import resolve_device
from diffplan.errors import UserError
from diffplan.evaluation.actor_checkpoint import actor_from_checkpoint
from diffplan.evaluation.baselines import BASELINES, MAZE_BASELINES, baseline_actor, has_expert
from diffplan.evaluation.plan_quality import MazeGeometry, plan_quality
from diffplan.evaluation.rollout_video import save_gif
from diffplan.evaluation.rollouts import dataset_reference_scores, evaluate_actor, make_eval_envs
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.maze_plot import plot_episodes
from diffplan.planning.planner_config import PlannerConfig
from diffplan.tracking import ExperimentLog, TrackingConfig
from diffplan.training.checkpoint import model_home


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
        protocol: ``dataset``: the eval env stored with the dataset (for diffplan's PointMaze datasets Minari's
            protocol: one fixed goal cell, starts in every other free cell); ``random_goal``: the same env with
            the map's goal cell cleared, so goal and start are drawn among all free cells (mazes only).
        baselines: evaluated on the same episodes and reported beside the actor, with the difference of
            normalised scores: ``expert`` (the recipe's noise-free expert), ``greedy`` (PD straight at the goal),
            ``random``; PointMaze only.
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
    protocol: Literal["dataset", "random_goal"] = "dataset"
    baselines: list[str] = field(default_factory=list)


def evaluate_checkpoint(checkpoint: str | Path, config: EvaluationConfig) -> dict:
    """Evaluate the planner of ``checkpoint``; writes metrics.json (and plans.png for mazes)."""
    if config.episodes < 1:
        raise UserError(f"episodes must be positive, got {config.episodes}")
    if config.num_envs < 1 or config.videos < 0:
        raise UserError(f"num_envs must be positive and videos not negative, got {config.num_envs} and "
                        f"{config.videos}")
    unknown = [name for name in config.baselines if name not in BASELINES]
    if unknown:
        raise UserError(f"unknown baselines {unknown}; choose among {', '.join(BASELINES)}")
    if config.protocol not in ("dataset", "random_goal"):
        raise UserError(f"protocol '{config.protocol}' is unknown; use dataset or random_goal")
    loaded = actor_from_checkpoint(checkpoint, config.planner, resolve_device(config.device))
    path, dataset_id, actor = loaded.path, loaded.dataset_id, loaded.actor
    dataset = open_minari_dataset(dataset_id)
    register_robotics_envs()
    render = {"render_mode": "rgb_array"} if config.videos else {}
    make_env = eval_env_factory(dataset, config.protocol, render)
    envs = make_eval_envs(make_env, min(config.num_envs, config.episodes))
    maze = getattr(envs.envs[0].unwrapped, "maze", None)
    maze_only = [name for name in config.baselines if name in MAZE_BASELINES]
    if maze_only and maze is None:
        envs.close()
        raise UserError(f"baselines {maze_only} are PointMaze controllers, but {dataset_id} is no maze; "
                        "remove them from evaluation baselines")
    env_id = envs.envs[0].spec.id if envs.envs[0].spec is not None else dataset_id
    if "expert" in config.baselines and not has_expert(env_id):
        envs.close()
        raise UserError(f"no scripted expert for {env_id} (the expert baseline covers PointMaze and the "
                        "recipes' control tasks); remove it from evaluation baselines")
    output = Path(config.output_dir) if config.output_dir else model_home(path) / "eval"
    output.mkdir(parents=True, exist_ok=True)
    experiment = ExperimentLog(config.tracking, output, "evaluate", to_dict(config))
    try:
        started = time.perf_counter()
        result = evaluate_actor(actor, envs, config.episodes, config.seed, dataset_reference_scores(dataset),
                                video_episodes=config.videos, progress=True)
        seconds = time.perf_counter() - started
        metrics = {"checkpoint": str(path), "dataset_id": dataset_id, "training_step": loaded.step,
                   **result.metrics(), "actions_per_second": float(result.lengths.sum() / seconds)}
        metrics["protocol"] = config.protocol
        if maze is not None and isinstance(actor, DiffusionPlanner):
            metrics.update(first_plan_quality(actor, MazeGeometry(maze.maze_map, maze.maze_size_scaling)))
        for name in config.baselines:
            baseline = evaluate_actor(baseline_actor(name, envs.num_envs), envs, config.episodes, config.seed,
                                      dataset_reference_scores(dataset))
            metrics.setdefault("baselines", {})[name] = baseline.metrics()
            if "normalized_score_mean" in metrics:
                metrics[f"ahead_of_{name}"] = metrics["normalized_score_mean"] - \
                    baseline.metrics()["normalized_score_mean"]
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


def eval_env_factory(dataset: Any, protocol: str, render: dict[str, Any]) -> Any:
    """A function making the dataset's eval env, or for ``random_goal`` that env with its goal cell cleared."""
    if protocol == "dataset":
        return lambda: dataset.recover_environment(eval_env=True, **render)
    spec = dataset.recover_environment(eval_env=True).spec
    maze_map = (spec.kwargs or {}).get("maze_map") if spec is not None else None
    if maze_map is None:
        raise UserError(f"protocol=random_goal needs a maze whose eval env names its map; "
                        f"{dataset.storage.metadata.get('dataset_id')} has none; use protocol=dataset")
    return lambda: dataset.recover_environment(eval_env=True, maze_map=without_goal(maze_map), **render)


def first_plan_quality(planner: DiffusionPlanner, geometry: MazeGeometry) -> dict[str, float]:
    """Means over episodes of the quality of each episode's first plan (:func:`plan_quality`)."""
    dims = planner.config.waypoint_position_dims
    scores = [plan_quality(geometry, record.plans[0][1][:, dims], record.goal_rows[0])
              for record in planner.episodes if record.plans]
    if not scores:
        return {}
    return {f"plan_{key}": float(np.nanmean([score[key] for score in scores])) for key in scores[0]}


