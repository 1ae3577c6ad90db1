"""The no-planning baseline: PD straight at the goal, reading only the observation."""

import numpy as np

from diffplan.evaluation.greedy_goal import GreedyGoalPolicy


def test_greedy_action_is_clipped_pd_at_the_goal():
    policy = GreedyGoalPolicy()
    obs = {"observation": np.array([0.0, 0.0, 0.5, -0.2]), "desired_goal": np.array([0.01, 1.0])}
    policy.reset(None, obs, {})
    np.testing.assert_allclose(policy(obs, {}), [10 * 0.01 - 0.5, 1.0], rtol=1e-6)
