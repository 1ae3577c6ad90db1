"""kill -9 a real training process at random moments; resumed runs end exactly where an uninterrupted one does."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest
import torch
from helpers.episodes import box, random_box_episodes
from helpers.kill_process import kill_when, reached_step
from helpers.killable_training import CONFIG, train
from helpers.tiny_prior import DATASET, TINY_PRIOR

from diffplan.cli import main
from diffplan.training.checkpoint import PARTIAL_FILE, list_checkpoints, load_checkpoint


def kill_steps(kills: int, seed: int) -> list[int]:
    """Distinct steps, in order, after whose checkpoint a run is killed (some milliseconds later)."""
    return sorted(random.Random(seed).sample(range(2, CONFIG.steps - 20, 2), kills))


def assert_only_whole_checkpoints_visible(checkpoint_dir: Path) -> None:
    for path in list_checkpoints(checkpoint_dir):
        load_checkpoint(path)  # every visible checkpoint passes its checksum
    others = sorted(p.name for p in checkpoint_dir.iterdir() if not PARTIAL_FILE.fullmatch(p.name))
    assert others == [p.name for p in list_checkpoints(checkpoint_dir)]  # nothing else, e.g. no half-renamed file


def test_killed_and_resumed_run_equals_the_uninterrupted_run(tmp_path: Path) -> None:
    reference = train(tmp_path / "reference", resume=False)
    run_dir = tmp_path / "killed"
    checkpoint_dir = run_dir / "checkpoints"
    rng = random.Random(10)
    for i, step in enumerate(kill_steps(2, seed=10)):
        argv = [sys.executable, "-m", "helpers.killable_training", str(run_dir), *(["--resume"] if i else [])]
        kill_when(argv, reached_step(checkpoint_dir, step), delay=rng.uniform(0.0, 0.02))
        assert_only_whole_checkpoints_visible(checkpoint_dir)

    resumed = train(run_dir, resume=True)
    assert not [p for p in checkpoint_dir.iterdir() if PARTIAL_FILE.fullmatch(p.name)]
    for name, value in reference.learner.state_dict().items():
        assert torch.equal(value, resumed.learner.state_dict()[name]), name
    for name, value in reference.ema.state_dict().items():
        assert torch.equal(value, resumed.ema.state_dict()[name]), name
    logged = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert logged == list(range(CONFIG.log_every, CONFIG.steps + 1, CONFIG.log_every))


@pytest.mark.slow
def test_train_prior_killed_ten_times_equals_the_uninterrupted_run(tmp_path: Path, make_dataset) -> None:
    make_dataset(DATASET, random_box_episodes([30, 30, 30]), box(3), box(2, 1.0))
    steps = 120
    argv = [*TINY_PRIOR, f"trainer.steps={steps}", "trainer.checkpoint_every=2", "trainer.keep_checkpoints=3",
            "trainer.deterministic=true", "trainer.log_every=10"]
    assert main([*argv, "--run-dir", str(tmp_path / "reference")]) == 0
    run_dir = tmp_path / "killed"
    checkpoint_dir = run_dir / "checkpoints"
    rng = random.Random(11)
    for i, step in enumerate(sorted(rng.sample(range(2, steps - 20, 2), 10))):
        command = [sys.executable, "-m", "diffplan", *argv, "--run-dir", str(run_dir), *(["--resume"] if i else [])]
        kill_when(command, reached_step(checkpoint_dir, step), delay=rng.uniform(0.0, 0.05))
        assert_only_whole_checkpoints_visible(checkpoint_dir)

    assert main([*argv, "--run-dir", str(run_dir), "--resume"]) == 0
    final = f"step_{steps:08d}.pt"
    expected = load_checkpoint(tmp_path / "reference" / "checkpoints" / final)
    resumed = load_checkpoint(checkpoint_dir / final)
    for part in ("learner", "ema"):
        for name, value in expected[part].items():
            assert torch.equal(value, resumed[part][name]), (part, name)
    assert not [p for p in checkpoint_dir.iterdir() if PARTIAL_FILE.fullmatch(p.name)]
