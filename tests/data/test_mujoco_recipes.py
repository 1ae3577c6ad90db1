"""MuJoCo control recipes: real Reacher-v5 and InvertedDoublePendulum-v5 episodes written as Minari datasets."""

import gymnasium as gym
import minari
import numpy as np
import pytest

from diffplan.data.double_pendulum_expert import InvertedDoublePendulumLQR
from diffplan.data.policies import RandomPolicy
from diffplan.data.reacher_expert import DistractedReacherExpert, ReacherOperationalSpaceExpert
from diffplan.data.recipes import collect_recipe
from diffplan.data.reference_scores import episode_returns

ENVS = {"reacher": ("Reacher-v5", 50, 10), "inverted-double-pendulum": ("InvertedDoublePendulum-v5", 1000, 9)}


@pytest.mark.parametrize("task", sorted(ENVS))
def test_each_level_is_a_minari_dataset_with_reference_scores(task, tmp_path, monkeypatch):
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path))
    env_id, length, obs_dim = ENVS[task]
    scores = {}
    for level in ("expert", "medium", "mixed"):
        ds = collect_recipe(f"{task}-{level}", total_steps=3 * length, eval_episodes=4, seed=1, progress=False)
        meta = ds.storage.metadata
        assert ds.env_spec.id == env_id and env_id in meta["eval_env_spec"]
        assert meta["ref_max_score"] > meta["ref_min_score"]
        assert ds.total_steps == 3 * length
        episode = next(ds.iterate_episodes())
        assert episode.observations.shape[1] == obs_dim and np.isfinite(episode.observations).all()
        assert minari.load_dataset(ds.spec.dataset_id).total_steps == 3 * length  # the files on disk read back
        returns = np.array([e.rewards.sum() for e in ds.iterate_episodes()])
        scores[level] = float(minari.get_normalized_score(ds, returns).mean())
        assert ds.recover_environment(eval_env=True).spec.id == env_id
    print(f"\n{task}: normalised returns of the data {scores}")
    assert scores["expert"] > 0.8 and scores["expert"] > scores["medium"]


EXPERTS = [("Reacher-v5", ReacherOperationalSpaceExpert, -20.0),
           ("InvertedDoublePendulum-v5", InvertedDoublePendulumLQR, 9000.0)]


@pytest.mark.parametrize(("env_id", "expert", "low"), EXPERTS)
def test_experts_are_far_above_random_actions(env_id, expert, low):
    env = gym.make(env_id)
    expert_returns = episode_returns(env, expert(), 10, seed=3)
    random_returns = episode_returns(env, RandomPolicy(0), 10, seed=3)
    print(f"\n{env_id}: expert {expert_returns.mean():.1f}, random {random_returns.mean():.1f}")
    assert expert_returns.min() > low > random_returns.max()  # every expert episode beats every random one



def test_distracted_reacher_expert_is_consistently_worse_than_the_expert():
    env = gym.make("Reacher-v5")
    expert = episode_returns(env, ReacherOperationalSpaceExpert(), 20, seed=5)
    distracted = episode_returns(env, DistractedReacherExpert(seed=0), 20, seed=5)
    random = episode_returns(env, RandomPolicy(0), 20, seed=5)
    print(f"\nReacher: expert {expert.mean():.2f}, distracted {distracted.mean():.2f}, random {random.mean():.2f}")
    assert expert.mean() - distracted.mean() > 2.0 and distracted.mean() > random.mean() + 10.0
    assert (distracted <= expert + 0.5).mean() >= 0.9  # worse in (almost) every episode, not by noise
