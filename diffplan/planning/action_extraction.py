"""Turning plans into the actions of the current step, for a batch of plans.

Three rules (``PlannerConfig.action``): execute the plan's own action (``first_action``), ask an
inverse-dynamics model for the action that reaches the next planned state (``inverse_dynamics``), or
track the planned positions and velocities with a PD rule (``waypoints``, mazes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from diffplan.data.normalizer import AffineNormalizer
from diffplan.prior.inverse_dynamics import InverseDynamics


def planned_actions(plan_actions: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The planned action of step ``index`` of each plan: ``(N, H, A)``, ``(N,)`` -> ``(N, A)``."""
    rows = np.minimum(index, plan_actions.shape[1] - 1)
    return plan_actions[np.arange(len(plan_actions)), rows]


def waypoint_targets(plan_states: np.ndarray, index: np.ndarray, last_row: np.ndarray,
                     velocity_dims: Sequence[int]) -> np.ndarray:
    """The planned state after step ``index`` of each plan ``(N, H, S)``; past ``last_row`` (N,), that row at rest."""
    rows = np.minimum(index + 1, last_row)
    targets = plan_states[np.arange(len(plan_states)), rows].copy()
    resting = index + 1 > last_row
    targets[np.ix_(resting, list(velocity_dims))] = 0.0
    return targets


def track_waypoints(
    plan_states: np.ndarray,
    index: np.ndarray,
    last_row: np.ndarray,
    states: np.ndarray,
    position_dims: Sequence[int],
    velocity_dims: Sequence[int],
    kp: float,
    kd: float,
) -> np.ndarray:
    """PD actions toward the next planned states: a = kp·(p* − p) + kd·(v* − v) (unclipped).

    Args:
        plan_states: ``(N, H, S)`` planned states in environment units.
        index: ``(N,)`` steps taken since each plan was made.
        last_row: ``(N,)`` last row of each plan that is tracked (its goal row); afterwards the target is
            that state at rest.
        states: ``(N, S)`` current states.

    Returns:
        ``(N, len(position_dims))`` actions.
    """
    targets = waypoint_targets(plan_states, index, last_row, velocity_dims)
    position, velocity = list(position_dims), list(velocity_dims)
    return kp * (targets[:, position] - states[:, position]) + kd * (targets[:, velocity] - states[:, velocity])


@torch.no_grad()
def inverse_dynamics_actions(
    model: InverseDynamics,
    normalizer: AffineNormalizer,
    action_dim: int,
    plan_states: np.ndarray,
    index: np.ndarray,
    last_row: np.ndarray,
    states: np.ndarray,
) -> np.ndarray:
    """a = f(s, s*) from the current states ``(N, S)`` and the next planned states, in environment units."""
    device = next(model.parameters()).device
    state_normalizer = normalizer.select(slice(action_dim, None))
    action_normalizer = normalizer.select(slice(0, action_dim))
    targets = waypoint_targets(plan_states, index, last_row, ())
    now = state_normalizer.normalize(torch.as_tensor(states, dtype=torch.float32, device=device))
    target = state_normalizer.normalize(torch.as_tensor(targets, dtype=torch.float32, device=device))
    return action_normalizer.unnormalize(model(now, target)).cpu().numpy()
