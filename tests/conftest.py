"""Shared fixtures: a private Minari root for every test, and small hand-made Minari datasets."""

from __future__ import annotations

import ctypes.util
import os
from collections.abc import Callable

import gymnasium as gym
import minari
import numpy as np
import pytest
import torch
from minari.data_collector.episode_buffer import EpisodeBuffer

# MuJoCo renders offscreen with OSMesa on CPU machines (Debian's libosmesa6; .ci/run installs it).
if ctypes.util.find_library("OSMesa"):
    os.environ.setdefault("MUJOCO_GL", "osmesa")
    os.environ.setdefault("PYOPENGL_PLATFORM", "osmesa")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")

# One intra-op thread for the whole session, set once before any torch work: the tests' tensors are
# small, and on a shared 2-core machine a second spinning thread slows them many times over. (Switching
# the count back and forth mid-session leaves later operations slow, so it is never changed again.)
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def minari_root(tmp_path, monkeypatch):
    """Every test gets its own MINARI_DATASETS_PATH, so nothing touches ~/.minari."""
    root = tmp_path / "minari"
    root.mkdir()
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(root))
    return root


def _episode_buffer(index: int, episode: dict) -> EpisodeBuffer:
    steps = len(episode["rewards"])
    return EpisodeBuffer(
        id=index,
        observations=episode["observations"],
        actions=np.asarray(episode["actions"], dtype=np.float32),
        rewards=np.asarray(episode["rewards"], dtype=np.float64),
        terminations=np.asarray(episode.get("terminations", np.zeros(steps, bool))),
        truncations=np.asarray(episode.get("truncations", np.eye(1, steps, steps - 1, dtype=bool)[0])),
        infos={},
    )


@pytest.fixture
def make_dataset() -> Callable[..., minari.MinariDataset]:
    """Write a Minari dataset from episode dicts (observations with T+1 rows, the rest with T)."""

    def make(
        dataset_id: str,
        episodes: list[dict],
        observation_space: gym.Space,
        action_space: gym.Space,
    ) -> minari.MinariDataset:
        buffers = [_episode_buffer(i, e) for i, e in enumerate(episodes)]
        return minari.create_dataset_from_buffers(
            dataset_id,
            buffers,
            env=None,
            observation_space=observation_space,
            action_space=action_space,
            algorithm_name="test",
        )

    return make


def random_box_episodes(lengths: list[int], obs_dim: int = 3, act_dim: int = 2, seed: int = 0) -> list[dict]:
    """Episodes of Box observations whose entries encode (episode, step) so windows can be traced."""
    rng = np.random.default_rng(seed)
    episodes = []
    for e, steps in enumerate(lengths):
        obs = rng.normal(size=(steps + 1, obs_dim)).astype(np.float32)
        obs[:, 0] = e  # episode id, to check that windows never mix episodes
        obs[:, 1] = np.arange(steps + 1)  # step index
        episodes.append({
            "observations": obs,
            "actions": rng.uniform(-1, 1, size=(steps, act_dim)).astype(np.float32),
            "rewards": rng.normal(size=steps),
        })
    return episodes


def goal_dict_episode(steps: int = 12) -> tuple[dict, gym.spaces.Dict]:
    """One all-zero episode with a goal-dict observation space (observation, achieved_goal, desired_goal)."""
    space = gym.spaces.Dict({"observation": box(4), "achieved_goal": box(2), "desired_goal": box(2)})
    episode = {
        "observations": {k: np.zeros((steps + 1, s.shape[0]), np.float32) for k, s in space.spaces.items()},
        "actions": np.zeros((steps, 2), np.float32),
        "rewards": np.zeros(steps),
    }
    return episode, space


def umaze(**kwargs) -> gym.Env:
    """PointMaze U-Maze (dense reward) with 60-step episodes."""
    from diffplan.data.collect import register_robotics_envs

    register_robotics_envs()
    return gym.make("PointMaze_UMazeDense-v3", max_episode_steps=60, **kwargs)


def box(dim: int, bound: float = np.inf) -> gym.spaces.Box:
    return gym.spaces.Box(-bound, bound, shape=(dim,), dtype=np.float32)


MAZE_PRIOR = ["data.horizon=32", "model.dim=8", "model.dim_mults=[1,2]", "diffusion.num_train_timesteps=10",
              "trainer.batch_size=8", "trainer.steps=6", "trainer.checkpoint_every=6", "data.device=cpu",
              "tracking.mode=disabled", "inverse_dynamics.hidden_dims=[16]"]


@pytest.fixture(scope="session")
def trained_maze_prior(tmp_path_factory):
    """A goal-inpainted PointMaze U-Maze prior (with an inverse-dynamics head) trained for a few steps once
    per session, and the Minari root holding its dataset."""
    from diffplan.cli import main
    from diffplan.data.recipes import RECIPES

    root = tmp_path_factory.mktemp("maze-prior")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINARI_DATASETS_PATH", str(root / "minari"))
        RECIPES["pointmaze-umaze-dense"].collect(total_steps=2000, eval_episodes=2, progress=False)
        assert main(["--quiet", "train-prior", "prior-pointmaze-umaze", *MAZE_PRIOR, "--run-dir",
                     str(root / "prior")]) == 0
    return root


@pytest.fixture
def prior_run(trained_maze_prior, monkeypatch, capsys):
    """The run folder of the session's tiny maze prior, with its dataset's Minari root in place."""
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(trained_maze_prior / "minari"))
    capsys.readouterr()
    return trained_maze_prior / "prior"
