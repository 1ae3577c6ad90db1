"""Pictures of planned and executed paths in a PointMaze."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from diffplan.planning.diffusion_planner import EpisodeRecord  # noqa: E402


def draw_maze(axis: plt.Axes, maze_map: Sequence[Sequence[int]], scaling: float) -> None:
    """Walls of a gymnasium-robotics maze map (1 = wall), centred on the origin as the env places them."""
    rows, cols = len(maze_map), len(maze_map[0])
    for i in range(rows):
        for j in range(cols):
            if maze_map[i][j] == 1:
                x = (j - cols / 2) * scaling
                y = (rows / 2 - i - 1) * scaling
                axis.add_patch(plt.Rectangle((x, y), scaling, scaling, color="0.25"))
    axis.set_xlim(-cols / 2 * scaling, cols / 2 * scaling)
    axis.set_ylim(-rows / 2 * scaling, rows / 2 * scaling)
    axis.set_aspect("equal")
    axis.set_xticks([])
    axis.set_yticks([])


def panels(count: int) -> tuple[plt.Figure, list[plt.Axes]]:
    """A figure with ``count`` maze panels, four per row (spare grid cells hidden)."""
    cols = min(count, 4)
    rows = (count + cols - 1) // cols
    figure, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False)
    for axis in axes.flat[count:]:
        axis.axis("off")
    return figure, list(axes.flat[:count])


def save_figure(figure: plt.Figure, title: str, path: str | Path) -> Path:
    """Title, lay out, write and close ``figure``; returns its path."""
    figure.suptitle(title)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_episodes(
    records: Sequence[EpisodeRecord],
    maze_map: Sequence[Sequence[int]],
    scaling: float,
    path: str | Path,
    successes: Sequence[bool] | None = None,
) -> Path:
    """One panel per episode: first plan (dashed), later plans (thin), executed path (solid), goal (star).
    Plans are drawn up to their goal row (the rows after it are not followed)."""
    figure, axes = panels(len(records))
    for k, axis in enumerate(axes):
        record = records[k]
        draw_maze(axis, maze_map, scaling)
        rows = record.goal_rows or [len(plan) - 1 for _, plan in record.plans]
        for n, ((_, plan), last) in enumerate(zip(record.plans, rows, strict=True)):
            plan = plan[: last + 1]
            axis.plot(plan[:, 0], plan[:, 1], "--" if n == 0 else "-", color="tab:orange",
                      lw=1.5 if n == 0 else 0.6, alpha=1.0 if n == 0 else 0.5)
        executed = np.asarray(record.states)
        axis.plot(executed[:, 0], executed[:, 1], color="tab:blue", lw=1.5)
        axis.plot(executed[0, 0], executed[0, 1], "o", color="tab:blue")
        if record.goal is not None:
            axis.plot(record.goal[0], record.goal[1], "*", color="tab:red", ms=12)
        if successes is not None:
            axis.set_title("success" if successes[k] else "failure", fontsize=9)
    return save_figure(figure, "planned (orange, first dashed) vs executed (blue) paths", path)


def plot_plans(
    starts: np.ndarray,
    goals: np.ndarray | None,
    plans: np.ndarray,
    log_likelihood: np.ndarray,
    maze_map: Sequence[Sequence[int]],
    scaling: float,
    path: str | Path,
) -> Path:
    """One panel per problem: its N plans (thin), the most likely one (thick), start (dot), goal (star).

    starts (P, S), goals (P, G) or None, plans (P, N, H, S) and log_likelihood (P, N), in environment units;
    positions are the first two state dimensions.
    """
    figure, axes = panels(len(starts))
    for k, axis in enumerate(axes):
        draw_maze(axis, maze_map, scaling)
        best = int(np.argmax(log_likelihood[k]))
        for n, plan in enumerate(plans[k]):
            axis.plot(plan[:, 0], plan[:, 1], color="tab:orange", lw=2.0 if n == best else 0.7,
                      alpha=1.0 if n == best else 0.5)
        axis.plot(starts[k, 0], starts[k, 1], "o", color="tab:blue")
        if goals is not None:
            axis.plot(goals[k, 0], goals[k, 1], "*", color="tab:red", ms=12)
        axis.set_title(f"max log p(O | plan) = {log_likelihood[k, best]:.3g}", fontsize=9)
    return save_figure(figure, "plans from the posterior (orange, most likely thick), start (blue), goal (red)", path)
