"""The diffusion prior p(tau) as a learner of the shared trainer."""

from __future__ import annotations

from typing import Any

from diffplan.data.trajectory_buffer import TrajectoryWindows
from diffplan.prior.inpainting import Conditions
from diffplan.prior.trajectory_diffusion import TrajectoryDiffusion
from diffplan.training.learner import Learner, Optimize


class PriorLearner(Learner):
    """Trains a :class:`TrajectoryDiffusion` on dataset windows.

    The start state of each window is inpainted (and, with ``inpaint_goal``, the state of its last real
    step, as for goal-reaching in mazes); inpainted entries and padding are excluded from the loss.
    ``metadata`` holds what planning needs to use the model: normaliser, observation layout, sizes.
    """

    def __init__(self, diffusion: TrajectoryDiffusion, inpaint_goal: bool, data_metadata: dict[str, Any]):
        super().__init__()
        self.diffusion = diffusion
        self.inpaint_goal = inpaint_goal
        self.data_metadata = data_metadata

    def training_step(self, batch: TrajectoryWindows, step: int, optimize: Optimize) -> dict[str, float]:
        """One denoising-loss step on windows ``batch.x: (B, H, D)``."""
        action_dim = self.diffusion.config.action_dim
        conditions = Conditions.from_windows(batch.x, action_dim, batch.mask, goal=self.inpaint_goal)
        loss = self.diffusion.loss(batch.x, batch.mask, conditions)
        optimize("model", loss)
        return {"loss": loss.item()}

    def metadata(self) -> dict[str, Any]:
        return {"inpaint_goal": self.inpaint_goal, **self.data_metadata}
