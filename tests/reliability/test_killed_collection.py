"""kill -9 a collection midway: no dataset appears under the id, and the next collection cleans up."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import minari
from helpers.kill_process import kill_when

from diffplan.cli import main

DATASET = "local/pendulum/random-v0"
# collect_dataset as `diffplan collect --env` calls it, flushing every episode so that the staged dataset grows
# (the CLI itself takes several seconds to import every subcommand)
COLLECT = f"""
from diffplan.data.collect import collect_dataset
from diffplan.data.policies import RandomPolicy
collect_dataset("Pendulum-v1", RandomPolicy(seed=0), "{DATASET}", num_episodes=100_000, flush_steps=200,
                progress=False)
"""


def staged_dataset(root: Path) -> Callable[[], bool]:
    """Whether a collection has created its dataset in a staging directory of ``root``."""
    return lambda: any((staging / DATASET / "data").is_dir() for staging in root.glob(".staging-*"))


def test_killed_collection_leaves_no_dataset_and_is_cleaned_up(minari_root: Path, capsys) -> None:
    kill_when([sys.executable, "-c", COLLECT], staged_dataset(minari_root), delay=0.3)
    assert list(minari_root.glob(".staging-*")), "the killed process had no chance to remove its staging directory"
    assert not (minari_root / DATASET).exists()
    assert DATASET not in minari.list_local_datasets()  # what `minari list local` shows

    small = ["collect", "--env", "Pendulum-v1", "--dataset-id", DATASET, "--episodes", "2", "--env-kwargs",
             '{"max_episode_steps": 10}']
    assert main(small) == 0, capsys.readouterr().err
    assert not list(minari_root.glob(".staging-*"))
    assert minari.load_dataset(DATASET).total_steps == 20
