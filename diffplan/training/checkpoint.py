"""Checkpoints: written atomically with a checksum, read back with ``torch.load(weights_only=True)``.

File format: one header line ``DIFFPLAN-CHECKPOINT 1 <sha256 of the payload>\\n``, then the payload as
written by ``torch.save``. A truncated or corrupted file fails its checksum and is named in a clear error;
nothing in it is unpickled beyond tensors and plain containers, so a file carrying a malicious pickle is
refused without running it.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any

import torch

from diffplan.errors import UserError

MAGIC = b"DIFFPLAN-CHECKPOINT 1 "
log = logging.getLogger(__name__)
STEP_FILE = re.compile(r"step_(\d+)\.pt$")
PARTIAL_FILE = re.compile(r"\.step_\d+\.pt\..+\.tmp")  # save_checkpoint's temporary file


def save_checkpoint(state: dict[str, Any], path: str | Path) -> Path:
    """Write ``state`` to ``path`` atomically: a temporary file in the same folder, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    payload = buffer.getvalue()
    header = MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n"
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(header)
            file.write(payload)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def verified_payload(path: str | Path) -> bytes:
    """The payload of a checkpoint file after checking its header and checksum (UserError if they fail)."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"checkpoint '{path}' does not exist; pass the path of a .pt file from a run folder")
    data = path.read_bytes()
    header, _, payload = data.partition(b"\n")
    if not header.startswith(MAGIC):
        raise UserError(f"'{path}' is not a diffplan checkpoint (no header); pass a file written by diffplan")
    if hashlib.sha256(payload).hexdigest().encode() != header[len(MAGIC):]:
        raise UserError(f"checkpoint '{path}' is corrupted or truncated (checksum mismatch); delete it or use an "
                        "earlier checkpoint")
    return payload


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read and verify a checkpoint written by :func:`save_checkpoint`."""
    payload = verified_payload(path)
    try:
        return torch.load(io.BytesIO(payload), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        first_line = str(error).strip().splitlines()[0]
        raise UserError(f"checkpoint '{path}' holds objects that are not weights and was refused ({first_line})"
                        ) from None


def checkpoint_path(directory: str | Path, step: int) -> Path:
    return Path(directory) / f"step_{step:08d}.pt"


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Checkpoints ``step_*.pt`` of a folder, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if STEP_FILE.search(p.name)]
    return sorted(found, key=lambda p: int(STEP_FILE.search(p.name).group(1)))


def training_finished(run_dir: str | Path, steps: int) -> bool:
    """Whether the training run in ``run_dir`` has reached its checkpoint of ``steps`` (its newest one)."""
    found = list_checkpoints(Path(run_dir) / "checkpoints")
    return bool(found) and found[-1] == checkpoint_path(Path(run_dir) / "checkpoints", steps)


def newest_valid_checkpoint(paths: list[Path]) -> Path:
    """The newest of ``paths`` (oldest first) whose checksum verifies; newer broken ones are logged and skipped.

    Raises UserError naming the newest broken file when none verifies.
    """
    problems: list[str] = []
    for path in reversed(paths):
        try:
            verified_payload(path)
        except UserError as error:
            problems.append(str(error))
            continue
        for problem in problems:
            log.warning("skipped: %s", problem)
        return path
    raise UserError(problems[0] if problems else "no checkpoint given; pass a .pt file or a run folder")


def load_latest_checkpoint(directory: str | Path, map_location: str | torch.device = "cpu"
                           ) -> tuple[dict[str, Any], Path, list[str]] | None:
    """The newest checkpoint that verifies, its path, and the problems met with newer ones.

    Returns None when the folder holds no checkpoint; raises UserError when none of them verifies.
    """
    problems: list[str] = []
    for path in reversed(list_checkpoints(directory)):
        try:
            return load_checkpoint(path, map_location), path, problems
        except UserError as error:
            problems.append(str(error))
    if problems:
        raise UserError(problems[0])
    return None


def remove_partial_checkpoints(directory: str | Path) -> None:
    """Delete the temporary files of checkpoints whose writing was cut short (a killed process).

    They are never read (their names are not ``step_*.pt``); this only frees the space.
    """
    directory = Path(directory)
    if directory.is_dir():
        for path in directory.iterdir():
            if PARTIAL_FILE.fullmatch(path.name):
                path.unlink(missing_ok=True)


def prune_checkpoints(directory: str | Path, keep: int) -> None:
    """Delete all but the ``keep`` newest checkpoints (``keep <= 0`` keeps all)."""
    if keep > 0:
        for path in list_checkpoints(directory)[:-keep]:
            path.unlink(missing_ok=True)


EXPORT_FILES = ("config.json", "model.safetensors")  # an exported model's folder (diffplan export)


def is_export_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder written by ``diffplan export``."""
    return all((Path(path) / name).is_file() for name in EXPORT_FILES)


def model_home(resolved: Path) -> Path:
    """The folder outputs about a model go next to: the run folder of ``run/checkpoints/step_*.pt``, the folder of
    a loose checkpoint file, or an export folder itself (``resolved`` as :func:`resolve_checkpoint` returns it)."""
    if is_export_folder(resolved):
        return resolved
    return resolved.parent.parent if resolved.parent.name == "checkpoints" else resolved.parent


def resolve_checkpoint(path: str | Path) -> Path:
    """What a trained model is read from: a checkpoint file, an exported folder as it is, or the newest
    checkpoint of a run folder that passes its checksum."""
    path = Path(path)
    if path.is_dir() and not is_export_folder(path):
        found = list_checkpoints(path / "checkpoints") or list_checkpoints(path)
        if not found:
            raise UserError(f"run folder '{path}' has no checkpoints; train first, or pass a .pt file or a folder "
                            "written by diffplan export")
        return newest_valid_checkpoint(found)
    return path
