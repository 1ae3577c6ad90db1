"""Scripted PointMaze expert of the D4RL recipe: Q-iteration waypoints over maze cells + PD control.

The maze (``env.unwrapped.maze``) is a grid of cells, ``maze_map[i][j] == 1`` for walls. For a goal cell
``g`` the planner runs value iteration (discount ``gamma``) on the 4-connected graph of free cells,
``V(g) = 1``, ``V(s) = gamma * max_{s' in N(s)} V(s')`` (a move into a wall stays put), so
``V(s) = gamma ** dist(s, g)`` and the greedy neighbour is the next cell of a shortest path.

The controller follows cell centres as waypoints and aims at the goal position itself once the next
waypoint is the goal cell::

    action = clip(kp * (waypoint - pos) - kd * vel, -1, 1)     # kp = 10, kd = 1

A waypoint counts as reached within ``waypoint_radius`` (0.1) of its centre; the controller remembers
the waypoint it is heading to (so the policy is not Markovian in the observation, as in D4RL). The goal
is read from ``env.unwrapped.goal`` and not from ``obs["desired_goal"]``, which is stale on the step
where a continuing PointMaze resamples its goal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np

Cell = tuple[int, int]

_MOVES: tuple[Cell, ...] = ((-1, 0), (1, 0), (0, -1), (0, 1))


class QIterationPlanner:
    """Shortest-path waypoints on a maze grid by value iteration (Q-iteration) over free cells.

    Args:
        maze_map: rows of cells; ``1`` is a wall, anything else (``0``, ``"g"``, ``"r"``, ``"c"``) is free.
        gamma: discount of the value iteration.
    """

    def __init__(self, maze_map: Sequence[Sequence[Any]], gamma: float = 0.99) -> None:
        if not 0.0 < gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1), got {gamma}")
        self.free = np.array([[cell != 1 for cell in row] for row in maze_map], dtype=bool)  # (R, C)
        self.gamma = gamma
        self._next: dict[Cell, np.ndarray] = {}

    def values(self, goal: Cell) -> np.ndarray:
        """State values ``(R, C)`` for reaching ``goal``: ``gamma ** distance`` on free cells, 0 on walls
        and on cells that cannot reach the goal."""
        self._check_free(goal)
        free = self.free
        v = np.zeros(free.shape)
        v[goal] = 1.0
        for _ in range(free.size + 1):
            padded = np.pad(v, 1)  # walls and the outside are worth 0
            best = np.maximum.reduce([padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]])
            new = np.where(free, np.maximum(self.gamma * best, v), 0.0)  # staying put keeps v
            new[goal] = 1.0
            if np.array_equal(new, v):
                break
            v = new
        return v

    def next_cell_table(self, goal: Cell) -> np.ndarray:
        """Next cell toward ``goal`` from every cell: an int array ``(R, C, 2)``; ``goal`` maps to itself,
        walls and unreachable cells map to themselves."""
        table = self._next.get(goal)
        if table is None:
            v = self.values(goal)
            rows, cols = self.free.shape
            table = np.empty((rows, cols, 2), dtype=np.int64)
            for i in range(rows):
                for j in range(cols):
                    best, best_v = (i, j), v[i, j]
                    if self.free[i, j] and (i, j) != goal:
                        for di, dj in _MOVES:
                            a, b = i + di, j + dj
                            if 0 <= a < rows and 0 <= b < cols and self.free[a, b] and v[a, b] > best_v:
                                best, best_v = (a, b), v[a, b]
                    table[i, j] = best
            self._next[goal] = table
        return table

    def next_cell(self, cell: Cell, goal: Cell) -> Cell:
        """The neighbour of ``cell`` one step closer to ``goal`` (``goal`` itself once there)."""
        i, j = self.next_cell_table(goal)[cell]
        return int(i), int(j)

    def path(self, start: Cell, goal: Cell) -> list[Cell]:
        """Cells from ``start`` to ``goal`` inclusive along the greedy policy."""
        self._check_free(start)
        cells = [start]
        while cells[-1] != goal:
            nxt = self.next_cell(cells[-1], goal)
            if nxt == cells[-1] or len(cells) > self.free.size:
                raise ValueError(f"cell {goal} cannot be reached from {start}")
            cells.append(nxt)
        return cells

    def _check_free(self, cell: Cell) -> None:
        i, j = cell
        if not (0 <= i < self.free.shape[0] and 0 <= j < self.free.shape[1]) or not self.free[i, j]:
            raise ValueError(f"cell {cell} is a wall or outside the maze {self.free.shape}")


class PointMazeExpert:
    """Waypoint-following PD expert for ``PointMaze_*-v3`` (any maze map, continuing or not).

    Implements :class:`diffplan.data.policies.Policy`. Actions are noise free; wrap it in
    :class:`diffplan.data.policies.NoisyPolicy` (``noise_std=0.5``) for the D4RL data-collection policy.

    Args:
        gamma: discount of the Q-iteration planner.
        kp: proportional gain on ``waypoint - position``.
        kd: derivative gain on the velocity.
        waypoint_radius: distance at which a waypoint (cell centre) counts as reached.
    """

    def __init__(self, *, gamma: float = 0.99, kp: float = 10.0, kd: float = 1.0, waypoint_radius: float = 0.1) -> None:
        self.gamma, self.kp, self.kd, self.waypoint_radius = gamma, kp, kd, waypoint_radius
        self._env: Any = None
        self._planner: QIterationPlanner | None = None
        self._map_key: Any = None
        self._goal_cell: Cell | None = None
        self._from_cell: Cell = (-1, -1)
        self._wp_cell: Cell = (-1, -1)

    # -- geometry (pure Python floats: this runs once per environment step) --------------------------

    def _rowcol(self, x: float, y: float) -> Cell:
        return (math.floor((self._yc - y) / self._scale), math.floor((x + self._xc) / self._scale))

    def _centre(self, cell: Cell) -> tuple[float, float]:
        return ((cell[1] + 0.5) * self._scale - self._xc, self._yc - (cell[0] + 0.5) * self._scale)

    # -- Policy protocol ------------------------------------------------------------------------------

    def reset(self, env: gym.Env, obs: Any, info: dict[str, Any]) -> None:
        maze_env = env.unwrapped
        maze = getattr(maze_env, "maze", None)
        if maze is None or not hasattr(maze_env, "goal"):
            raise TypeError(f"PointMazeExpert needs a PointMaze environment, got {env}")
        self._env = maze_env
        key = (id(maze), tuple(tuple(row) for row in maze.maze_map))
        if key != self._map_key:
            self._planner = QIterationPlanner(maze.maze_map, self.gamma)
            self._map_key = key
        self._scale = float(maze.maze_size_scaling)
        self._xc, self._yc = float(maze.x_map_center), float(maze.y_map_center)
        self._goal_cell = None

    def __call__(self, obs: Any, info: dict[str, Any]) -> np.ndarray:
        """PD action ``(2,)`` float32 in [-1, 1] toward the current waypoint.

        Args:
            obs: PointMaze dict observation; ``obs["observation"]`` is ``(4,)`` = (x, y, vx, vy).
        """
        planner = self._planner
        if planner is None:
            raise RuntimeError("PointMazeExpert.reset(env, obs, info) must be called before the first action")
        o = obs["observation"]
        x, y, vx, vy = float(o[0]), float(o[1]), float(o[2]), float(o[3])
        goal = self._env.goal
        gx, gy = float(goal[0]), float(goal[1])
        goal_cell = self._rowcol(gx, gy)
        cell = self._rowcol(x, y)
        if goal_cell != self._goal_cell or cell not in (self._from_cell, self._wp_cell):
            # new goal, or pushed off the planned edge: replan from the current cell
            self._goal_cell = goal_cell
            if planner.free[cell]:
                self._from_cell = cell
                self._wp_cell = planner.next_cell(cell, goal_cell)
        if self._wp_cell == goal_cell:
            tx, ty = gx, gy
        else:
            tx, ty = self._centre(self._wp_cell)
            if math.hypot(tx - x, ty - y) <= self.waypoint_radius:
                self._from_cell = self._wp_cell
                self._wp_cell = planner.next_cell(self._wp_cell, goal_cell)
                tx, ty = (gx, gy) if self._wp_cell == goal_cell else self._centre(self._wp_cell)
        ax = self.kp * (tx - x) - self.kd * vx
        ay = self.kp * (ty - y) - self.kd * vy
        return np.array([min(1.0, max(-1.0, ax)), min(1.0, max(-1.0, ay))], dtype=np.float32)
