"""The goal's arrival time chosen among candidate rows: the plan a controller can follow is kept."""

import numpy as np
import pytest
import torch
from helpers.mazes import umaze

from diffplan.config import load_config
from diffplan.errors import UserError
from diffplan.evaluation.rollouts import evaluate_actor
from diffplan.planning.arrival_time import followable_arrival, largest_move
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import load_prior


def straight_line(start: float, goal: float, goal_row: int, horizon: int) -> torch.Tensor:
    """``(H, 2)`` positions moving evenly from start to goal by ``goal_row``, then staying."""
    x = torch.cat([torch.linspace(start, goal, goal_row + 1), torch.full((horizon - goal_row - 1,), goal)])
    return torch.stack([x, torch.zeros_like(x)], dim=-1)


def test_largest_move_counts_only_rows_up_to_the_goal():
    plan = straight_line(0.0, 1.0, 4, 8)
    plan[6] = 50.0  # after the goal: not tracked
    assert largest_move(plan[None], torch.tensor([4])).item() == pytest.approx(0.25)
    assert largest_move(plan[None], torch.tensor([7])).item() > 40


def test_the_plan_that_jumps_to_its_goal_loses():
    horizon = 16
    smooth = straight_line(0.0, 3.0, 11, horizon)  # arrives at row 11 in steps of 0.27
    jumping = torch.zeros(horizon, 2)  # lingers at the start, then jumps to the goal at its goal row 3
    jumping[3:, 0] = 3.0
    early_smooth = straight_line(0.0, 3.0, 15, horizon)
    plans = torch.stack([jumping, smooth, early_smooth])[:, None]  # (K=3, B=1, H, 2)
    assert followable_arrival(plans, [3, 11, 15], [0, 1]).tolist() == [2]
    # equal candidates: the earliest arrival is kept
    assert followable_arrival(torch.stack([smooth, smooth])[:, None], [11, 11], [0, 1]).tolist() == [0]


def test_planner_draws_every_arrival_in_one_batch_and_keeps_the_chosen_goal_row(prior_run):
    prior = load_prior(prior_run)
    steps = [7, 15, prior.horizon - 1]
    config = load_config(PlannerConfig, None, [f"arrival_steps={steps}", "posterior.num_steps=2",
                                               "posterior.method=prior"])
    planner = DiffusionPlanner(prior, config)
    calls = []
    plan = planner.plan
    planner.plan = lambda states, goals, previous, rows, streams: calls.append(rows.tolist()) or plan(
        states, goals, previous, rows, streams)
    evaluate_actor(planner, umaze(), episodes=1)
    assert calls == [[7, 15, prior.horizon - 1]]
    row = int(planner._goal_rows[0])
    assert row in steps
    planned = planner.episodes[0].plans[0][1]
    np.testing.assert_allclose(planned[row, :2], planner.episodes[0].goal, atol=1e-4)


@pytest.mark.parametrize("steps", [[0], [5, 10_000]])
def test_arrival_steps_outside_the_horizon_are_refused(prior_run, steps):
    with pytest.raises(UserError, match="arrival_steps must lie in"):
        DiffusionPlanner(load_prior(prior_run), load_config(PlannerConfig, None, [f"arrival_steps={steps}"]))
