"""Baselines evaluated beside an actor on the same episodes: the data's expert and the no-planning controller.

``expert`` is the noise-free scripted expert of the dataset's recipe (it defines a normalised score of 100;
PointMaze's waypoint expert reads the maze from the environment, as the reference score does), ``greedy`` the
PD controller straight at the goal (:mod:`diffplan.evaluation.greedy_goal`), ``random`` uniform actions
(score 0 by definition). Each runs in its own copies of the eval environment, episode k seeded k as the actor.
"""

from __future__ import annotations

from collections.abc import Callable

from diffplan.data.pointmaze_expert import PointMazeExpert
from diffplan.data.policies import Policy, RandomPolicy
from diffplan.evaluation.greedy_goal import GreedyGoalPolicy
from diffplan.evaluation.vector_actor import PolicySlots

BASELINES: dict[str, Callable[[int], Policy]] = {
    "expert": lambda slot: PointMazeExpert(),
    "greedy": lambda slot: GreedyGoalPolicy(),
    "random": lambda slot: RandomPolicy(seed=slot),
}
"""Baseline name -> policy for sub-environment ``slot``."""


def baseline_actor(name: str, num_envs: int) -> PolicySlots:
    """One baseline policy per sub-environment of a ``SyncVectorEnv`` of ``num_envs``."""
    return PolicySlots([BASELINES[name](slot) for slot in range(num_envs)])
