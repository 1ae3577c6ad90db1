"""``diffplan train-reward`` end to end on small PointMaze datasets collected here: max-ent IRL with dataset
and prior backgrounds, AIRL, relabelling into a new Minari dataset, and the reward guiding a planner."""

from __future__ import annotations

import json

import minari
import numpy as np
import pytest
import torch
import yaml

from diffplan.cli import main
from diffplan.data.recipes import RECIPES
from diffplan.irl.goal_demonstrations import collect_goal_demonstrations
from diffplan.irl.relabel import episode_rewards
from diffplan.irl.reward_checkpoint import load_reward
from diffplan.planning.diffusion_planner import DiffusionPlanner
from diffplan.planning.planner_config import PlannerConfig
from diffplan.prior.prior_checkpoint import load_prior

DEMOS = "local/pointmaze/umaze-goal-expert-v0"
DATA = "local/pointmaze/umaze-dense-v0"
TINY = [f"demonstrations={DEMOS}", "data.horizon=8", "reward.hidden_dims=[16]", "trainer.batch_size=16",
        "demo_batch_size=8", "trainer.log_every=2", "trainer.checkpoint_every=3", "data.device=cpu",
        "tracking.mode=disabled"]


@pytest.fixture
def umaze(minari_root):
    collect_goal_demonstrations(DEMOS, episodes=3, max_episode_steps=60, progress=False)
    RECIPES["pointmaze-umaze-dense"].collect(total_steps=1500, eval_episodes=2, progress=False)


def test_maxent_reward_trains_relabels_and_guides_a_planner(umaze, tmp_path, capsys):
    run_dir = tmp_path / "reward"
    relabelled = "local/pointmaze/umaze-dense-irl-v0"
    argv = ["train-reward", "reward-pointmaze-umaze", *TINY, "trainer.steps=4", "reward.reward_inputs=transition",
            f"relabel.target={relabelled}", "--run-dir", str(run_dir)]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["step"] == 4 and result["data"]["dataset_id"] == DATA and "train/loss" in result
    assert result["demonstrations"]["episodes"] == 3 and result["relabelled"]["dataset_id"] == relabelled
    saved = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert saved["reward"]["state_dim"] == 4 and saved["reward"]["action_dim"] == 2

    trained = load_reward(run_dir)
    assert trained.step == 4 and trained.config.reward.reward_inputs == "transition"
    # the relabelled copy: same episodes, rewards r_phi(s, a, s')
    source, copy = minari.load_dataset(DATA), minari.load_dataset(relabelled)
    assert copy.total_steps == source.total_steps and copy.total_episodes == source.total_episodes
    first, copied = source[0], copy[0]
    assert np.array_equal(first.actions, copied.actions)
    assert np.allclose(copied.rewards, episode_rewards(trained, first.observations, first.actions), atol=1e-6)
    assert not np.allclose(copied.rewards, first.rewards)
    assert copy.recover_environment(eval_env=True).spec.kwargs["reset_target"] is False
    # an existing id is refused without overwrite, in one line
    assert main([*argv, "trainer.steps=5", "--resume"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert load_reward(run_dir).step == 4  # refused before training

    # the reward as a likelihood of a prior's windows (another normaliser), and as a planner's reward
    prior_dir = tmp_path / "prior"
    assert main(["train-prior", "prior-pointmaze-umaze", "data.horizon=8", "model.dim=8", "model.dim_mults=[1,2]",
                 "diffusion.num_train_timesteps=6", "trainer.batch_size=8", "trainer.steps=2", "data.device=cpu",
                 "data.normalizer=gaussian", "tracking.mode=disabled", "--run-dir", str(prior_dir)]) == 0
    capsys.readouterr()
    prior = load_prior(prior_dir)
    x = torch.randn(3, 8, 6, requires_grad=True)
    log_likelihood = trained.likelihood(prior.normalizer, alpha=0.5).log_likelihood(x, torch.zeros(3, dtype=torch.long))
    (grad,) = torch.autograd.grad(log_likelihood.sum(), x)
    rows = prior.normalizer.unnormalize(x.detach())
    direct = trained.reward(rows[..., 2:], rows[..., :2]).sum(1) / 0.5
    assert torch.allclose(log_likelihood.detach(), direct, atol=1e-5) and torch.isfinite(grad).all()
    config = PlannerConfig(reward="learned_reward", reward_model=str(run_dir), alpha=0.5)
    planner = DiffusionPlanner(prior, config)
    assert planner.likelihood(None).log_likelihood(x, torch.zeros(3, dtype=torch.long)).shape == (3,)

    # max-ent IRL against samples of that prior
    prior_run = tmp_path / "reward-vs-prior"
    assert main(["train-reward", "reward-pointmaze-umaze", *TINY, "trainer.steps=2", "background=prior",
                 f"prior_run={prior_dir}", "prior_samples=16", "prior_steps=2", "--run-dir", str(prior_run)]) == 0
    assert json.loads(capsys.readouterr().out)["step"] == 2


def test_airl_variant_trains_and_loads(umaze, tmp_path, capsys):
    run_dir = tmp_path / "airl"
    assert main(["train-reward", "reward-pointmaze-umaze", *TINY, "trainer.steps=3", "objective=airl",
                 "reward.reward_inputs=state_action", "airl.potential_hidden_dims=[8]",
                 "airl.behaviour_hidden_dims=[8]", "--run-dir", str(run_dir)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "train/behaviour_nll" in result and "train/loss" in result
    trained = load_reward(run_dir)
    states, actions = torch.randn(2, 8, 4), torch.rand(2, 8, 2) * 2 - 1
    assert trained.reward(states, actions).shape == (2, 8)


@pytest.mark.parametrize(("override", "fragment"), [
    ("reward.reward_inputs=states", "reward_inputs"),
    ("objective=gail", "objective"),
    ("background=prior", "prior_run"),
    ("demonstrations=local/none/missing-v0", "missing"),
    ("reward.state_dim=7", "reward.state_dim is 7"),
    ("relabel.target=local/pointmaze/umaze-dense-v0", "relabel.target is the source"),
])
def test_bad_reward_configs_are_one_line_errors(umaze, tmp_path, capsys, override, fragment):
    argv = ["train-reward", "reward-pointmaze-umaze", *TINY, "trainer.steps=1", override,
            "--run-dir", str(tmp_path / "bad")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err
