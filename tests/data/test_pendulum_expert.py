"""The scripted Pendulum swing-up controller and the noise levels of the pendulum datasets."""

import gymnasium as gym
import numpy as np

from diffplan.data.pendulum_expert import PendulumSwingUpExpert
from diffplan.data.policies import NoisyPolicy, RandomPolicy
from diffplan.data.recipes import PENDULUM_MEDIUM_NOISE
from diffplan.data.reference_scores import episode_returns


def mean_return(policy, episodes: int = 20) -> float:
    env = gym.make("Pendulum-v1")
    try:
        return float(episode_returns(env, policy, episodes, seed=50).mean())
    finally:
        env.close()


def test_expert_swings_up_and_balances():
    env = gym.make("Pendulum-v1")
    expert = PendulumSwingUpExpert()
    obs, info = env.reset(seed=0)
    env.unwrapped.state = np.array([np.pi, 0.0])  # hanging straight down, at rest
    obs = env.unwrapped._get_obs()
    expert.reset(env, obs, info)
    for _ in range(200):
        action = expert(obs, info)
        assert action.shape == (1,) and action.dtype == np.float32 and abs(action[0]) <= 2.0
        obs, *_ = env.step(action)
    assert obs[0] > 0.99  # cos(theta): upright
    assert abs(obs[2]) < 0.1


def test_expert_beats_medium_beats_random():
    expert = mean_return(PendulumSwingUpExpert())
    medium = mean_return(NoisyPolicy(PendulumSwingUpExpert(), seed=1, **PENDULUM_MEDIUM_NOISE))
    random = mean_return(RandomPolicy(seed=2))
    assert expert > -200  # a good swing-up scores about -140 on average
    assert expert > medium > random
    normalised_medium = (medium - random) / (expert - random)
    assert 0.25 < normalised_medium < 0.6
