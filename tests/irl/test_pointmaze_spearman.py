"""A small version of benchmarks/irl_pointmaze.py: 20 expert demonstrations to one goal plus unlabelled D4RL-
recipe data; the learned r_phi(x, y) must order held-out states as the true dense reward exp(-distance) does."""

from __future__ import annotations

import minari
import torch

from diffplan.config import config_path, load_config
from diffplan.data.episodes import read_episodes
from diffplan.data.recipes import RECIPES
from diffplan.irl.goal_demonstrations import collect_goal_demonstrations
from diffplan.irl.reward_checkpoint import load_reward
from diffplan.irl.reward_config import RewardConfig
from diffplan.irl.reward_correlation import spearman
from diffplan.irl.reward_training import train_reward

DEMOS, DATA, HELDOUT = ("local/pointmaze/goal-expert-v0", "local/pointmaze/unlabelled-v0",
                        "local/pointmaze/heldout-v0")


def test_learned_reward_ranks_held_out_states_like_the_true_dense_reward(minari_root, tmp_path):
    collect_goal_demonstrations(DEMOS, goal_cell=(3, 1), episodes=20, progress=False)
    recipe = RECIPES["pointmaze-umaze-dense"]
    recipe.collect(dataset_id=DATA, total_steps=10_000, eval_episodes=2, progress=False)
    recipe.collect(dataset_id=HELDOUT, total_steps=3_000, eval_episodes=2, seed=1, progress=False)
    config = load_config(RewardConfig, config_path("reward-pointmaze-umaze"), [
        f"demonstrations={DEMOS}", f"data.dataset_id={DATA}", "data.device=cpu", "trainer.steps=300",
        "trainer.batch_size=1024", "tracking.mode=disabled"])
    train_reward(config, tmp_path / "reward", progress=False)

    trained = load_reward(tmp_path / "reward")
    steps = read_episodes(minari.load_dataset(HELDOUT), trained.layout)
    demo_goals = read_episodes(minari.load_dataset(DEMOS), trained.layout).goals
    goal = torch.as_tensor(demo_goals.mean(0))
    states = torch.as_tensor(steps.states)
    with torch.no_grad():
        learned = trained.reward.step_reward(states, torch.as_tensor(steps.actions), states)
    true = torch.exp(-(states[:, :2] - goal).norm(dim=-1))
    correlation = spearman(learned, true)
    assert correlation >= 0.8, correlation
