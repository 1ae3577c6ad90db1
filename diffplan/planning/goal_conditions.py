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
) -> Conditions:
    """Constraints for plans starting at ``states`` and, with ``goals``, ending at them.

    Args:
        states: ``(B, S)`` current states in environment units.
        normalizer: the prior's row normaliser (``[a, s]``).
        goals: ``(B, G)`` goals in environment units, written into ``goal_state_dims`` of the last row;
            ``rest_at_goal_dims`` of the last row are fixed to 0 (in environment units).

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
        mask[:, -1, columns] = True
        values[:, -1, columns] = normalized[:, fixed]
    return Conditions(mask, values)
