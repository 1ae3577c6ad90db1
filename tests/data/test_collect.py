"""Generic collector: Minari datasets that appear under their id all at once or not at all."""

import os

import minari
import numpy as np
import pytest

from diffplan.data.collect import collect_dataset
from diffplan.data.pendulum_expert import PendulumSwingUpExpert
from diffplan.data.policies import EpisodeMixture, NoisyPolicy, Policy, RandomPolicy
from diffplan.errors import UserError

DATASET = "test/pendulum/random-v0"


@pytest.fixture
def root(tmp_path, monkeypatch):
    path = tmp_path / "datasets"
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(path))
    return path


def leftovers(root) -> list[str]:
    """Hidden staging directories left in the datasets root."""
    return [name for name in os.listdir(root) if name.startswith(".")] if root.exists() else []


class ExplodingPolicy:
    """Random actions, then an exception at step ``after`` (an interrupted collection)."""

    def __init__(self, after: int, exc: type[BaseException] = RuntimeError) -> None:
        self.inner, self.after, self.exc, self.steps = RandomPolicy(seed=0), after, exc, 0

    def reset(self, env, obs, info):
        self.inner.reset(env, obs, info)

    def __call__(self, obs, info):
        self.steps += 1
        if self.steps > self.after:
            raise self.exc("interrupted")
        return self.inner(obs, info)


def test_policies_satisfy_the_protocol():
    for policy in (RandomPolicy(), NoisyPolicy(PendulumSwingUpExpert()), EpisodeMixture([RandomPolicy()])):
        assert isinstance(policy, Policy)


def test_collects_episodes_as_a_minari_dataset(root):
    ds = collect_dataset(
        "Pendulum-v1",
        RandomPolicy(seed=0),
        DATASET,
        num_episodes=3,
        eval_env_kwargs={},
        ref_min_score=-1200.0,
        ref_max_score=-150.0,
        algorithm_name="random",
        progress=False,
    )
    assert ds.total_episodes == 3 and ds.total_steps == 600
    for episode in ds.iterate_episodes():
        assert episode.observations.shape == (201, 3)
        assert episode.actions.shape == (200, 1)
        assert episode.truncations[-1] and not episode.truncations[:-1].any()
        assert not episode.terminations.any()
        # consecutive observations are consecutive pendulum states (theta_dot integrates the torque)
        assert np.all(np.abs(episode.observations[:, 2]) <= 8.0 + 1e-6)
    reloaded = minari.load_dataset(DATASET)
    assert reloaded.storage.metadata["dataset_id"] == DATASET
    assert reloaded.storage.metadata["ref_max_score"] == -150.0
    assert minari.get_normalized_score(reloaded, np.array([-150.0, -1200.0])).tolist() == [1.0, 0.0]
    assert reloaded.recover_environment(eval_env=True).spec.id == "Pendulum-v1"
    assert DATASET in minari.list_local_datasets()
    assert not leftovers(root)


def test_step_budget_cuts_the_last_episode(root):
    ds = collect_dataset("Pendulum-v1", RandomPolicy(seed=0), DATASET, total_steps=450, progress=False)
    lengths = [len(e.rewards) for e in ds.iterate_episodes()]
    assert lengths == [200, 200, 50]
    assert all(e.truncations[-1] for e in ds.iterate_episodes())


def test_mixture_switches_policy_every_episode(root):
    expert = NoisyPolicy(PendulumSwingUpExpert(), noise_std=0.1, seed=0)
    ds = collect_dataset(
        "Pendulum-v1", EpisodeMixture([expert, RandomPolicy(seed=1)]), DATASET, num_episodes=6, progress=False
    )
    returns = np.array([e.rewards.sum() for e in ds.iterate_episodes()])
    assert returns[0::2].mean() > returns[1::2].mean() + 300


def test_refuses_an_existing_dataset_unless_asked(root):
    first = collect_dataset("Pendulum-v1", RandomPolicy(seed=0), DATASET, num_episodes=1, progress=False)
    first_obs = first[0].observations.copy()
    with pytest.raises(UserError, match="already exists.*overwrite"):
        collect_dataset("Pendulum-v1", RandomPolicy(seed=0), DATASET, num_episodes=2, progress=False)
    assert minari.load_dataset(DATASET).total_episodes == 1

    second = collect_dataset(
        "Pendulum-v1", RandomPolicy(seed=5), DATASET, num_episodes=2, seed=7, overwrite=True, progress=False
    )
    assert second.total_episodes == 2
    assert not np.array_equal(second[0].observations, first_obs)
    assert minari.load_dataset(DATASET).total_episodes == 2
    assert not leftovers(root)


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_interrupted_collection_leaves_nothing(root, exc):
    with pytest.raises(exc):
        collect_dataset(
            "Pendulum-v1",
            ExplodingPolicy(after=500, exc=exc),
            DATASET,
            num_episodes=5,
            flush_steps=200,  # two episodes are already on disk in staging when it fails
            progress=False,
        )
    assert not (root / DATASET).exists()
    assert DATASET not in minari.list_local_datasets()
    assert not leftovers(root)


def test_interrupted_overwrite_keeps_the_old_dataset(root):
    collect_dataset("Pendulum-v1", RandomPolicy(seed=0), DATASET, num_episodes=1, progress=False)
    with pytest.raises(RuntimeError):
        collect_dataset(
            "Pendulum-v1", ExplodingPolicy(after=300), DATASET, num_episodes=3, overwrite=True, progress=False
        )
    assert minari.load_dataset(DATASET).total_episodes == 1
    assert not leftovers(root)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"env_id": "NoSuchEnv-v0"}, "unknown environment id 'NoSuchEnv-v0'"),
        ({"num_episodes": 0}, "num_episodes must be a positive integer"),
        ({"num_episodes": None, "total_steps": -5}, "total_steps must be a positive integer"),
        ({"num_episodes": None}, "no collection budget"),
        ({"dataset_id": "no-version"}, "malformed dataset id"),
        ({"ref_max_score": 1.0}, "only one of ref_min_score/ref_max_score"),
        ({"env_kwargs": {"no_such_option": 1}}, "rejected its arguments"),
    ],
)
def test_user_errors_are_one_line(root, kwargs, message):
    args = {"env_id": "Pendulum-v1", "dataset_id": DATASET, "num_episodes": 1, **kwargs}
    env_id, dataset_id = args.pop("env_id"), args.pop("dataset_id")
    with pytest.raises(UserError) as info:
        collect_dataset(env_id, RandomPolicy(), dataset_id, progress=False, **args)
    assert message in str(info.value)
    assert "\n" not in str(info.value) and ";" in str(info.value)
    assert not leftovers(root)
