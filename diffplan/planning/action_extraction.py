"""Turning a plan into the action of the current step."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def first_action(actions: np.ndarray, index: int) -> np.ndarray:
    """The planned action of step ``index`` of plan actions ``(H, A)`` (the first one right after planning)."""
    return actions[min(index, len(actions) - 1)]


def track_waypoint(
    plan_states: np.ndarray,
    index: int,
    state: np.ndarray,
    position_dims: Sequence[int],
    velocity_dims: Sequence[int],
    kp: float,
    kd: float,
    low: np.ndarray,
    high: np.ndarray,
) -> np.ndarray:
    """PD action toward the planned state after step ``index``: a = kp·(p* − p) + kd·(v* − v).

    Args:
        plan_states: ``(H, S)`` planned states in environment units; past the plan's end the target is its
            last state at rest.
        state: ``(S,)`` current state.
    """
    if index + 1 < len(plan_states):
        target = plan_states[index + 1]
        target_velocity = target[list(velocity_dims)]
    else:
        target = plan_states[-1]
        target_velocity = np.zeros(len(velocity_dims))
    action = kp * (target[list(position_dims)] - state[list(position_dims)]) + kd * (
        target_velocity - state[list(velocity_dims)]
    )
    return np.clip(action, low, high).astype(np.float32)
