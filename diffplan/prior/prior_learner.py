"""The diffusion prior p(tau) as a learner of the shared trainer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from diffplan.data.trajectory_buffer import TrajectoryWindows
from diffplan.prior.goal_condition import goal_row_states
from diffplan.prior.inpainting import Conditions, last_real_rows
from diffplan.prior.inverse_dynamics import InverseDynamics
from diffplan.prior.trajectory_diffusion import TrajectoryDiffusion
from diffplan.training.learner import Learner, Optimize


class PriorLearner(Learner):
    """Trains a :class:`TrajectoryDiffusion` on dataset windows.

    The start state of each window is inpainted (and, with ``inpaint_goal``, the state of its last real
    step, as for goal-reaching in mazes); inpainted entries and padding are excluded from the loss.
    ``metadata`` holds what planning needs to use the model: normaliser, observation layout, sizes.
    An optional ``inverse_dynamics`` model a_t = f(s_t, s_{t+1}) is trained on the same windows with its
    own optimiser group.
    """

    def __init__(self, diffusion: TrajectoryDiffusion, inpaint_goal: bool, data_metadata: dict[str, Any],
                 inverse_dynamics: InverseDynamics | None = None, inverse_dynamics_weight: float = 1.0,
                 goal_condition_dims: Sequence[int] = ()):
        super().__init__()
        self.diffusion = diffusion
        self.inpaint_goal = inpaint_goal
        self.goal_condition_dims = list(goal_condition_dims)
        self.data_metadata = data_metadata
        self.inverse_dynamics = inverse_dynamics
        self.inverse_dynamics_weight = inverse_dynamics_weight

    def optimizer_groups(self) -> dict[str, Any]:
        groups: dict[str, Any] = {"model": self.diffusion.parameters()}
        if self.inverse_dynamics is not None:
            groups["inverse_dynamics"] = self.inverse_dynamics.parameters()
        return groups

    def networks(self) -> list[nn.Module]:
        return [self.diffusion.backbone]

    def training_step(self, batch: TrajectoryWindows, step: int, optimize: Optimize) -> dict[str, float]:
        """One denoising-loss step on windows ``batch.x: (B, H, D)``."""
        action_dim = self.diffusion.config.action_dim
        conditions = Conditions.from_windows(batch.x, action_dim, batch.mask, goal=self.inpaint_goal)
        condition = goal_row_states(batch.x, last_real_rows(batch.x, batch.mask), action_dim,
                                    self.goal_condition_dims) if self.goal_condition_dims else None
        loss = self.diffusion.loss(batch.x, batch.mask, conditions, condition)
        optimize("model", loss)
        metrics = {"loss": loss.item()}
        if self.inverse_dynamics is not None:
            dynamics_loss = self.inverse_dynamics.loss(batch.x, batch.mask, action_dim)
            optimize("inverse_dynamics", self.inverse_dynamics_weight * dynamics_loss)
            metrics["inverse_dynamics_loss"] = dynamics_loss.item()
        return metrics

    def metadata(self) -> dict[str, Any]:
        return {"inpaint_goal": self.inpaint_goal, **self.data_metadata}
