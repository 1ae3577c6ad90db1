"""Learning curves of a run, drawn from the trainer's ``metrics.jsonl``."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def plot_learning_curves(metrics_jsonl: str | Path, path: str | Path, keys: tuple[str, ...] = ("train/loss",)) -> Path:
    """Plot the logged scalars ``keys`` against the step."""
    rows = [json.loads(line) for line in Path(metrics_jsonl).read_text().splitlines() if line]
    figure, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.2), squeeze=False)
    for axis, key in zip(axes[0], keys, strict=True):
        points = [(row["step"], row[key]) for row in rows if key in row]
        if points:
            steps, values = zip(*points, strict=True)
            axis.plot(steps, values)
        axis.set_xlabel("step")
        axis.set_ylabel(key)
        axis.set_yscale("log")
        axis.grid(alpha=0.3)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
