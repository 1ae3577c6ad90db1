"""The planner batched across a gymnasium vector env: same episodes, one sampling call per step for all
environments due, replanning that keeps the goal's arrival time, and inverse-dynamics actions."""

import numpy as np
import pytest
import torch
from helpers.mazes import umaze

from diffplan.config import load_config
from diffplan.data.normalizer import AffineNormalizer
from diffplan.data.pointmaze_expert import PointMazeExpert
from diffplan.errors import UserError
from diffplan.evaluation.rollouts import evaluate_actor, make_eval_envs
from diffplan.evaluation.vector_actor import PolicySlots
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.goal_conditions import plan_conditions
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.inverse_dynamics import InverseDynamics
from diffplan.prior.prior_checkpoint import load_prior


def test_episodes_do_not_depend_on_how_many_environments_run_side_by_side():
    alone = evaluate_actor(PointMazeExpert(), umaze(), episodes=5, seed=3)
    side_by_side = evaluate_actor(PolicySlots([PointMazeExpert() for _ in range(3)]), make_eval_envs(umaze, 3),
                                  episodes=5, seed=3)
    np.testing.assert_allclose(side_by_side.returns, alone.returns)
    assert (side_by_side.lengths == alone.lengths).all() and (side_by_side.successes == alone.successes).all()


def test_a_single_env_policy_cannot_drive_several_environments():
    with pytest.raises(ValueError, match="PolicySlots"):
        evaluate_actor(PointMazeExpert(), make_eval_envs(umaze, 2), episodes=2)


def test_planner_samples_all_due_environments_in_one_batch(prior_run):
    config = load_config(PlannerConfig, None, ["replan_every=20", "warm_start=true", "posterior.num_steps=3",
                                               "posterior.method=prior", "posterior.warm_start_noise_level=0.5"])
    planner = DiffusionPlanner(load_prior(prior_run), config)
    batches = []
    plan = planner.plan
    planner.plan = lambda states, *args: batches.append(len(states)) or plan(states, *args)
    result = evaluate_actor(planner, make_eval_envs(umaze, 3), episodes=4, seed=0)
    assert (result.lengths == 60).all() and len(planner.episodes) == 4
    assert all(len(record.plans) == 3 and len(record.states) == 60 for record in planner.episodes)
    # 4 episodes × 3 plans, drawn as: 3 fresh, then 3 warm twice, then the 4th episode alone
    assert sum(batches) == 12 and max(batches) == 3 and len(batches) <= 6


def test_replanned_goal_keeps_its_arrival_time(prior_run):
    prior = load_prior(prior_run)
    planner = DiffusionPlanner(prior, load_config(PlannerConfig, None, ["replan_every=10", "min_goal_steps=4",
                                                                        "posterior.num_steps=2"]))
    rows = []
    plan = planner.plan
    planner.plan = lambda *args: rows.append(args[3].tolist()) or plan(*args)
    evaluate_actor(planner, umaze(), episodes=1)
    horizon = prior.horizon
    assert [r[0] for r in rows] == [horizon - 1, horizon - 11, horizon - 21, 4, 4, 4]


def test_goal_rows_fix_the_goal_where_asked():
    normalizer = AffineNormalizer("gaussian", torch.zeros(6), torch.ones(6))
    conditions = plan_conditions(torch.zeros(2, 4), normalizer, 8, 2, torch.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                 [0, 1], [2, 3], goal_rows=torch.tensor([7, 3]))
    assert conditions.mask[0, 7, 2:].all() and conditions.mask[1, 3, 2:].all()
    assert not conditions.mask[1, 4:].any() and not conditions.mask[0, 1:7].any()
    assert conditions.values[1, 3, 2:].tolist() == [3.0, 4.0, 0.0, 0.0]


def test_inverse_dynamics_learns_the_action_between_states():
    torch.manual_seed(0)
    model = InverseDynamics(state_dim=3, action_dim=2, hidden_dims=[32])
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    matrix = torch.randn(2, 3)
    for _ in range(300):
        states = torch.randn(16, 9, 3)
        actions = torch.einsum("ad,bhd->bha", matrix, states[:, 1:] - states[:, :-1])
        x = torch.cat([torch.cat([actions, torch.zeros(16, 1, 2)], dim=1), states], dim=-1)
        loss = model.loss(x, torch.ones(16, 9, dtype=torch.bool), action_dim=2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05 * float(matrix.pow(2).sum())


def test_planner_acts_through_the_inverse_dynamics_head(prior_run):
    prior = load_prior(prior_run)
    assert prior.inverse_dynamics is not None
    planner = DiffusionPlanner(prior, load_config(PlannerConfig, None, ["action=inverse_dynamics",
                                                                        "posterior.num_steps=2"]))
    result = evaluate_actor(planner, make_eval_envs(umaze, 2), episodes=2)
    assert (result.lengths == 60).all() and np.isfinite(result.returns).all()
    prior.inverse_dynamics = None
    with pytest.raises(UserError, match="inverse-dynamics"):
        DiffusionPlanner(prior, load_config(PlannerConfig, None, ["action=inverse_dynamics"]))
