"""Planning problems for ``diffplan plan``: start states and goals given by the user, or from eval-env resets."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from diffplan.data.collect import register_robotics_envs
from diffplan.data.minari_source import open_minari_dataset
from diffplan.data.normalizer import AffineNormalizer
from diffplan.errors import UserError
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import TrainedPrior

log = logging.getLogger(__name__)

Maze = tuple[list[list[int]], float]
"""A gymnasium-robotics maze: its map (1 = wall) and cell size."""


@dataclass
class Problems:
    """Start states (P, S) and goals (P, G) or None, in environment units, and the maze they lie in or None."""

    starts: np.ndarray
    goals: np.ndarray | None
    maze: Maze | None


def maze_of(env: Any) -> Maze | None:
    """The maze map and cell size of a gymnasium-robotics maze environment, or None."""
    maze = getattr(env.unwrapped, "maze", None)
    return None if maze is None else (maze.maze_map, float(maze.maze_size_scaling))


def problems_from_env(prior: TrainedPrior, seed: int, resets: int) -> Problems:
    """Starts and goals of ``resets`` resets (seeds seed, seed + 1, ...) of the dataset's eval environment."""
    dataset = open_minari_dataset(prior.config.data.dataset_id)
    register_robotics_envs()
    env = dataset.recover_environment(eval_env=True)
    try:
        observations = [env.reset(seed=seed + k)[0] for k in range(resets)]
        maze = maze_of(env)
    finally:
        env.close()
    starts = np.stack([prior.layout.single_state(obs) for obs in observations]).astype(np.float32)
    goals = None
    if prior.layout.goal_key:
        goals = np.stack([np.asarray(obs[prior.layout.goal_key], dtype=np.float32).reshape(-1)
                          for obs in observations])
    return Problems(starts, goals, maze)


def problems_from_arguments(prior: TrainedPrior, config: PlannerConfig, starts: list[list[float]],
                            goals: list[list[float]] | None) -> Problems:
    """The problems of ``--start`` (P of them) and ``--goal`` (one per start, or one for all), checked."""
    state_dim = prior.layout.state_dim
    wrong = next((s for s in starts if len(s) != state_dim), None)
    if wrong is not None:
        keys = ", ".join(prior.layout.state_keys) or "the array observation"
        raise UserError(f"--start {','.join(map(str, wrong))} has {len(wrong)} numbers but the prior's state has "
                        f"{state_dim} (from {keys}); give the full state")
    goal_array = None
    if goals:
        if config.reward != "goal_distance" and not prior.inpaint_goal:
            raise UserError("--goal is used only by a goal-inpainted prior or planner.reward=goal_distance; "
                            "drop --goal or set planner.reward=goal_distance")
        if len(goals) not in (1, len(starts)):
            raise UserError(f"{len(goals)} --goal for {len(starts)} --start; give one goal per start or one for all")
        if len({len(goal) for goal in goals}) > 1:
            raise UserError("the --goal vectors differ in length; give every goal the same dimensions")
        goal_array = np.array(goals * len(starts) if len(goals) == 1 else goals, dtype=np.float32)
    return Problems(np.array(starts, dtype=np.float32), goal_array, local_maze(prior))


def local_maze(prior: TrainedPrior) -> Maze | None:
    """The maze of the prior's dataset's eval environment, when the dataset is on this machine and is a maze."""
    try:
        dataset = open_minari_dataset(prior.config.data.dataset_id)
    except UserError:
        log.info("dataset %s is not on this machine: no maze picture", prior.config.data.dataset_id)
        return None
    register_robotics_envs()
    env = dataset.recover_environment(eval_env=True)
    try:
        return maze_of(env)
    finally:
        env.close()


# How far from the dataset a start or goal may lie, in normalised units: with the ``limits`` normaliser the
# data spans [-1, 1], so 3 is a whole data range beyond its edge; with ``gaussian``, 10 standard deviations.
FAR_OUTSIDE = {"limits": 3.0, "gaussian": 10.0}


def check_in_data_range(name: str, values: np.ndarray, normalizer: AffineNormalizer) -> None:
    """Raise UserError when a ``(P, K)`` array of states (or goals) in environment units has a non-finite entry,
    or one far outside the range of the dataset that ``normalizer`` ``(K,)`` was fit on."""
    for row in values:
        shown = ",".join(f"{v:g}" for v in row)
        if not np.isfinite(row).all():
            raise UserError(f"{name} {shown} is not finite; give finite numbers")
        shift, scale = normalizer.shift.cpu().numpy(), normalizer.scale.cpu().numpy()
        far = np.flatnonzero(np.abs((row - shift) / scale) > FAR_OUTSIDE[normalizer.kind])
        if far.size:
            d = int(far[0])
            spread = (f"[{shift[d] - scale[d]:.3g}, {shift[d] + scale[d]:.3g}]" if normalizer.kind == "limits"
                      else f"mean {shift[d]:.3g}, sd {scale[d]:.3g}")
            raise UserError(f"{name} {shown}: entry {d} ({row[d]:g}) is far outside the dataset's range ({spread}); "
                            "give one the data covers")


def check_problems(problems: Problems, config: PlannerConfig, prior: TrainedPrior) -> None:
    """Raise UserError before anything is sampled: starts or goals not finite or far outside the dataset's range,
    or goals whose dimensions do not fit the planner's ``goal_state_dims``."""
    states = prior.normalizer.select(slice(prior.action_dim, None))
    check_in_data_range("--start", problems.starts, states)
    check_goal_dims(problems, config, prior.layout.state_dim)
    if problems.goals is not None:
        goal_dims = torch.as_tensor(config.goal_state_dims)
        check_in_data_range("--goal", problems.goals,
                            AffineNormalizer(states.kind, states.shift[goal_dims], states.scale[goal_dims]))


def check_goal_dims(problems: Problems, config: PlannerConfig, state_dim: int) -> None:
    """Raise UserError when goals are planned for but the planner's goal dimensions lie outside the state."""
    if problems.goals is None:
        return
    if problems.goals.shape[1] != len(config.goal_state_dims):
        raise UserError(f"the goals have {problems.goals.shape[1]} numbers but planner.goal_state_dims is "
                        f"{config.goal_state_dims}; set planner.goal_state_dims to the state dimensions of the goal")
    bad = [d for d in [*config.goal_state_dims, *config.rest_at_goal_dims] if not 0 <= d < state_dim]
    if bad:
        raise UserError(f"planner state dimensions {bad} are outside the prior's {state_dim} state dimensions; "
                        "fix planner.goal_state_dims / rest_at_goal_dims")
