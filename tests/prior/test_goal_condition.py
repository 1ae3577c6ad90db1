"""The goal as the denoiser's global condition: trained from the window's last real row, bound for sampling."""

import pytest
import torch
from helpers.mazes import MAZE_PRIOR, umaze

from diffplan.cli import main
from diffplan.config import load_config
from diffplan.evaluation.rollouts import evaluate_actor
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.goal_conditions import plan_conditions
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.goal_condition import GoalConditioned, goal_row_states
from diffplan.prior.prior_checkpoint import load_prior


@pytest.fixture
def conditioned_run(prior_run, tmp_path):
    run = tmp_path / "conditioned"
    assert main(["--quiet", "train-prior", "prior-pointmaze-umaze", *MAZE_PRIOR, "goal_condition_dims=[0,1]",
                 "--run-dir", str(run)]) == 0
    return run


def test_goal_row_states_reads_the_goal_row():
    values = torch.arange(2 * 4 * 5, dtype=torch.float32).reshape(2, 4, 5)
    states = goal_row_states(values, torch.tensor([3, 1]), action_dim=2, dims=[0, 2])
    assert states.tolist() == [[17.0, 19.0], [27.0, 29.0]]


def test_a_conditioned_prior_knows_its_goal_and_plans_to_it(conditioned_run):
    prior = load_prior(conditioned_run)
    assert prior.config.model.cond_dim == 2
    start = torch.tensor([[1.0, 1.0, 0.0, 0.0]])
    goals = torch.tensor([[-1.0, 1.0], [1.0, -1.0]])
    conditions = plan_conditions(start.repeat(2, 1), prior.normalizer, prior.horizon, prior.action_dim, goals,
                                 [0, 1], [2, 3], torch.tensor([10, 20]))
    denoiser = prior.denoiser(conditions, torch.tensor([10, 20]))
    assert isinstance(denoiser, GoalConditioned)
    normalized = prior.normalizer.select(slice(prior.action_dim, None)).normalize(
        torch.cat([goals, torch.zeros(2, 2)], dim=1))[:, :2]
    torch.testing.assert_close(denoiser.condition, normalized)
    x = torch.randn(6, prior.horizon, 6)  # 3 particles per problem, consecutive
    t = torch.full((6,), 5)
    eps = denoiser.predict_eps(x, t)
    expected = prior.diffusion.predict_eps(x, t, normalized.repeat_interleave(3, dim=0))
    torch.testing.assert_close(eps, expected)
    assert not torch.allclose(eps, prior.diffusion.predict_eps(x, t, normalized.flip(0).repeat_interleave(3, 0)))
    with pytest.raises(ValueError, match="cannot share"):
        denoiser.predict_eps(x[:5], t[:5])
    planner = DiffusionPlanner(prior, load_config(PlannerConfig, None, ["posterior.method=prior",
                                                                        "posterior.num_steps=2", "action=pursuit"]))
    result = evaluate_actor(planner, umaze(), episodes=1)
    assert len(result.returns) == 1 and planner.episodes[0].goal_rows == [prior.horizon - 1]


def test_goal_condition_needs_goal_inpainting(prior_run, tmp_path, capsys):
    code = main(["--quiet", "train-prior", "prior-pointmaze-umaze", *MAZE_PRIOR, "goal_condition_dims=[0,1]",
                 "inpaint_goal=false", "--run-dir", str(tmp_path / "refused")])
    assert code == 2 and "goal_condition_dims needs inpaint_goal" in capsys.readouterr().err
    assert not (tmp_path / "refused" / "checkpoints").exists()
