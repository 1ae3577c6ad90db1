"""The scripted PointMaze expert: Q-iteration waypoints and PD control reach goals in every maze."""

import gymnasium as gym
import numpy as np
import pytest

from diffplan.data.collect import register_robotics_envs
from diffplan.data.pointmaze_expert import PointMazeExpert, QIterationPlanner

register_robotics_envs()

U_MAZE = [
    [1, 1, 1, 1, 1],
    [1, 0, 0, 0, 1],
    [1, 1, 1, 0, 1],
    [1, 0, 0, 0, 1],
    [1, 1, 1, 1, 1],
]


def test_planner_follows_the_u_around_the_wall():
    planner = QIterationPlanner(U_MAZE, gamma=0.99)
    assert planner.path((1, 1), (3, 1)) == [(1, 1), (1, 2), (1, 3), (2, 3), (3, 3), (3, 2), (3, 1)]
    values = planner.values((3, 1))
    assert values[3, 1] == 1.0
    assert values[1, 1] == pytest.approx(0.99**6)
    assert values[0, 0] == 0.0 and values[2, 1] == 0.0  # walls
    assert planner.next_cell((3, 1), (3, 1)) == (3, 1)


def test_planner_rejects_wall_cells():
    planner = QIterationPlanner(U_MAZE)
    with pytest.raises(ValueError, match="wall"):
        planner.values((2, 1))


def success_rate(env_id: str, max_steps: int, episodes: int, seed: int = 0) -> tuple[float, float]:
    """Fraction of eval episodes (single goal, reset_target=False) that end at the goal, and mean return."""
    env = gym.make(env_id, continuing_task=True, reset_target=False, max_episode_steps=max_steps)
    expert = PointMazeExpert()
    successes, returns = [], []
    for k in range(episodes):
        obs, info = env.reset(seed=seed + k)
        expert.reset(env, obs, info)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(expert(obs, info))
            total += reward
            done = terminated or truncated
        successes.append(info["success"])
        returns.append(total)
    env.close()
    return float(np.mean(successes)), float(np.mean(returns))


def test_expert_reaches_the_goal_in_umaze():
    rate, mean_return = success_rate("PointMaze_UMaze-v3", 300, episodes=20)
    assert rate >= 0.95
    assert mean_return > 150  # sparse: steps spent within 0.45 of the goal, out of 300


@pytest.mark.parametrize(("env_id", "max_steps"), [("PointMaze_Medium-v3", 600), ("PointMaze_Large-v3", 800)])
def test_expert_reaches_the_goal_in_medium_and_large(env_id, max_steps):
    rate, _ = success_rate(env_id, max_steps, episodes=6, seed=100)
    assert rate >= 5 / 6


def test_expert_reads_the_resampled_goal_from_the_env():
    """In a continuing run the goal moves on success; the expert keeps reaching the new goals."""
    env = gym.make("PointMaze_UMaze-v3", continuing_task=True, reset_target=True, max_episode_steps=2000)
    expert = PointMazeExpert()
    obs, info = env.reset(seed=3)
    expert.reset(env, obs, info)
    reached = 0
    for _ in range(2000):
        obs, _, _, _, info = env.step(expert(obs, info))
        reached += info["success"]
    env.close()
    assert reached >= 15  # a U-Maze goal takes well under 100 steps
