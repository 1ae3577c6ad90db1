"""Reward networks, the max-ent objective's gradient, the AIRL transitions and the rank correlation."""

from __future__ import annotations

import pytest
import torch

from diffplan.errors import UserError
from diffplan.irl.airl_learner import window_transitions
from diffplan.irl.maxent_objective import importance_weights, maxent_irl_loss
from diffplan.irl.reward_correlation import spearman
from diffplan.irl.reward_network import RewardNetwork, RewardNetworkConfig


@pytest.mark.parametrize("inputs", ["state", "state_action", "transition"])
def test_reward_networks_score_windows_and_steps(inputs):
    torch.manual_seed(0)
    net = RewardNetwork(RewardNetworkConfig(inputs, [16], state_dim=3, action_dim=2))
    states, actions = torch.randn(4, 5, 3), torch.randn(4, 5, 2)
    rewards = net(states, actions)
    assert rewards.shape == (4, 5)
    steps = net.step_reward(states[:, :-1], actions[:, :-1], states[:, 1:])
    assert torch.allclose(rewards[:, :-1], steps)
    mask = torch.ones(4, 5, dtype=torch.bool)
    mask[0, 3:] = False
    valid = net.valid_steps(mask)
    if inputs == "transition":
        assert (rewards[:, -1] == 0).all() and not valid[:, -1].any() and valid[0].tolist() == [1, 1, 0, 0, 0]
    else:
        assert torch.equal(valid, mask)
    x = torch.cat([actions, states], dim=-1)
    assert torch.allclose(net.window_rewards(x, mask), rewards * valid)


def test_state_dims_select_what_the_reward_reads():
    net = RewardNetwork(RewardNetworkConfig("state", [8], state_dims=[0, 1], state_dim=4, action_dim=2))
    states = torch.randn(6, 4)
    moved = states.clone()
    moved[:, 2:] += 5.0
    assert torch.equal(net.step_reward(states, None), net.step_reward(moved, None))
    with pytest.raises(UserError, match="state_dims"):
        RewardNetwork(RewardNetworkConfig("state", [8], state_dims=[7], state_dim=4, action_dim=2))
    with pytest.raises(UserError, match="reward_inputs"):
        RewardNetworkConfig("states")


def test_fourier_features_are_fixed_smooth_features_saved_with_the_network():
    torch.manual_seed(2)
    config = RewardNetworkConfig("state", [], state_dims=[0, 1], fourier_features=32, fourier_scale=1.0, state_dim=4,
                                 action_dim=2)
    net = RewardNetwork(config)
    assert [name for name, _ in net.named_parameters()] == ["network.1.0.weight", "network.1.0.bias"]
    copy = RewardNetwork(config)
    copy.load_state_dict(net.state_dict())
    states = torch.randn(10, 4)
    assert torch.equal(copy.step_reward(states, None), net.step_reward(states, None))
    features = net.network[0](states[:, :2])
    assert features.shape == (10, 32) and features.abs().max() <= (2 / 32) ** 0.5
    with pytest.raises(UserError, match="fourier"):
        RewardNetworkConfig("state", [], fourier_features=-1)


def test_maxent_gradient_is_demo_minus_self_normalised_posterior_expectation():
    torch.manual_seed(1)
    net = RewardNetwork(RewardNetworkConfig("state", [8], state_dim=3, action_dim=1)).double()
    demo, background = torch.randn(5, 4, 4, dtype=torch.float64), torch.randn(7, 4, 4, dtype=torch.float64)
    mask_d, mask_b = torch.ones(5, 4, dtype=torch.bool), torch.ones(7, 4, dtype=torch.bool)
    params = list(net.parameters())
    demo_returns = net.window_rewards(demo, mask_d).sum(1)
    background_returns = net.window_rewards(background, mask_b).sum(1)
    grads = torch.autograd.grad(maxent_irl_loss(demo_returns, background_returns), params, retain_graph=True)
    weights = importance_weights(background_returns.detach())
    expected = torch.autograd.grad(-(demo_returns.mean() - (weights * background_returns).sum()), params)
    for got, want in zip(grads, expected, strict=True):
        assert torch.allclose(got, want, atol=1e-12)  # float64: the output bias's gradient is 0 up to rounding
    assert torch.isclose(weights.sum(), torch.tensor(1.0, dtype=torch.float64))


def test_window_transitions_pair_consecutive_real_rows():
    x = torch.arange(2 * 3 * 3, dtype=torch.float32).reshape(2, 3, 3)  # A = 1, S = 2
    mask = torch.tensor([[True, True, True], [True, True, False]])
    states, actions, next_states = window_transitions(x, mask, 1)
    assert states.shape == (3, 2) and actions.shape == (3, 1)
    assert torch.equal(next_states[0], x[0, 1, 1:]) and torch.equal(states[2], x[1, 0, 1:])


def test_spearman_is_invariant_to_monotone_maps():
    a = torch.randn(100, dtype=torch.float64)
    assert spearman(a, a.exp() * 3 - 1) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
