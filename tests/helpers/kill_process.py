"""Start a real process and kill -9 it at a chosen moment."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from diffplan.training.checkpoint import list_checkpoints

REPO = Path(__file__).resolve().parents[2]


def single_thread_env() -> dict[str, str]:
    """This process's environment (Minari root, wandb mode) with one torch thread, as the test session uses, and
    ``tests/`` on the path, where the ``helpers`` package is."""
    path = os.pathsep.join(p for p in (str(REPO / "tests"), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONPATH": path}


def kill_when(argv: Sequence[str], ready: Callable[[], bool], delay: float, timeout: float = 300.0) -> None:
    """Run ``argv``, wait until ``ready()``, then ``delay`` seconds more, and SIGKILL it.

    Fails if the process ends on its own first (the kill would prove nothing).
    """
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a full pipe would stall the process
        process = subprocess.Popen(list(argv), cwd=REPO, env=single_thread_env(), stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        try:
            while not ready() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(delay)
            still_running = process.poll() is None
        finally:
            process.send_signal(signal.SIGKILL)  # this process only, by its id
            process.wait()
        log.seek(0)
        output = log.read().decode(errors="replace")[-2000:]
    assert still_running, f"{' '.join(argv)} ended (status {process.returncode}) before it was killed: {output}"
    assert process.returncode == -signal.SIGKILL


def reached_step(checkpoint_dir: Path, step: int) -> Callable[[], bool]:
    """Whether a checkpoint of ``step`` or later is visible in ``checkpoint_dir``."""

    def ready() -> bool:
        found = list_checkpoints(checkpoint_dir)
        return bool(found) and int(found[-1].stem.split("_")[1]) >= step

    return ready
