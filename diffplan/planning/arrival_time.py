"""The goal's arrival time as a choice among candidates: the plan that a controller can follow.

A goal-inpainted prior is trained on windows whose last real step sits anywhere in the window (episodes that
end at their goal are padded), so the row where a plan's goal is fixed is its arrival time. With the goal
always at the last row, a goal that is close must be reached by a long detour, and one that is far within
too few steps; a prior that fails to connect the start to the goal then lets the plan jump across walls in
its last rows. Plans drawn for several arrival rows differ in exactly this: the plan with the smallest
largest move between consecutive planned positions is the one a tracking controller can execute.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from einops import rearrange


def largest_move(plan_positions: torch.Tensor, goal_rows: torch.Tensor) -> torch.Tensor:
    """The largest distance between consecutive planned positions up to each plan's goal row.

    Args:
        plan_positions: ``(B, H, P)`` planned positions.
        goal_rows: ``(B,)`` row of each plan's goal; later rows are not tracked and do not count.

    Returns:
        ``(B,)`` largest move.
    """
    moves, tracked = tracked_moves(plan_positions, goal_rows)
    return torch.where(tracked, moves, torch.zeros_like(moves)).amax(dim=1)


def tracked_moves(plan_positions: torch.Tensor, goal_rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distances between consecutive planned positions ``(B, H - 1)`` and whether each is tracked (before
    its plan's goal row), from positions ``(B, H, P)`` and goal rows ``(B,)``."""
    moves = (plan_positions[:, 1:] - plan_positions[:, :-1]).norm(dim=-1)
    tracked = torch.arange(moves.shape[1], device=moves.device)[None] < goal_rows[:, None]
    return moves, tracked


def followable_arrival(plans: torch.Tensor, rows: Sequence[int], position_dims: Sequence[int]) -> torch.Tensor:
    """For each problem, the candidate arrival whose plan has the smallest largest move.

    Args:
        plans: ``(K, B, H, S)`` planned states, candidate k with its goal at row ``rows[k]``.
        rows: the K candidate goal rows.
        position_dims: state dimensions of the tracked position.

    Returns:
        ``(B,)`` index into ``rows`` (the earliest arrival among equals).
    """
    candidates, batch = plans.shape[:2]
    goal_rows = torch.as_tensor(list(rows), device=plans.device).repeat_interleave(batch)
    moves = largest_move(rearrange(plans[..., list(position_dims)], "k b h p -> (k b) h p"), goal_rows)
    return rearrange(moves, "(k b) -> k b", k=candidates).argmin(dim=0)


def shortest_unbroken(plans: torch.Tensor, rows: Sequence[int], position_dims: Sequence[int],
                      jump_ratio: float, outside: torch.Tensor | None = None, tolerance: float = 0.0
                      ) -> torch.Tensor:
    """For each problem, the candidate with the shortest planned path among those that do not jump.

    A plan jumps when one of its moves is longer than ``jump_ratio`` times its median move (both up to its goal
    row): consecutive rows of a prior's sample are one control step apart, so a move many times the typical
    one is a leap the dynamics cannot make (typically across a wall). Among unbroken plans the shortest path is
    the quickest to follow; where every candidate jumps, the one with the smallest largest move is kept
    (:func:`followable_arrival`). With ``outside``, only the plans whose paths leave the data's support least
    compete.

    Args:
        plans: ``(K, B, H, S)`` planned states, candidate k with its goal at row ``rows[k]``.
        rows: the K candidate goal rows.
        position_dims: state dimensions of the tracked position.
        jump_ratio: largest allowed ratio of a move to the plan's median move.
        outside: ``(K, B)``: length of each planned path outside the data's support
            (:func:`~diffplan.planning.data_support.outside_length`).
        tolerance: plans whose ``outside`` is within this of the least compete.

    Returns:
        ``(B,)`` index into ``rows``.
    """
    candidates, batch = plans.shape[:2]
    goal_rows = torch.as_tensor(list(rows), device=plans.device).repeat_interleave(batch)
    moves, tracked = tracked_moves(rearrange(plans[..., list(position_dims)], "k b h p -> (k b) h p"), goal_rows)
    median = torch.where(tracked, moves, torch.full_like(moves, float("nan"))).nanmedian(dim=1).values
    largest = torch.where(tracked, moves, torch.zeros_like(moves)).amax(dim=1)
    length = torch.where(tracked, moves, torch.zeros_like(moves)).sum(dim=1)
    unbroken = rearrange(largest <= jump_ratio * median, "(k b) -> k b", k=candidates)
    # the paths that leave the data's support least first, then unbroken ones (all of them where none is),
    # then the shortest path (the smallest largest move among broken ones)
    competing = torch.ones_like(unbroken)
    if outside is not None:
        competing = outside <= outside.amin(dim=0, keepdim=True) + tolerance
    competing = competing & (unbroken | ~(unbroken & competing).any(dim=0, keepdim=True))
    cost = torch.where(unbroken, rearrange(length, "(k b) -> k b", k=candidates),
                       rearrange(largest, "(k b) -> k b", k=candidates))
    return torch.where(competing, cost, torch.full_like(cost, float("inf"))).argmin(dim=0)
