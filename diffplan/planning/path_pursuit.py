"""Following a plan's path rather than its clock: pursuit of a point a fixed distance ahead on the plan.

A plan sampled from a prior trained on noisy demonstrations says *where* to go (the corridor, the route, the
corners) better than *when*: its timing is that of the data, and tracking it row by row (``waypoints``)
reproduces the data's hesitations. ``pursuit`` keeps, for each plan, the row the agent has progressed to (the
nearest planned position among the consecutive rows from the last one that stay within ``search`` of the
agent, never backwards, so a path that folds back near itself across a wall is not short-cut) and aims a PD
rule at the first planned position after it that is ``lookahead`` away from the agent::

    a = clip(kp · (p_target − p) − kd · v)

Past the plan's goal row the target is the goal row itself, so the agent stops there; so it is, and the agent
has arrived, once the goal row is within ``lookahead`` of the agent: a plan drawn where the agent already is
at the goal (a replan after arrival) loops away and back, and is not followed around. With the waypoint
expert's gains (10, 1) the agent runs the planned route at the speed the expert reaches between waypoints
and cuts corners by about ``lookahead / 2``.
"""

from __future__ import annotations

import numpy as np


def pursue(
    plan_positions: np.ndarray,
    last_row: np.ndarray,
    progress: np.ndarray,
    positions: np.ndarray,
    lookahead: float,
    search: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Targets on the plans and the updated progress rows.

    The rows from ``progress`` on that stay within ``search`` of the agent (the run of consecutive rows that
    starts at ``progress``) are where it may have progressed to: the nearest of them is the new progress row.
    The target is the first later row at least ``lookahead`` away from the agent, or the goal row; when the goal
    row is within ``lookahead`` of the agent, it is the target and the progress row.

    Args:
        plan_positions: ``(N, H, P)`` planned positions in environment units.
        last_row: ``(N,)`` goal row of each plan (later rows are not followed).
        progress: ``(N,)`` row each agent had progressed to (0 for a new plan).
        positions: ``(N, P)`` current positions.
        lookahead: distance from the agent to its target.
        search: distance from the agent within which its progress on the plan is sought.

    Returns:
        ``(N, P)`` target positions and ``(N,)`` new progress rows.
    """
    n, horizon = plan_positions.shape[:2]
    index = np.arange(n)
    rows = np.arange(horizon)[None]
    progress = np.minimum(progress, last_row)
    distance = np.linalg.norm(plan_positions - positions[:, None], axis=-1)  # (N, H)
    ahead = (rows >= progress[:, None]) & (rows <= last_row[:, None])
    outside = ahead & (distance > search)
    outside[index, progress] = False
    window = ahead & (np.cumsum(outside, axis=1) == 0)
    progress = np.where(window, distance, np.inf).argmin(axis=1)
    beyond = (rows > progress[:, None]) & (rows <= last_row[:, None]) & (distance >= lookahead)
    target_row = np.where(beyond.any(axis=1), beyond.argmax(axis=1), last_row)
    arrived = distance[index, last_row] < lookahead
    target_row = np.where(arrived, last_row, target_row)
    progress = np.where(arrived, last_row, progress)
    return plan_positions[index, target_row], progress


def pursuit_actions(
    plan_positions: np.ndarray,
    last_row: np.ndarray,
    progress: np.ndarray,
    positions: np.ndarray,
    velocities: np.ndarray,
    lookahead: float,
    search: float,
    kp: float,
    kd: float,
) -> tuple[np.ndarray, np.ndarray]:
    """PD actions ``(N, P)`` (unclipped) toward the pursuit targets, and the new progress rows ``(N,)``."""
    targets, progress = pursue(plan_positions, last_row, progress, positions, lookahead, search)
    return kp * (targets - positions) - kd * velocities, progress
