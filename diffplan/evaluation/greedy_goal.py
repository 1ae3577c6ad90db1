"""The no-planning baseline of goal-reaching mazes: PD straight at the goal.

``action = clip(kp · (goal − position) − kd · velocity, −1, 1)`` with the expert's gains (10, 1). It reads only
the observation (``observation`` = (x, y, vx, vy) and ``desired_goal``), so it is what a planner must beat:
where a straight line reaches the goal it arrives sooner than the waypoint expert, and where a wall is in the
way it stays stuck against it.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from diffplan.data.policies import Obs


class GreedyGoalPolicy:
    """PD control straight at ``obs["desired_goal"]`` (implements :class:`~diffplan.data.policies.Policy`).

    Args:
        kp: gain on ``goal − position``.
        kd: gain on the velocity.
    """

    def __init__(self, kp: float = 10.0, kd: float = 1.0) -> None:
        self.kp, self.kd = kp, kd

    def reset(self, env: gym.Env, obs: Obs, info: dict[str, Any]) -> None:
        """Nothing to remember: the policy is Markovian in the observation."""

    def __call__(self, obs: Obs, info: dict[str, Any]) -> np.ndarray:
        """Action ``(2,)`` float32 in [-1, 1] from a PointMaze dict observation."""
        state = np.asarray(obs["observation"], dtype=np.float64)
        goal = np.asarray(obs["desired_goal"], dtype=np.float64)
        action = self.kp * (goal - state[:2]) - self.kd * state[2:4]
        return np.clip(action, -1.0, 1.0).astype(np.float32)
