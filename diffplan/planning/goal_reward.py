"""A known reward for goal reaching: r(s) = exp(−‖position(s) − goal‖), PointMaze's dense reward."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def goal_distance_reward(goals: torch.Tensor, position_dims: Sequence[int]):
    """The reward function ``(states (N, H, S), actions (N, H, A)) -> (N, H)`` for goals ``(B, G)``.

    Candidates of one problem are laid out consecutively (N = B · K), as the posterior sampler repeats them.
    """
    dims = list(position_dims)

    def reward(states: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        repeats = states.shape[0] // goals.shape[0]
        target = goals.to(states.dtype).repeat_interleave(repeats, dim=0)[:, None, :]
        return torch.exp(-(states[..., dims] - target).norm(dim=-1))

    return reward
