"""Inpainting constraints of a plan: the current state at step 0 and, for goal-reaching, the goal at the end."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from diffplan.data.normalizer import AffineNormalizer
from diffplan.prior.inpainting import Conditions


def plan_conditions(
    states: torch.Tensor,
    normalizer: AffineNormalizer,
    horizon: int,
    action_dim: int,
    goals: torch.Tensor | None = None,
    goal_state_dims: Sequence[int] = (),
    rest_at_goal_dims: Sequence[int] = (),
    goal_rows: torch.Tensor | None = None,
) -> Conditions:
    """Constraints for plans starting at ``states`` and, with ``goals``, arriving at them.

    Args:
        states: ``(B, S)`` current states in environment units.
        normalizer: the prior's row normaliser (``[a, s]``).
        goals: ``(B, G)`` goals in environment units, written into ``goal_state_dims`` of the last row;
            ``rest_at_goal_dims`` of the last row are fixed to 0 (in environment units).
        goal_rows: ``(B,)`` row of each plan where the goal is fixed instead of the last one (a replanned
            episode keeps its arrival time; as in the training windows of episodes that end at their goal,
            the rows after it are left free and are not tracked).

    Returns:
        Conditions ``(B, H, A + S)`` in normalised units.
    """
    batch, state_dim = states.shape
    state_normalizer = normalizer.select(slice(action_dim, None))
    mask = torch.zeros(batch, horizon, action_dim + state_dim, dtype=torch.bool, device=states.device)
    values = torch.zeros(mask.shape, device=states.device)
    mask[:, 0, action_dim:] = True
    values[:, 0, action_dim:] = state_normalizer.normalize(states)
    if goals is not None:
        final = torch.zeros(batch, state_dim, device=states.device)
        fixed = [*goal_state_dims, *rest_at_goal_dims]
        final[:, list(goal_state_dims)] = goals.to(final.dtype)
        normalized = state_normalizer.normalize(final)
        columns = [action_dim + d for d in fixed]
        rows = torch.full((batch,), horizon - 1, device=states.device) if goal_rows is None else goal_rows
        problems = torch.arange(batch, device=states.device)[:, None]
        at_goal = (problems, rows.to(states.device).long()[:, None], torch.tensor(columns, device=states.device))
        mask[at_goal] = True
        values[at_goal] = normalized[:, fixed]
    return Conditions(mask, values)
