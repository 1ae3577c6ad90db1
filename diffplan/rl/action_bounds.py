"""The affine map between an environment's Box action bounds and the unit box [-1, 1] of tanh policies.

diffplan's RL works on normalised states but on actions in the unit box: dataset actions are taken in the
dataset's own units (``TrajectoryBuffer.sample_transitions`` unnormalises them) and mapped by the action
*space* bounds, not by data statistics, so a policy's tanh output covers exactly the actions the
environment accepts (Pendulum's torque [-2, 2], PointMaze's force [-1, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np
import torch

from diffplan.errors import UserError


@dataclass(frozen=True)
class ActionBounds:
    """``low``, ``high``: ``(A,)`` finite bounds of a Box action space."""

    low: torch.Tensor
    high: torch.Tensor

    @staticmethod
    def from_space(space: gym.Space) -> ActionBounds:
        bounded = isinstance(space, gym.spaces.Box) and np.isfinite(space.low).all() and np.isfinite(space.high).all()
        if not bounded:
            raise UserError(f"action space {space} is not a bounded Box; tanh policies need finite action bounds")
        return ActionBounds(torch.as_tensor(space.low, dtype=torch.float32).reshape(-1),
                            torch.as_tensor(space.high, dtype=torch.float32).reshape(-1))

    def to(self, device: torch.device | str) -> ActionBounds:
        return ActionBounds(self.low.to(device), self.high.to(device))

    def to_unit(self, actions: torch.Tensor) -> torch.Tensor:
        """Actions ``(..., A)`` in the env's units → [-1, 1] (clamped)."""
        return (2.0 * (actions - self.low) / (self.high - self.low) - 1.0).clamp(-1.0, 1.0)

    def from_unit(self, unit: torch.Tensor) -> torch.Tensor:
        """Unit actions ``(..., A)`` → the env's units."""
        return self.low + (unit.clamp(-1.0, 1.0) + 1.0) * 0.5 * (self.high - self.low)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"low": self.low.cpu(), "high": self.high.cpu()}

    @staticmethod
    def from_state_dict(state: dict[str, torch.Tensor]) -> ActionBounds:
        return ActionBounds(state["low"], state["high"])
