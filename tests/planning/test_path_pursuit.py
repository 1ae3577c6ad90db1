"""Pursuit of the plan's path: progress never goes back nor short-cuts a fold, the target leads by the lookahead."""

import numpy as np
import pytest

from diffplan.planning.path_pursuit import pursue, pursuit_actions


def u_turn(rows: int = 41) -> np.ndarray:
    """``(1, H, 2)`` a path right along y = 1, down, and back left along y = -1 (a U on its side)."""
    top = np.stack([np.linspace(-1, 1, 15), np.ones(15)], axis=1)
    side = np.stack([np.ones(11), np.linspace(1, -1, 11)], axis=1)[1:-1]
    bottom = np.stack([np.linspace(1, -1, rows - 24), -np.ones(rows - 24)], axis=1)
    return np.concatenate([top, side, bottom])[None]


def test_target_leads_by_the_lookahead_along_the_path():
    plan = u_turn()
    targets, progress = pursue(plan, np.array([40]), np.array([0]), np.array([[-1.0, 1.0]]), 0.5, 0.5)
    assert progress.tolist() == [0]
    assert np.linalg.norm(targets[0] - [-1.0, 1.0]) == pytest.approx(0.5, abs=0.15)
    assert targets[0, 1] == pytest.approx(1.0)  # on the top leg, ahead


def test_progress_does_not_jump_to_a_leg_that_passes_close_by():
    plan = u_turn()
    # an agent halfway down the side leg progresses along it, not to the bottom leg
    _, progress = pursue(plan, np.array([40]), np.array([12]), np.array([[1.0, 0.0]]), 0.5, 0.5)
    assert 12 <= progress[0] <= 24
    # an agent on the bottom leg, whose progress is still on the top leg: the rows in between are more than
    # `search` away, so its progress stays on the top leg's end instead of leaping forward
    _, stuck = pursue(plan, np.array([40]), np.array([0]), np.array([[0.0, -1.0]]), 0.5, 0.5)
    assert stuck[0] < 14


def test_past_the_end_the_target_is_the_goal_row():
    plan = u_turn()
    targets, progress = pursue(plan, np.array([30]), np.array([28]), plan[:, 29], 0.5, 0.5)
    np.testing.assert_allclose(targets[0], plan[0, 30])
    assert progress[0] <= 30


def test_an_agent_at_the_goal_holds_it_instead_of_following_a_loop_back_to_it():
    # a replan drawn at the goal: out along the top leg and back to where the agent is
    out = np.stack([np.linspace(0, 2, 11), np.zeros(11)], axis=1)
    plan = np.concatenate([out, out[::-1][1:]])[None]  # (1, 21, 2), goal row 20 = the start
    targets, progress = pursue(plan, np.array([20]), np.array([0]), np.array([[0.1, 0.0]]), 0.5, 0.5)
    np.testing.assert_allclose(targets[0], plan[0, 20])
    assert progress[0] == 20  # arrived: not stalled
    # farther from the goal than the lookahead, it follows the path as before
    targets, _ = pursue(plan, np.array([20]), np.array([0]), np.array([[-0.6, 0.0]]), 0.5, 0.5)
    assert targets[0, 0] > 0.0


def test_actions_are_pd_toward_the_target():
    plan = u_turn()
    position, velocity = np.array([[-1.0, 1.0]]), np.array([[0.5, 0.0]])
    actions, _ = pursuit_actions(plan, np.array([40]), np.array([0]), position, velocity, 0.5, 0.5, 10.0, 1.0)
    target, _ = pursue(plan, np.array([40]), np.array([0]), position, 0.5, 0.5)
    np.testing.assert_allclose(actions, 10.0 * (target - position) - velocity)


def test_a_stalled_agent_draws_a_fresh_plan(prior_run):
    from helpers.mazes import umaze

    from diffplan.config import load_config
    from diffplan.errors import UserError
    from diffplan.evaluation.rollouts import evaluate_actor
    from diffplan.planning.diffusion_planner import DiffusionPlanner
    from diffplan.planning.planner_config import PlannerConfig
    from diffplan.prior.prior_checkpoint import load_prior

    prior = load_prior(prior_run)  # a few training steps: its plans are noise that no agent makes progress on
    base = ["posterior.method=prior", "posterior.num_steps=2", "action=pursuit", "kp=10", "arrival_steps=[7,15]"]
    counts = {}
    for stalled in (0, 5):
        planner = DiffusionPlanner(prior, load_config(PlannerConfig, None, [*base, f"replan_when_stalled={stalled}"]))
        evaluate_actor(planner, umaze(), episodes=1)
        counts[stalled] = len(planner.episodes[0].plans)
        assert all(row in (7, 15) for row in planner.episodes[0].goal_rows)  # every fresh plan chose an arrival
    assert counts[0] == 1 and counts[5] > 2
    with pytest.raises(UserError, match="jump_ratio"):
        DiffusionPlanner(prior, load_config(PlannerConfig, None, ["jump_ratio=-1"]))
    with pytest.raises(UserError, match="replan_when_stalled"):
        DiffusionPlanner(prior, load_config(PlannerConfig, None, ["action=waypoints", "replan_when_stalled=5"]))
