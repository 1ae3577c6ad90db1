"""Planning problems for ``diffplan plan``: start states and goals given by the user, or from eval-env resets."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from diffplan.data.collect import register_robotics_envs
from diffplan.data.minari_source import open_minari_dataset
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
