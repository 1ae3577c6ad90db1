"""Every random draw of an episode follows the episode, not the batch: num_envs does not change the results."""

import minari
import numpy as np
import pytest
import torch

from diffplan.config import load_config
from diffplan.data.collect import register_robotics_envs
from diffplan.evaluation.rollouts import evaluate_actor, make_eval_envs
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import load_prior
from diffplan.prior.random_streams import normal, uniform


def test_a_problem_draws_the_same_numbers_whoever_shares_its_batch():
    alone = normal((3, 2), [torch.Generator().manual_seed(7)], "cpu")
    beside = normal((9, 2), [torch.Generator().manual_seed(1), torch.Generator().manual_seed(7),
                             torch.Generator().manual_seed(2)], "cpu")
    assert torch.equal(alone, beside[3:6])
    assert uniform((2, 1), [torch.Generator().manual_seed(0)] * 2, "cpu").unique().numel() == 2  # drawn in turn
    with pytest.raises(ValueError, match="blocks"):
        normal((4, 2), [torch.Generator()] * 3, "cpu")


@pytest.mark.parametrize("method", [
    ["posterior.method=guided", "posterior.particles=3", "posterior.through_denoiser=true"],
    ["posterior.method=smc", "posterior.particles=4", "posterior.through_denoiser=true",
     "posterior.tweedie_directions=1", "posterior.ess_threshold=1.0"],
])
def test_stochastic_planners_give_the_same_episodes_for_any_num_envs(prior_run, method):
    register_robotics_envs()
    prior = load_prior(prior_run)
    dataset = minari.load_dataset(prior.config.data.dataset_id)
    config = load_config(PlannerConfig, None, ["reward=goal_distance", "posterior.num_steps=3",
                                               "posterior.scheduler=ddpm", "replan_every=5", "warm_start=true",
                                               *method])
    runs = []
    for num_envs in (1, 3):
        planner = DiffusionPlanner(prior, config)
        envs = make_eval_envs(lambda: dataset.recover_environment(eval_env=True), num_envs)
        result = evaluate_actor(planner, envs, 4, 0, max_steps=12)
        plans = {record.episode: np.stack([plan for _, plan in record.plans]) for record in planner.episodes}
        runs.append((result.returns, plans))
    (returns_1, plans_1), (returns_3, plans_3) = runs
    np.testing.assert_allclose(returns_1, returns_3, rtol=1e-5)  # batched arithmetic differs in the last bits
    assert sorted(plans_1) == sorted(plans_3) == [0, 1, 2, 3]
    for episode in plans_1:
        np.testing.assert_allclose(plans_1[episode], plans_3[episode], atol=1e-4)
