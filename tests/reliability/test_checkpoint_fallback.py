"""A broken newest checkpoint is named and passed over for the previous one; partial files are never read."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from helpers.episodes import box, random_box_episodes
from helpers.tiny_prior import DATASET, TINY_PRIOR

from diffplan.cli import main
from diffplan.errors import UserError
from diffplan.prior.prior_checkpoint import load_prior
from diffplan.training.checkpoint import (
    checkpoint_path,
    list_checkpoints,
    load_latest_checkpoint,
    newest_valid_checkpoint,
    remove_partial_checkpoints,
    save_checkpoint,
)


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:-10])


def test_partial_and_broken_files_are_passed_over_and_partial_ones_removed(tmp_path: Path, caplog) -> None:
    folder = tmp_path / "checkpoints"
    for step in (10, 20):
        save_checkpoint({"step": step, "w": torch.full((4,), float(step))}, checkpoint_path(folder, step))
    partial = folder / ".step_00000030.pt.k3x9q1.tmp"  # what a run killed inside save_checkpoint leaves
    partial.write_bytes(b"DIFFPLAN-CHECKPOINT 1 half")
    truncate(checkpoint_path(folder, 20))

    assert [p.name for p in list_checkpoints(folder)] == ["step_00000010.pt", "step_00000020.pt"]
    state, path, problems = load_latest_checkpoint(folder)
    assert state["step"] == 10 and path.name == "step_00000010.pt"
    assert len(problems) == 1 and "step_00000020.pt" in problems[0] and "corrupted or truncated" in problems[0]
    with caplog.at_level(logging.WARNING, logger="diffplan"):
        assert newest_valid_checkpoint(list_checkpoints(folder)).name == "step_00000010.pt"
    assert "step_00000020.pt" in caplog.text

    remove_partial_checkpoints(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["step_00000010.pt", "step_00000020.pt"]
    truncate(checkpoint_path(folder, 10))
    with pytest.raises(UserError, match="step_00000020.pt' is corrupted or truncated"):
        load_latest_checkpoint(folder)


def test_a_prior_run_folder_loads_its_previous_checkpoint_when_the_newest_is_broken(tmp_path: Path, make_dataset,
                                                                                    caplog) -> None:
    make_dataset(DATASET, random_box_episodes([20, 20]), box(3), box(2, 1.0))
    run_dir = tmp_path / "run"
    assert main([*TINY_PRIOR, "--run-dir", str(run_dir)]) == 0
    truncate(run_dir / "checkpoints" / "step_00000002.pt")
    with caplog.at_level(logging.WARNING, logger="diffplan"):
        assert load_prior(run_dir).step == 1
    assert "step_00000002.pt" in caplog.text and "corrupted or truncated" in caplog.text
    with pytest.raises(UserError, match="step_00000002.pt' is corrupted"):
        load_prior(run_dir / "checkpoints" / "step_00000002.pt")  # a file named explicitly is not replaced
