"""Baselines evaluated beside an actor on the same episodes: the data's expert and the no-planning controller.

``expert`` is the noise-free scripted expert of the dataset's recipe, chosen by the eval env's id (it defines a
normalised score of 100; PointMaze's waypoint expert reads the maze from the environment, the MuJoCo experts
the simulator, as the reference score does), ``greedy`` the
PD controller straight at the goal (:mod:`diffplan.evaluation.greedy_goal`), ``random`` uniform actions
(score 0 by definition), ``zero`` no action at all (on Reacher it scores far above random, whose control cost
sets the score's zero). Each runs in its own copies of the eval environment, episode k seeded k as the actor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np

from diffplan.data.pointmaze_expert import PointMazeExpert
from diffplan.data.policies import Policy, RandomPolicy
from diffplan.data.recipes import CONTROL_TASKS
from diffplan.errors import UserError
from diffplan.evaluation.greedy_goal import GreedyGoalPolicy
from diffplan.evaluation.vector_actor import PolicySlots


def has_expert(env_id: str) -> bool:
    """Whether a recipe's scripted expert drives ``env_id`` (the ``expert`` baseline)."""
    return env_id.startswith("PointMaze") or env_id in {task.env_id for task in CONTROL_TASKS.values()}


class RecipeExpert:
    """The noise-free expert of the recipe that collects data for the env being reset (implements ``Policy``)."""

    def __init__(self) -> None:
        self._experts = {task.env_id: task.expert for task in CONTROL_TASKS.values()}
        self._current: Policy | None = None
        self._env_id = ""

    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        env_id = env.spec.id if env.spec is not None else type(env.unwrapped).__name__
        if env_id != self._env_id:
            if not has_expert(env_id):
                raise UserError(f"no scripted expert for {env_id}; the expert baseline covers PointMaze and "
                                f"{', '.join(self._experts)}: remove it from evaluation baselines")
            self._current = PointMazeExpert() if env_id.startswith("PointMaze") else self._experts[env_id]()
            self._env_id = env_id
        self._current.reset(env, obs, info)

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        if self._current is None:
            raise RuntimeError("RecipeExpert.reset(env, obs, info) must be called before the first action")
        return self._current(obs, info)


class ZeroPolicy:
    """Zero actions (the middle of a symmetric Box action space; implements ``Policy``)."""

    def __init__(self) -> None:
        self._action: np.ndarray | None = None

    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        self._action = np.zeros(env.action_space.shape, dtype=env.action_space.dtype)

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        if self._action is None:
            raise RuntimeError("ZeroPolicy.reset(env, obs, info) must be called before the first action")
        return self._action


BASELINES: dict[str, Callable[[int], Policy]] = {
    "expert": lambda slot: RecipeExpert(),
    "greedy": lambda slot: GreedyGoalPolicy(),
    "random": lambda slot: RandomPolicy(seed=slot),
    "zero": lambda slot: ZeroPolicy(),
}
"""Baseline name -> policy for sub-environment ``slot``."""

MAZE_BASELINES = ("greedy",)
"""Baselines that only PointMaze has (a goal to drive at)."""


def baseline_actor(name: str, num_envs: int) -> PolicySlots:
    """One baseline policy per sub-environment of a ``SyncVectorEnv`` of ``num_envs``."""
    return PolicySlots([BASELINES[name](slot) for slot in range(num_envs)])
