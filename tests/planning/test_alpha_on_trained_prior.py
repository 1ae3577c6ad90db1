"""alpha matters on a trained maze prior: the posterior's planned end points spread less as alpha falls.

A U-Maze prior trained with the quickstart's recipe but without goal inpainting (so the goal reaches the plans
only through the likelihood), then SMC plans under the dense goal reward exp(-|end - goal| / alpha) from the
top-right corner towards the top-left one: the spread of the planned end points must shrink from alpha 10 to 1
to 0.1. About 13 minutes on one CPU core (collection, 4,000 training steps, planning).
"""

from __future__ import annotations

import pytest
import torch

from diffplan.inference.posterior_config import PosteriorConfig
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import load_prior

RECIPE = ["data.horizon=128", "data.normalizer=limits", "model.dim=16", "model.dim_mults=[1,2,4]",
          "diffusion.num_train_timesteps=64", "diffusion.prediction_type=sample", "diffusion.action_weight=1.0",
          "trainer.steps=4000", "trainer.batch_size=32", "trainer.learning_rate=1e-3", "trainer.lr_schedule=cosine",
          "trainer.warmup_steps=200", "trainer.ema_every=1", "trainer.ema_start=500", "trainer.checkpoint_every=1000",
          "inpaint_goal=false", "goal_condition_dims=[]"]


@pytest.mark.slow
def test_planned_end_points_spread_less_as_alpha_falls(tmp_path):
    from diffplan.cli import main
    from diffplan.data.recipes import RECIPES

    RECIPES["pointmaze-umaze-sparse"].collect(total_steps=200_000, eval_episodes=2, progress=False)
    assert main(["--quiet", "train-prior", "prior-pointmaze-umaze-sparse", *RECIPE,
                 "--run-dir", str(tmp_path / "prior")]) == 0
    prior = load_prior(tmp_path / "prior")
    draws = 16
    start = torch.tensor([[1.0, 1.0, 0.0, 0.0]]).repeat(draws, 1)
    goal = torch.tensor([[-1.0, 1.0]]).repeat(draws, 1)
    position = slice(prior.action_dim, prior.action_dim + 2)
    spreads = []
    for alpha in (10.0, 1.0, 0.1):
        config = PlannerConfig(reward="goal_distance", alpha=alpha, seed=1, posterior=PosteriorConfig(
            method="smc", particles=16, num_steps=16, through_denoiser=True))
        ends = DiffusionPlanner(prior, config).sample_plans(start, goal).plans[:, -1, position]
        spreads.append(float(ends.std(dim=0).norm()))
        print(f"\nalpha {alpha}: end points {float((ends - goal).norm(dim=-1).mean()):.2f} from the goal, "
              f"spread {spreads[-1]:.2f}")
    assert spreads[0] > spreads[1] > spreads[2]
    assert spreads[2] < 0.6 * spreads[0]
