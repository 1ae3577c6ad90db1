"""PointMaze maps and the evaluation protocol of Minari's ``D4RL/pointmaze/*-v2`` datasets.

A map is a list of rows, top to bottom: ``1`` is a wall, ``0`` a free cell, ``"g"`` the goal cell. The data
is collected on the map without its goal cell (every free cell may hold a goal, D4RL's recipe); the eval
env stored with the dataset uses the map with its **one fixed goal cell**, ``continuing_task=True``,
``reset_target=False`` and the maze's episode length, and every other free cell is a possible start::

    U-Maze               goal at row 1, col 1          300 steps
    Medium (8 x 8)       goal at row 6, col 6          600 steps
    Large (9 x 12)       goal at row 7, col 9          800 steps

Users may give their own map (:func:`check_maze_map`): the same rules apply to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from diffplan.errors import UserError

Cell = tuple[int, int]
MazeMap = list[list[Any]]

GOAL = "g"
# The D4RL maps of gymnasium-robotics' PointMaze (written out: importing gymnasium_robotics prints a warning)
U_MAZE = [[1, 1, 1, 1, 1], [1, 0, 0, 0, 1], [1, 1, 1, 0, 1], [1, 0, 0, 0, 1], [1, 1, 1, 1, 1]]
MEDIUM_MAZE = [[1, 1, 1, 1, 1, 1, 1, 1], [1, 0, 0, 1, 1, 0, 0, 1], [1, 0, 0, 1, 0, 0, 0, 1], [1, 1, 0, 0, 0, 1, 1, 1],
               [1, 0, 0, 1, 0, 0, 0, 1], [1, 0, 1, 0, 0, 1, 0, 1], [1, 0, 0, 0, 1, 0, 0, 1], [1, 1, 1, 1, 1, 1, 1, 1]]
LARGE_MAZE = [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1],
              [1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1], [1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1],
              [1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1], [1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1],
              [1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1], [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1],
              [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]
STANDARD_MAPS: dict[str, tuple[MazeMap, Cell, int]] = {
    "umaze": (U_MAZE, (1, 1), 300),
    "medium": (MEDIUM_MAZE, (6, 6), 600),
    "large": (LARGE_MAZE, (7, 9), 800),
}
"""maze -> (map without goal cell, the eval goal cell, eval episode length)."""


def with_goal(maze_map: Sequence[Sequence[Any]], goal_cell: Cell) -> MazeMap:
    """A copy of ``maze_map`` with ``"g"`` at ``goal_cell`` and every other free cell ``0``."""
    rows = [[1 if cell == 1 else 0 for cell in row] for row in maze_map]
    rows[goal_cell[0]][goal_cell[1]] = GOAL
    return rows


def without_goal(maze_map: Sequence[Sequence[Any]]) -> MazeMap:
    """A copy of ``maze_map`` whose free cells are all ``0`` (random goals and starts: the data's map)."""
    return [[1 if cell == 1 else 0 for cell in row] for row in maze_map]


def goal_cell_of(maze_map: Sequence[Sequence[Any]]) -> Cell:
    """The ``(row, col)`` of the one ``"g"`` cell of ``maze_map``."""
    cells = [(i, j) for i, row in enumerate(maze_map) for j, cell in enumerate(row) if cell == GOAL]
    if len(cells) != 1:
        raise UserError(f"a maze map needs exactly one goal cell 'g', found {len(cells)}; mark one free cell 'g'")
    return cells[0]


def standard_eval_map(maze: str) -> MazeMap:
    """The eval map of a standard maze (``umaze``, ``medium``, ``large``), its goal cell marked ``"g"``."""
    maze_map, goal, _ = STANDARD_MAPS[maze]
    return with_goal(maze_map, goal)


def check_maze_map(maze_map: Any) -> MazeMap:
    """Validate a user's map (rows of 0 / 1 with one ``"g"``) and return it as lists.

    The map must be rectangular, at least 3 x 3, walled all round, with one goal cell and at least one
    other free cell from which the goal can be reached.
    """
    if not isinstance(maze_map, list | tuple) or not maze_map or not all(isinstance(r, list | tuple) for r in maze_map):
        raise UserError("a maze map is a list of rows, e.g. [[1,1,1,1],[1,'g',0,1],[1,1,1,1]]")
    rows = [list(r) for r in maze_map]
    width = len(rows[0])
    if len(rows) < 3 or width < 3 or any(len(r) != width for r in rows):
        raise UserError(f"a maze map must be rectangular and at least 3 x 3, got row lengths {[len(r) for r in rows]}")
    bad = sorted({repr(c) for r in rows for c in r if c not in (0, 1, GOAL) or isinstance(c, bool)})
    if bad:
        raise UserError(f"maze map cells must be 0 (free), 1 (wall) or 'g' (the goal), got {', '.join(bad)}")
    border = rows[0] + rows[-1] + [r[0] for r in rows] + [r[-1] for r in rows]
    if any(c != 1 for c in border):
        raise UserError("a maze map must be walled all round: make its first and last rows and columns 1")
    goal = goal_cell_of(rows)
    free = {(i, j) for i, r in enumerate(rows) for j, c in enumerate(r) if c != 1}
    reached, frontier = {goal}, [goal]
    while frontier:
        i, j = frontier.pop()
        for cell in ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)):
            if cell in free and cell not in reached:
                reached.add(cell)
                frontier.append(cell)
    if len(free) < 2 or reached != free:
        raise UserError("every free cell of a maze map must connect to the goal cell, and there must be one besides "
                        "it; open or wall off the unreachable cells")
    return rows
