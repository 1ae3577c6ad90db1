"""The main job from scratch: ``diffplan quickstart`` timed on a fresh dataset folder and a fresh run folder.

Runs the README's command as a new user would (a new ``MINARI_DATASETS_PATH``, so the dataset is collected;
wandb offline), times it end to end and per stage, and records the scores it printed: the planner's, and the
expert's and greedy controller's on the same episodes. Writes ``benchmarks/results/quickstart_time_<machine>.json``.

    python benchmarks/quickstart_time.py [--label cpu]      # about 9 minutes on 2 CPU cores
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import write_result  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="cpu", help="suffix of the result file")
    parser.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "MINARI_DATASETS_PATH": str(Path(work) / "datasets"), "WANDB_MODE": "offline"}
        run_dir = Path(work) / "quickstart"
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "diffplan", "quickstart", "--run-dir", str(run_dir)], env=env,
                              cwd=work, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"diffplan quickstart failed ({done.returncode}): {done.stderr[-2000:]}")
        metrics = json.loads((run_dir / "metrics.json").read_text())
    write_result(f"quickstart_time_{args.label}", {
        "command": "diffplan quickstart", "seconds": seconds, "minutes": seconds / 60,
        "fresh": "new MINARI_DATASETS_PATH and run folder: the dataset is collected, the prior trained",
        "note": args.note, "metrics": metrics, "stdout_tail": done.stdout[-1500:]})


if __name__ == "__main__":
    main()
