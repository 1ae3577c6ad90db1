"""The planner with a likelihood: known-reward guidance, SMC and warm starts drive a real PointMaze episode."""

import pytest
import torch

from diffplan.cli import main
from diffplan.config import load_config
from diffplan.errors import UserError
from diffplan.evaluation.checkpoint_evaluation import EvaluationConfig, evaluate_checkpoint
from diffplan.planning.goal_reward import goal_distance_reward


@pytest.mark.parametrize("planner", [
    ["planner.reward=goal_distance", "planner.posterior.method=guided", "planner.posterior.through_denoiser=true",
     "planner.posterior.particles=4"],
    ["planner.reward=goal_distance", "planner.posterior.method=smc", "planner.posterior.particles=4",
     "planner.warm_start=true"],
    ["planner.reward=goal_distance", "planner.posterior.method=importance", "planner.posterior.particles=8",
     "planner.posterior.select=mean"],
])
def test_guided_planning_runs_closed_loop_with_replanning(prior_run, tmp_path, planner):
    overrides = ["episodes=1", "planner.replan_every=100", "planner.posterior.num_steps=5",
                 f"output_dir={tmp_path / 'eval'}", "tracking.mode=disabled", *planner]
    metrics = evaluate_checkpoint(prior_run, load_config(EvaluationConfig, None, overrides))
    assert metrics["episodes"] == 1.0 and metrics["length_mean"] == 300.0
    assert (tmp_path / "eval" / "plans.png").is_file()


def test_goal_distance_reward_is_pointmazes_dense_reward():
    goals = torch.tensor([[1.0, 2.0], [0.0, 0.0]])
    states = torch.zeros(4, 3, 4)  # two candidates per goal, laid out consecutively
    states[:, :, 0] = 1.0
    reward = goal_distance_reward(goals, [0, 1])(states, torch.zeros(4, 3, 2))
    assert torch.allclose(reward[:2], torch.full((2, 3), float(torch.exp(torch.tensor(-2.0)))))
    assert torch.allclose(reward[2:], torch.full((2, 3), float(torch.exp(torch.tensor(-1.0)))))


def test_planner_settings_that_do_not_fit_the_prior(prior_run, tmp_path):
    for override, fragment in [("planner.posterior.num_steps=50", "at most the prior's 10"),
                               ("planner.reward=return_model", "planner.return_model"),
                               ("planner.goal_state_dims=[7]", "outside the prior's 4 state dimensions"),
                               ("planner.posterior.select=elite_mean", "ranks plans by a reward"),
                               ("planner.return_units=std", "return_units=std measures a return model"),
                               ("planner.reward=critic", "planner.critic=<train-rl run")]:
        config = load_config(EvaluationConfig, None, ["episodes=1", "tracking.mode=disabled", override])
        with pytest.raises(UserError, match=fragment):
            evaluate_checkpoint(prior_run, config)


def test_collect_with_a_trained_planner_as_the_behaviour_policy(prior_run, capsys):
    import json

    argv = ["collect", "--env", "PointMaze_UMazeDense-v3", "--policy", str(prior_run), "--episodes", "2",
            "--dataset-id", "local/pointmaze/planner-v0", "--env-kwargs", '{"max_episode_steps": 40}']
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["episodes"] == 2 and summary["steps"] == 80
