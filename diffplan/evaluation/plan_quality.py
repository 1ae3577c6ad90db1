"""How good a maze plan is, measured with the maze map (evaluation only: planners never see the map).

For the first plan of each episode, up to its goal row:

* ``wall_share``: the share of planned positions inside a wall cell (or outside the maze);
* ``largest_move``: the largest distance between consecutive planned positions;
* ``path_ratio``: the planned path length over the shortest collision-free path from the plan's first to its
  last position. Walls are the map's unit boxes (scaled by ``maze_size_scaling``); the shortest path among
  boxes runs straight between box corners, so it is found on the visibility graph of the corners
  (:class:`MazeGeometry`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

_EDGE = 1e-6  # points this close to a wall's face count as outside it (paths may graze a wall)


class MazeGeometry:
    """Walls, free-space tests and shortest paths of a PointMaze map.

    Args:
        maze_map: rows of cells, ``1`` for a wall.
        scaling: side of a cell (``maze_size_scaling``).
    """

    def __init__(self, maze_map: Sequence[Sequence[Any]], scaling: float = 1.0) -> None:
        self.wall = np.array([[cell == 1 for cell in row] for row in maze_map], dtype=bool)  # (R, C)
        self.scaling = float(scaling)
        rows, cols = self.wall.shape
        self.x_centre, self.y_centre = cols / 2 * self.scaling, rows / 2 * self.scaling
        corners = {(i, j) for i, j in zip(*np.nonzero(self.wall), strict=True)
                   for i, j in ((i, j), (i + 1, j), (i, j + 1), (i + 1, j + 1))}
        self.nodes = np.array([self._vertex_xy(i, j) for i, j in sorted(corners)])  # (V, 2) wall corners
        upper = np.triu_indices(len(self.nodes), 1)
        visible = np.eye(len(self.nodes), dtype=bool)
        visible[upper] = self.visible(self.nodes[upper[0]], self.nodes[upper[1]])
        visible |= visible.T
        dist = np.where(visible, np.linalg.norm(self.nodes[:, None] - self.nodes[None], axis=-1), np.inf)
        for k in range(len(self.nodes)):  # Floyd-Warshall: all shortest corner-to-corner paths
            dist = np.minimum(dist, dist[:, k, None] + dist[None, k, :])
        self.corner_dist = dist

    def _vertex_xy(self, i: int, j: int) -> tuple[float, float]:
        return j * self.scaling - self.x_centre, self.y_centre - i * self.scaling

    def in_wall(self, points: np.ndarray) -> np.ndarray:
        """Whether positions ``(..., 2)`` lie inside a wall cell or outside the maze: ``(...)`` bool."""
        col = (points[..., 0] + self.x_centre) / self.scaling
        row = (self.y_centre - points[..., 1]) / self.scaling
        rows, cols = self.wall.shape
        inside = np.zeros(points.shape[:-1], dtype=bool)
        for dr in (-_EDGE, _EDGE):  # a point on a face is in a wall only if it is on both sides
            for dc in (-_EDGE, _EDGE):
                r, c = np.floor(row + dr).astype(np.int64), np.floor(col + dc).astype(np.int64)
                outside = (r < 0) | (r >= rows) | (c < 0) | (c >= cols)
                hit = outside | self.wall[np.clip(r, 0, rows - 1), np.clip(c, 0, cols - 1)]
                inside = hit if dr == -_EDGE and dc == -_EDGE else inside & hit
        return inside

    def visible(self, a: np.ndarray, b: np.ndarray, spacing: float = 0.02) -> np.ndarray:
        """Whether the straight segments from ``a`` to ``b`` (broadcast ``(..., 2)``) stay out of the walls."""
        a, b = np.broadcast_arrays(a, b)
        samples = max(2, math.ceil(float(np.linalg.norm(b - a, axis=-1).max(initial=0.0)) / spacing) + 1)
        t = np.linspace(0.0, 1.0, samples)
        points = a[..., None, :] + t[:, None] * (b - a)[..., None, :]  # (..., samples, 2)
        return ~self.in_wall(points).any(axis=-1)

    def shortest_path(self, start: np.ndarray, goal: np.ndarray) -> float:
        """Length of the shortest collision-free path between two free positions ``(2,)``."""
        if bool(self.visible(start, goal)):
            return float(np.linalg.norm(goal - start))
        from_start = np.where(self.visible(start[None], self.nodes), np.linalg.norm(self.nodes - start, axis=-1),
                              np.inf)
        to_goal = np.where(self.visible(self.nodes, goal[None]), np.linalg.norm(self.nodes - goal, axis=-1), np.inf)
        return float((from_start[:, None] + self.corner_dist + to_goal[None, :]).min())


def plan_quality(geometry: MazeGeometry, plan_positions: np.ndarray, goal_row: int) -> dict[str, float]:
    """``wall_share``, ``largest_move`` and ``path_ratio`` of one plan ``(H, 2)`` up to row ``goal_row``."""
    path = plan_positions[: goal_row + 1]
    moves = np.linalg.norm(np.diff(path, axis=0), axis=-1)
    shortest = geometry.shortest_path(path[0], path[-1]) if not geometry.in_wall(path[[0, -1]]).any() else math.nan
    return {
        "wall_share": float(geometry.in_wall(path).mean()),
        "largest_move": float(moves.max(initial=0.0)),
        "path_ratio": float(moves.sum() / shortest) if shortest and shortest > 0 else math.nan,
    }
