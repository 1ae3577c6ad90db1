"""Shared fixtures: a private Minari root for every test, and small hand-made Minari datasets."""

from __future__ import annotations

import ctypes.util
import os
from collections.abc import Callable

import gymnasium as gym
import minari
import pytest
import torch
from helpers.episodes import episode_buffer
from helpers.mazes import MAZE_PRIOR

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


@pytest.fixture
def make_dataset() -> Callable[..., minari.MinariDataset]:
    """Write a Minari dataset from episode dicts (observations with T+1 rows, the rest with T)."""

    def make(
        dataset_id: str,
        episodes: list[dict],
        observation_space: gym.Space,
        action_space: gym.Space,
    ) -> minari.MinariDataset:
        buffers = [episode_buffer(i, e) for i, e in enumerate(episodes)]
        return minari.create_dataset_from_buffers(
            dataset_id,
            buffers,
            env=None,
            observation_space=observation_space,
            action_space=action_space,
            algorithm_name="test",
        )

    return make


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
