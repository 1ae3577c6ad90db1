"""Malformed input, tried systematically through the real ``diffplan`` command line.

Every case ends as one line on stderr naming the problem, exit status 2, no traceback, and nothing written:
neither the run folder nor the evaluation folder it would have used appears, and files that exist before
(datasets, checkpoints) are left as they were.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym
import h5py
import numpy as np
import pytest
import torch
from helpers.episodes import box, goal_dict_episode, random_box_episodes
from helpers.tiny_prior import DATASET, TINY_PRIOR

from diffplan.cli import main
from diffplan.training.checkpoint import MAGIC, save_checkpoint


@dataclass
class Workspace:
    """The folders of one case and a way to write Minari datasets into its private root."""

    tmp: Path
    make_dataset: Callable

    @property
    def run_dir(self) -> Path:
        return self.tmp / "run"

    @property
    def eval_dir(self) -> Path:
        return self.tmp / "eval"

    def box_dataset(self, lengths: tuple[int, ...] = (20, 20), edit: Callable[[list[dict]], None] | None = None,
                    spaces: tuple[gym.Space, gym.Space] = (box(3), box(2, 1.0))) -> None:
        """Episodes of 3-dim states and 2-dim actions, in a dataset that declares ``spaces``."""
        episodes = random_box_episodes(list(lengths))
        if edit is not None:
            edit(episodes)
        self.make_dataset(DATASET, episodes, *spaces)

    def empty_episode_on_disk(self) -> None:
        """A dataset whose second episode has no steps (minari refuses to write one; a file can hold one)."""
        self.box_dataset()
        with h5py.File(self.tmp / "minari" / DATASET / "data" / "main_data.hdf5", "r+") as file:
            episode = file["episode_1"]
            for key, rows in (("observations", 1), ("actions", 0), ("rewards", 0), ("terminations", 0),
                              ("truncations", 0)):
                data = episode[key][:rows]
                del episode[key]
                episode.create_dataset(key, data=data)
            episode.attrs["total_steps"] = 0

    def dict_dataset(self) -> None:
        episode, space = goal_dict_episode()
        self.make_dataset(DATASET, [episode], space, box(2, 1.0))

    def train_prior(self, *overrides: str) -> list[str]:
        """``diffplan train-prior`` of a tiny prior into the case's run folder."""
        return [*TINY_PRIOR, *overrides, "--run-dir", str(self.run_dir)]

    def evaluate(self, checkpoint: Path) -> list[str]:
        return ["evaluate", str(checkpoint), "episodes=1", "tracking.mode=disabled", f"output_dir={self.eval_dir}"]

    def checkpoint(self, state: dict) -> Path:
        return save_checkpoint(state, self.tmp / "given" / "step_00000001.pt")

    def trained_prior(self) -> Path:
        """A real train-prior run folder of one step, outside the case's run folder."""
        self.box_dataset()
        given = self.tmp / "given"
        assert main([*TINY_PRIOR, "trainer.steps=1", "--run-dir", str(given)]) == 0
        return given


def set_entry(field: str, episode: int, value: float) -> Callable[[list[dict]], None]:
    def edit(episodes: list[dict]) -> None:
        episodes[episode][field].flat[3] = value

    return edit


def truncated(ws: Workspace) -> Path:
    path = ws.checkpoint({"step": 1, "weights": torch.zeros(64)})
    path.write_bytes(path.read_bytes()[:-40])
    return path


def plain_torch_file(ws: Workspace) -> Path:
    path = ws.tmp / "given" / "plain.pt"
    path.parent.mkdir()
    torch.save({"weights": torch.zeros(2)}, path)
    return path


def flipped_byte(ws: Workspace) -> Path:
    path = ws.checkpoint({"step": 1, "weights": torch.ones(64)})
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


def wrong_header(ws: Workspace) -> Path:
    path = ws.tmp / "given" / "step_00000001.pt"
    path.parent.mkdir()
    buffer = io.BytesIO()
    torch.save({"step": 1}, buffer)
    path.write_bytes(MAGIC + b"0" * 64 + b"\n" + buffer.getvalue())
    return path


