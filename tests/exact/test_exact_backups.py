"""Exact vs variational backups, the lottery, alpha -> 0 and discounted soft value iteration."""

import math

import pytest
import torch

from diffplan.errors import UserError
from diffplan.exact import (
    backward_messages,
    gridworld,
    hard_backward_values,
    hard_value_iteration,
    lottery_mdp,
    random_mdp,
    soft_backup,
    soft_value_iteration,
)
from diffplan.exact.lottery import LOTTERY, START


def test_lottery_exact_backup_buys_and_variational_backup_refuses():
    mdp = lottery_mdp()
    exact = backward_messages(mdp, "exact")
    variational = backward_messages(mdp, "variational")
    hard = hard_backward_values(mdp)
    # exact: Q = -1 + log(0.001 e^100 + 0.999) ~ 92.1 -> buys with probability ~1
    expected = -1.0 + math.log(0.001 * math.exp(100.0) + 0.999)
    assert exact.q[0, 0, START, LOTTERY].item() == pytest.approx(expected, abs=1e-9)
    assert exact.policy[0, 0, START, LOTTERY] > 0.999
    # variational: Q = -1 + 0.001 * 100 = -0.9 < Q(safe) = 0 -> refuses
    assert variational.q[0, 0, START, LOTTERY].item() == pytest.approx(-0.9, abs=1e-9)
    assert variational.policy[0, 0, START, LOTTERY] < 0.5
    assert hard.greedy_action[0, 0, START] != LOTTERY
    # and at small temperature the variational agent refuses outright
    cold = backward_messages(lottery_mdp(alpha=0.01), "variational")
    assert cold.policy[0, 0, START, LOTTERY] < 1e-30


@pytest.mark.parametrize("backup", ["exact", "variational"])
def test_backups_agree_under_deterministic_dynamics(backup):
    mdp = gridworld(4, 5, slip=0.0, horizon=7, step_reward=-0.1, alpha=0.3)
    other = "variational" if backup == "exact" else "exact"
    assert torch.allclose(backward_messages(mdp, backup).q, backward_messages(mdp, other).q, atol=1e-12)


def test_exact_backup_is_optimistic_under_stochastic_dynamics():
    mdp = random_mdp(5, 3, horizon=4, seed=2, concentration=0.5)
    exact, variational = backward_messages(mdp, "exact"), backward_messages(mdp, "variational")
    # Jensen: log E exp >= E, compounding backwards
    assert (exact.v - variational.v >= -1e-12).all()
    assert (exact.v[:, 0] - variational.v[:, 0] > 1e-3).any()


def test_soft_backup_matches_dense_formulas():
    mdp = random_mdp(4, 3, seed=4, alpha=0.7, discount=0.9)
    v_next = torch.randn(1, 4, dtype=torch.float64)
    dense = mdp.dense_transitions()
    expected_exact = mdp.reward + 0.9 * 0.7 * torch.log(torch.einsum("bsat,bt->bsa", dense, torch.exp(v_next / 0.7)))
    expected_var = mdp.reward + 0.9 * torch.einsum("bsat,bt->bsa", dense, v_next)
    assert torch.allclose(soft_backup(mdp, v_next, "exact"), expected_exact, atol=1e-12)
    assert torch.allclose(soft_backup(mdp, v_next, "variational"), expected_var, atol=1e-12)
    with pytest.raises(UserError, match="unknown backup"):
        soft_backup(mdp, v_next, "optimistic")


@pytest.mark.parametrize("alpha", [1e-4, 1e-9])
def test_alpha_to_zero_recovers_hard_value_iteration(alpha):
    stochastic = random_mdp(6, 3, horizon=8, seed=8, random_action_prior=True, alpha=alpha)
    hard = hard_backward_values(stochastic)
    soft = backward_messages(stochastic, "variational")
    assert torch.allclose(soft.v, hard.v, atol=50 * alpha)
    assert torch.equal(soft.q.argmax(-1), hard.greedy_action)
    # the exact backup reaches hard VI only when the dynamics are deterministic
    grid = gridworld(5, 5, slip=0.0, horizon=10, step_reward=-1.0, alpha=alpha)
    assert torch.allclose(backward_messages(grid, "exact").v, hard_backward_values(grid).v, atol=50 * alpha)
    # discounted
    discounted = stochastic.replace(horizon=None, discount=0.8)
    soft_inf = soft_value_iteration(discounted, "variational")
    assert torch.allclose(soft_inf.v, hard_value_iteration(discounted).v, atol=50 * alpha)


def test_exact_backup_at_zero_temperature_is_fully_optimistic():
    mdp = random_mdp(4, 2, horizon=2, seed=9, alpha=1e-6)
    q = backward_messages(mdp, "exact").q[0, 0]
    v1 = mdp.reward[0].amax(-1)  # last-step hard values
    best_successor = torch.where(mdp.dense_transitions()[0] > 0, v1, -torch.inf).amax(-1)
    assert torch.allclose(q, mdp.reward[0] + best_successor, atol=1e-4)


@pytest.mark.parametrize("backup", ["exact", "variational"])
def test_soft_value_iteration_solves_the_kl_regularised_bellman_equation(backup):
    mdp = random_mdp(5, 4, seed=12, random_action_prior=True, discount=0.9, alpha=0.5)
    result = soft_value_iteration(mdp, backup)
    prior = mdp.action_prior
    dense = mdp.dense_transitions()
    if backup == "variational":
        q_target = mdp.reward + 0.9 * torch.einsum("bsat,bt->bsa", dense, result.v)
    else:
        q_target = mdp.reward + 0.9 * 0.5 * torch.log(torch.einsum("bsat,bt->bsa", dense, torch.exp(result.v / 0.5)))
    assert torch.allclose(result.q, q_target, atol=1e-10)
    assert torch.allclose(result.v, 0.5 * torch.log((prior * torch.exp(result.q / 0.5)).sum(-1)), atol=1e-10)
    # pi* ∝ pi_beta exp(Q_soft / alpha)
    unnormalised = prior * torch.exp(result.q / 0.5)
    assert torch.allclose(result.policy, unnormalised / unnormalised.sum(-1, keepdim=True), atol=1e-12)
    assert result.residual <= 1e-12


def test_finite_horizon_values_converge_to_discounted_values_with_absorbing_discount():
    # a discounted MDP equals an undiscounted one with a 1 - gamma chance of stopping each step; check instead
    # that the long-horizon undiscounted policy in a gridworld is stationary far from the end
    mdp = gridworld(4, 4, slip=0.1, horizon=60, step_reward=-0.2)
    policy = backward_messages(mdp, "variational").policy[0]
    assert torch.allclose(policy[0], policy[10], atol=1e-9)


def test_user_errors_for_horizon_and_discount():
    with pytest.raises(UserError, match="discount < 1"):
        soft_value_iteration(random_mdp(3, 2, horizon=3))
    with pytest.raises(UserError, match="no horizon"):
        backward_messages(random_mdp(3, 2, discount=0.9))
    with pytest.raises(UserError, match="undiscounted"):
        backward_messages(random_mdp(3, 2, horizon=3, discount=0.9))
