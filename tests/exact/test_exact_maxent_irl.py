"""Maximum-entropy IRL with exact expected visitation counts."""

import torch

from diffplan.exact import (
    empirical_visitation,
    expected_visitation,
    feature_expectations,
    gridworld_from_ascii,
    linear_reward,
    maxent_irl,
    maxent_irl_objective,
    one_hot_state_features,
    soft_optimal_visitation,
)

LAYOUT = ["S....", ".###.", "...#.", ".#...", "....G"]


def _total_variation(a, b):
    return 0.5 * (a / a.sum(-1, keepdim=True) - b / b.sum(-1, keepdim=True)).abs().sum(-1)


def test_maxent_irl_reproduces_expert_state_visitation_on_a_gridworld():
    true_mdp = gridworld_from_ascii(LAYOUT, slip=0.1, horizon=12, step_reward=-0.1, alpha=0.5)
    expert = soft_optimal_visitation(true_mdp)
    learner = true_mdp.replace(reward=torch.zeros_like(true_mdp.reward))
    result = maxent_irl(learner, expert.state_action)
    tv = _total_variation(result.visitation.state_counts, expert.state_counts)
    assert tv.item() < 1e-3
    # the learned reward's own soft-optimal visitation (recomputed from scratch) matches too
    again = soft_optimal_visitation(learner, result.reward)
    assert _total_variation(again.state_counts, expert.state_counts).item() < 1e-3
    assert result.feature_gap.item() < 1e-6


def test_exact_backup_irl_matches_expert_posterior_marginals():
    true_mdp = gridworld_from_ascii(["S..", ".#.", "..G"], slip=0.2, horizon=6, alpha=0.5)
    _, expert = expected_visitation(true_mdp, "exact")
    result = maxent_irl(true_mdp.replace(reward=torch.zeros_like(true_mdp.reward)), expert.state_action, backup="exact")
    assert _total_variation(result.visitation.state_counts, expert.state_counts).item() < 1e-3


def test_gradient_is_the_difference_of_exact_visitation_counts():
    mdp = gridworld_from_ascii(["S.#", "...", ".#G"], slip=0.3, horizon=5, alpha=0.7)
    features = one_hot_state_features(mdp.num_states, mdp.num_actions)
    expert_features = feature_expectations(soft_optimal_visitation(mdp).state_action, features)
    theta = torch.randn(1, mdp.num_states, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for backup in ("variational", "exact"):
        theta_var = theta.clone().requires_grad_(True)
        loss, grad, _, _ = maxent_irl_objective(mdp, theta_var, expert_features, features, backup, l2=0.1)
        (autograd,) = torch.autograd.grad(loss, theta_var)
        assert torch.allclose(grad, autograd, atol=1e-10), backup


def test_linear_reward_and_empirical_visitation():
    features = one_hot_state_features(3, 2)
    theta = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert torch.equal(linear_reward(features, theta)[0], torch.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]).double())
    states = torch.tensor([[0, 1, 2], [0, 2, 2]])
    actions = torch.tensor([[1, 0], [0, 0]])
    visits = empirical_visitation(states, actions, 3, 2)
    assert visits.shape == (2, 3, 2)
    assert visits[0, 0].tolist() == [0.5, 0.5] and visits[1, 1, 0] == 0.5 and visits[1, 2, 0] == 0.5
