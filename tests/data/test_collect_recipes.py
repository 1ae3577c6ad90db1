"""Named recipes: PointMaze with the D4RL recipe and the Pendulum datasets, written as Minari datasets."""

import minari
import numpy as np
import pytest
from minari.dataset.minari_dataset import parse_dataset_id

from diffplan.data.recipes import RECIPES, collect_recipe
from diffplan.errors import UserError


@pytest.fixture
def root(tmp_path, monkeypatch):
    path = tmp_path / "datasets"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(path))
    return path


def test_recipe_names_and_ids():
    assert set(RECIPES) == {
        *(f"pointmaze-{m}-{r}" for m in ("umaze", "medium", "large") for r in ("sparse", "dense")),
        "pendulum-expert",
        "pendulum-medium",
        "pendulum-mixed",
        *(f"{task}-{level}" for task in ("reacher", "inverted-double-pendulum")
          for level in ("expert", "medium", "mixed")),
    }
    assert RECIPES["reacher-medium"].dataset_id == "local/mujoco/reacher/medium-v0"
    assert RECIPES["inverted-double-pendulum-mixed"].dataset_id == "local/mujoco/inverteddoublependulum/mixed-v0"
    assert RECIPES["pointmaze-umaze-dense"].dataset_id == "local/pointmaze/umaze-dense-v0"
    assert RECIPES["pointmaze-large-sparse"].dataset_id == "local/pointmaze/large-v0"
    assert RECIPES["pendulum-mixed"].dataset_id == "local/pendulum/mixed-v0"
    for recipe in RECIPES.values():
        namespace, _, version = parse_dataset_id(recipe.dataset_id)
        assert namespace is not None and version == 0
        assert recipe.description and "\n" not in recipe.description


def test_pointmaze_umaze_dense_follows_the_d4rl_recipe(root):
    ds = collect_recipe("pointmaze-umaze-dense", total_steps=3000, eval_episodes=10, seed=0, progress=False)
    assert ds.total_steps == 3000
    episodes = list(ds.iterate_episodes())
    assert len(episodes) >= 15  # a goal every ~90 steps with N(0, 0.5) action noise

    for episode in episodes:
        T = len(episode.rewards)
        assert set(episode.observations) == {"observation", "achieved_goal", "desired_goal"}
        assert episode.observations["observation"].shape == (T + 1, 4)
        assert episode.observations["achieved_goal"].shape == (T + 1, 2)
        assert episode.actions.shape == (T, 2)
        assert np.all(np.abs(episode.actions) <= 1.0)
        assert episode.truncations[-1] and not episode.truncations[:-1].any()
        assert not episode.terminations.any()
        # one goal per episode, and the dense reward is exp(-distance to it)
        goal = episode.observations["desired_goal"]
        assert np.allclose(goal, goal[0])
        dist = np.linalg.norm(episode.observations["achieved_goal"][1:] - goal[1:], axis=-1)
        assert np.allclose(episode.rewards, np.exp(-dist))

    # every episode but the last (cut by the budget) ends at success
    for episode in episodes[:-1]:
        last = episode.observations
        assert np.linalg.norm(last["achieved_goal"][-1] - last["desired_goal"][-1]) <= 0.45
    # a continuing run: the next episode starts where the previous one ended, with the new goal
    for prev, nxt in zip(episodes[:-1], episodes[1:], strict=True):
        assert np.array_equal(prev.observations["observation"][-1], nxt.observations["observation"][0])
        assert not np.allclose(prev.observations["desired_goal"][-1], nxt.observations["desired_goal"][0])

    # the actions are noisy: the expert's would be saturated or smooth, these scatter
    steps = np.concatenate([e.actions for e in episodes])
    assert 0.2 < steps.std() < 0.9

    meta = ds.storage.metadata
    assert meta["dataset_id"] == "local/pointmaze/umaze-dense-v0"
    assert meta["num_episodes_average_score"] == 10
    assert meta["ref_max_score"] > meta["ref_min_score"] + 50
    assert minari.get_normalized_score(ds, np.array([meta["ref_max_score"]]))[0] == pytest.approx(1.0)
    eval_env = ds.recover_environment(eval_env=True)
    assert eval_env.spec.max_episode_steps == 300
    assert eval_env.spec.kwargs["reset_target"] is False and eval_env.spec.kwargs["continuing_task"] is True
    assert ds.recover_environment().spec.kwargs["reset_target"] is True


def test_pointmaze_sparse_rewards_are_binary(root):
    ds = collect_recipe("pointmaze-umaze-sparse", total_steps=1000, eval_episodes=2, progress=False)
    rewards = np.concatenate([e.rewards for e in ds.iterate_episodes()])
    assert set(np.unique(rewards)) <= {0.0, 1.0} and rewards.max() == 1.0
    assert ds.storage.metadata["ref_max_score"] > ds.storage.metadata["ref_min_score"]


def test_pendulum_recipes_rank_and_normalise(root):
    scores = {}
    for kind in ("expert", "medium", "mixed"):
        ds = collect_recipe(f"pendulum-{kind}", total_steps=2000, eval_episodes=10, seed=1, progress=False)
        returns = np.array([e.rewards.sum() for e in ds.iterate_episodes()])
        scores[kind] = minari.get_normalized_score(ds, returns).mean()
    assert scores["expert"] > 0.9  # expert-level returns normalise to about 1
    assert 0.2 < scores["medium"] < 0.65
    assert scores["expert"] > scores["mixed"] > 0.0


def test_recipe_errors(root):
    with pytest.raises(UserError, match="unknown recipe 'nope'; choose one of: pointmaze-umaze-sparse"):
        collect_recipe("nope")
    with pytest.raises(UserError, match="eval_episodes must be a positive integer"):
        collect_recipe("pendulum-expert", eval_episodes=0, progress=False)
    collect_recipe("pendulum-expert", total_steps=200, eval_episodes=1, progress=False)
    with pytest.raises(UserError, match="already exists"):
        collect_recipe("pendulum-expert", total_steps=200, eval_episodes=1, progress=False)
    ds = collect_recipe(
        "pendulum-expert", dataset_id="mine/pendulum/expert-v3", total_steps=400, eval_episodes=1, progress=False
    )
    assert ds.total_steps == 400 and minari.load_dataset("mine/pendulum/expert-v3").total_steps == 400