class Exploit:
    """Pickles as a call to ``os.system`` that creates ``marker``; a safe loader never makes that call."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return os.system, (f"touch {self.marker}",)


def malicious(ws: Workspace) -> Path:
    """A checkpoint with a valid header and checksum whose payload runs a command when unpickled."""
    buffer = io.BytesIO()
    torch.save({"step": 1, "payload": Exploit(ws.tmp / "pwned")}, buffer)
    payload = buffer.getvalue()
    path = ws.tmp / "given" / "step_00000001.pt"
    path.parent.mkdir()
    path.write_bytes(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    return path


def prior_resumed_with(*overrides: str) -> Callable[[Workspace], list[str]]:
    """Resume a real prior run with a config whose shapes differ."""

    def argv(ws: Workspace) -> list[str]:
        given = ws.trained_prior()
        return [*TINY_PRIOR, *overrides, "trainer.steps=3", "--run-dir", str(given), "--resume"]

    return argv


def broken_yaml(ws: Workspace) -> list[str]:
    path = ws.tmp / "broken.yaml"
    path.write_text("trainer: [steps\n")
    ws.box_dataset()
    return ["train-prior", str(path), "--run-dir", str(ws.run_dir)]


def with_box(*overrides: str, lengths: tuple[int, ...] = (20, 20), edit: Callable[[list[dict]], None] | None = None,
             spaces: tuple[gym.Space, gym.Space] = (box(3), box(2, 1.0))) -> Callable[[Workspace], list[str]]:
    """train-prior on a Box dataset of episodes of ``lengths`` (changed by ``edit``) declaring ``spaces``."""

    def argv(ws: Workspace) -> list[str]:
        ws.box_dataset(lengths, edit, spaces)
        return ws.train_prior(*overrides)

    return argv


def with_empty_episode(ws: Workspace) -> list[str]:
    ws.empty_episode_on_disk()
    return ws.train_prior()


def with_dict(*overrides: str) -> Callable[[Workspace], list[str]]:
    def argv(ws: Workspace) -> list[str]:
        ws.dict_dataset()
        return ws.train_prior("data.horizon=4", *overrides)

    return argv


def evaluating(make: Callable[[Workspace], Path]) -> Callable[[Workspace], list[str]]:
    return lambda ws: ws.evaluate(make(ws))


def fixed(*argv: str) -> Callable[[Workspace], list[str]]:
    return lambda ws: list(argv)


CASES: dict[str, tuple[Callable[[Workspace], list[str]], str]] = {
    # configs
    "unknown key": (with_box("trainer.stepz=3"), "unknown config key 'trainer.stepz'"),
    "unknown section": (with_box("optimiser.lr=1"), "unknown config key 'optimiser"),
    "wrong type": (with_box("trainer.steps=many"), "'trainer.steps' must be int"),
    "wrong type list": (with_box("model.dim_mults=3"), "'model.dim_mults' must be a list"),
    "override without =": (with_box("trainer.steps"), "key=value"),
    "negative batch size": (with_box("trainer.batch_size=-4"), "trainer.batch_size must be positive"),
    "zero steps": (with_box("trainer.steps=0"), "trainer.steps must be positive"),
    "negative learning rate": (with_box("trainer.learning_rate=-0.1"), "trainer.learning_rate"),
    "NaN learning rate": (with_box("trainer.learning_rate=.nan"), "trainer.learning_rate must be positive"),
    "NaN gradient clip": (with_box("trainer.grad_clip=.nan"), "trainer.grad_clip must not be negative"),
    "zero model width": (with_box("model.dim=0"), "model.dim"),
    "zero horizon": (with_box("data.horizon=0"), "horizon"),
    "horizon not divisible": (with_box("data.horizon=10", "model.dim_mults=[1,2,4]"), "not divisible by 4"),
    "zero diffusion steps": (with_box("diffusion.num_train_timesteps=0"), "num_train_timesteps"),
    "unknown normaliser": (with_box("data.normalizer=minmax"), "gaussian, limits"),
    "ema decay of 1": (with_box("trainer.ema_decay=1.0"), "trainer.ema_decay"),
    "a device that is not there": (with_box("data.device=cuda:99"), "device 'cuda:99' was asked for but this machine"),
    "fp16 on CPU": (with_box("data.device=cpu", "trainer.mixed_precision=fp16"), "fp16 needs a CUDA device"),
    "unknown config name": (fixed("train-prior", "no-such-config"), "bundled: "),
    "broken yaml": (broken_yaml, "not valid YAML"),
    # datasets
    "missing dataset": (fixed(*TINY_PRIOR, "data.dataset_id=local/nothing/here-v0"), "local/nothing/here-v0"),
    "malformed dataset id": (fixed(*TINY_PRIOR, "data.dataset_id=no_version"), "no_version"),
    "NaN observation": (with_box(edit=set_entry("observations", 1, np.nan)), "NaN or inf"),
    "inf reward": (with_box(edit=set_entry("rewards", 0, np.inf)), "NaN or inf"),
    "-inf action": (with_box(edit=set_entry("actions", 1, -np.inf)), "NaN or inf"),
    "empty episode": (with_empty_episode, "episode 1 of 'local/test/box-v0' has no steps"),
    "action space wider than the actions": (with_box(spaces=(box(3), box(3, 1.0))), "dataset is inconsistent"),
    "observation space wider than the states": (with_box(spaces=(box(5), box(2, 1.0))), "dataset is inconsistent"),
    "one-step episodes": (with_box("data.short_episodes=drop", lengths=(1, 1, 1)), "shorter than the horizon"),
    "all episodes too short": (with_box("data.short_episodes=drop", lengths=(5, 7)), "shorter than the horizon"),
    "dict observation key missing": (with_dict("data.observation_keys=[velocity]"), "'velocity'"),
    "dict goal key missing": (with_dict("data.goal_key=target"), "'target'"),
    "action size mismatch": (with_box("data.action_dim=6"), "expects 6"),
    "state size mismatch": (with_box("data.state_dim=9"), "expects 9"),
    "transition dim mismatch": (with_box("model.transition_dim=9"), "model.transition_dim is 9"),
    # checkpoints
    "missing checkpoint": (fixed("evaluate", "/nonexistent/step_00000001.pt"), "does not exist"),
    "truncated checkpoint": (evaluating(truncated), "corrupted or truncated"),
    "flipped byte": (evaluating(flipped_byte), "corrupted or truncated"),
    "wrong checksum header": (evaluating(wrong_header), "corrupted or truncated"),
    "not a diffplan checkpoint": (evaluating(plain_torch_file), "not a diffplan checkpoint"),
    "wrong kind of checkpoint": (evaluating(lambda ws: ws.checkpoint({"step": 1, "learner_class": "Regression",
                                                                       "learner": {}, "metadata": {}, "config": {}})),
                                 "holds a Regression, not a train-prior or train-rl run folder"),
    "checkpoint of no training run": (evaluating(lambda ws: ws.checkpoint({"step": 1})),
                                      "is not a checkpoint of a diffplan training run"),
    "malicious pickle": (evaluating(malicious), "not weights and was refused"),
    "run folder without checkpoints": (evaluating(lambda ws: ws.tmp), "has no checkpoints"),
    "resume with other shapes": (prior_resumed_with("model.dim=16"), "does not match the model of this config"),
    # command-line arguments
    "no command": (fixed(), "required: command"),
    "unknown command": (fixed("frobnicate"), "invalid choice: 'frobnicate'"),
    "unknown flag": (fixed("inspect", DATASET, "--frobnicate"), "unrecognized arguments: --frobnicate"),
    "non-integer option": (fixed("collect", "pendulum-expert", "--steps", "many"), "invalid int value: 'many'"),
    "zero step budget": (fixed("collect", "pendulum-expert", "--steps", "0"), "total_steps must be a positive"),
    "env kwargs not JSON": (fixed("collect", "--env", "Pendulum-v1", "--dataset-id", "local/x/y-v0", "--episodes",
                                  "1", "--env-kwargs", "{bad"), "is not JSON"),
    "evaluate without checkpoint": (fixed("evaluate"), "required: checkpoint"),
}


SUBPROCESS_CASES = ["truncated checkpoint"]  # one: the console command takes seconds to import


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_refused(code: int, err: str, fragment: str, ws: Workspace, before: dict[str, bytes]) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert fragment in lines[0]
    assert not ws.run_dir.exists() and not ws.eval_dir.exists()
    assert snapshot(ws.tmp) == before


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, make_dataset, capsys):
    build, fragment = CASES[case]
    ws = Workspace(tmp_path, make_dataset)
    argv = build(ws)
    before = snapshot(tmp_path)
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's errors
        code = exit_.code
    assert_refused(code, capsys.readouterr().err, fragment, ws, before)


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_console_command_prints_no_traceback(case, tmp_path, make_dataset):
    build, fragment = CASES[case]
    ws = Workspace(tmp_path, make_dataset)
    argv = build(ws)
    before = snapshot(tmp_path)
    done = subprocess.run([sys.executable, "-m", "diffplan", *argv], capture_output=True, text=True, timeout=300)
    assert_refused(done.returncode, done.stderr, fragment, ws, before)


def test_at_least_25_cases():
    assert len(CASES) >= 25
