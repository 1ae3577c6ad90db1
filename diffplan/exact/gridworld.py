"""Gridworld MDPs: walls, goals, slip probability.

State ``s = row * width + col``. Actions ``MOVES``: stay, up, down, left, right. A move into a wall or
off the grid leaves the agent where it is. With probability ``slip`` the intended move is replaced by
a move drawn uniformly from all five, so P(intended) = 1 - slip + slip / 5. Reward is per state:
``goal_reward`` in a goal cell and ``step_reward`` elsewhere (for every action). Wall cells are states
too (never entered, zero initial mass), which keeps the index arithmetic trivial.

Successor lists have K = 5 entries (one per move), so a 100x100 grid costs O(S * A * K) memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
from einops import rearrange, repeat

from diffplan.errors import UserError
from diffplan.exact.mdp import TabularMDP

MOVES: tuple[tuple[int, int], ...] = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1))
MOVE_NAMES: tuple[str, ...] = ("stay", "up", "down", "left", "right")

Cell = tuple[int, int]


def _cells(cells: Iterable[Cell], height: int, width: int, what: str) -> list[Cell]:
    out = []
    for cell in cells:
        row, col = int(cell[0]), int(cell[1])
        if not (0 <= row < height and 0 <= col < width):
            raise UserError(f"{what} cell {cell} is outside the {height}x{width} grid; use 0-based (row, col)")
        out.append((row, col))
    return out


def gridworld(
    height: int,
    width: int,
    *,
    walls: Iterable[Cell] = (),
    goals: Iterable[Cell] | None = None,
    starts: Iterable[Cell] = ((0, 0),),
    slip: float = 0.0,
    goal_reward: float = 1.0,
    step_reward: float = 0.0,
    alpha: float = 1.0,
    horizon: int | None = None,
    discount: float = 1.0,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str | None = None,
) -> TabularMDP:
    """A ``height x width`` gridworld (B = 1); starts share the initial mass uniformly.

    Goals default to the bottom-right cell.
    """
    if height < 1 or width < 1:
        raise UserError(f"grid must be at least 1x1, got {height}x{width}")
    if not 0.0 <= slip <= 1.0:
        raise UserError(f"slip must be a probability in [0, 1], got {slip}")
    wall_cells = set(_cells(walls, height, width, "wall"))
    goal_cells = _cells(((height - 1, width - 1),) if goals is None else goals, height, width, "goal")
    start_cells = _cells(starts, height, width, "start")
    if not start_cells:
        raise UserError("starts is empty; give at least one (row, col) start cell")
    for cell in goal_cells + start_cells:
        if cell in wall_cells:
            raise UserError(f"cell {cell} is both a wall and a start/goal; move one of them")

    S, A = height * width, len(MOVES)
    wall = torch.zeros((height, width), dtype=torch.bool, device=device)
    for row, col in wall_cells:
        wall[row, col] = True
    rows = repeat(torch.arange(height, device=device), "h -> h w", w=width)
    cols = repeat(torch.arange(width, device=device), "w -> h w", h=height)
    here = rows * width + cols
    successors = []
    for d_row, d_col in MOVES:
        r, c = rows + d_row, cols + d_col
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        r, c = r.clamp(0, height - 1), c.clamp(0, width - 1)
        blocked = ~inside | wall[r, c] | wall
        successors.append(torch.where(blocked, here, r * width + c))
    move_target = rearrange(torch.stack(successors), "k h w -> (h w) k")  # (S, K) state after move k
    next_state = rearrange(move_target, "s k -> s 1 k").contiguous()
    next_prob = torch.full((S, A, A), slip / A, dtype=dtype, device=device)
    next_prob += (1.0 - slip) * torch.eye(A, dtype=dtype, device=device)

    state_reward = torch.full((S,), step_reward, dtype=dtype, device=device)
    for row, col in goal_cells:
        state_reward[row * width + col] = goal_reward
    reward = repeat(state_reward, "s -> s a", a=A).contiguous()
    initial = torch.zeros(S, dtype=dtype, device=device)
    for row, col in start_cells:
        initial[row * width + col] += 1.0 / len(start_cells)
    return TabularMDP(
        initial=initial,
        next_state=next_state,
        next_prob=next_prob,
        reward=reward,
        alpha=alpha,
        horizon=horizon,
        discount=discount,
    )


def gridworld_from_ascii(layout: Sequence[str], **kwargs: object) -> TabularMDP:
    """A gridworld from rows of text: ``#`` wall, ``G`` goal, ``S`` start, ``.`` free.

    Other keyword arguments go to ``gridworld`` (slip, rewards, alpha, horizon, ...).
    """
    if not layout or len({len(row) for row in layout}) != 1:
        raise UserError("layout must be a non-empty list of equally long strings, e.g. ['S..', '.#G']")
    cells: dict[str, list[Cell]] = {"#": [], "G": [], "S": []}
    for row, line in enumerate(layout):
        for col, char in enumerate(line):
            if char in cells:
                cells[char].append((row, col))
            elif char != ".":
                raise UserError(f"unknown layout character {char!r} at ({row}, {col}); use '.', '#', 'G' or 'S'")
    starts = cells["S"] or [(0, 0)]
    return gridworld(len(layout), len(layout[0]), walls=cells["#"], goals=cells["G"] or None, starts=starts, **kwargs)
