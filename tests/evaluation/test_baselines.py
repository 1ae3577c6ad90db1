"""The baselines: the recipe's expert found by the env's id, zero actions, and a clear error elsewhere."""

import gymnasium as gym
import numpy as np
import pytest

from diffplan.errors import UserError
from diffplan.evaluation.baselines import RecipeExpert, ZeroPolicy, has_expert


def test_the_expert_follows_the_env_and_refuses_an_env_without_one():
    assert has_expert("Reacher-v5") and has_expert("PointMaze_UMaze-v3") and not has_expert("Hopper-v5")
    expert = RecipeExpert()
    for env_id in ("InvertedDoublePendulum-v5", "Pendulum-v1"):
        env = gym.make(env_id)
        obs, info = env.reset(seed=0)
        expert.reset(env, obs, info)
        action = expert(obs, info)
        assert action.shape == env.action_space.shape and env.action_space.contains(action)
    hopper = gym.make("Hopper-v5")
    obs, info = hopper.reset(seed=0)
    with pytest.raises(UserError, match="no scripted expert for Hopper-v5"):
        expert.reset(hopper, obs, info)


def test_zero_actions():
    env = gym.make("Reacher-v5")
    obs, info = env.reset(seed=0)
    policy = ZeroPolicy()
    policy.reset(env, obs, info)
    assert np.array_equal(policy(obs, info), np.zeros(2, np.float32))
