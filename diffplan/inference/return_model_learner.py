"""The return model J(x_t, t) as a learner of the shared trainer.

Each step draws windows x0 with their discounted return-to-go R (from the window's first step), a
timestep t uniform over the prior's training schedule and noise eps, forms
``x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps`` with the same inpainted entries as the prior (start state,
and goal with ``inpaint_goal``), and regresses the standardised return with the asymmetric squared loss
``2 |tau - 1[R < J]| ((J(x_t, t) - R) / scale)^2``: the plain squared error at tau = 0.5 (J the mean
return-to-go), an upper expectile above it.
"""

from __future__ import annotations

from typing import Any

import torch
from einops import rearrange
from torch import Tensor

from diffplan.data.trajectory_buffer import TrajectoryWindows
from diffplan.inference.return_model import ReturnModel
from diffplan.prior.inpainting import Conditions
from diffplan.rl.critics import expectile_loss
from diffplan.training.learner import Learner, Optimize


class ReturnModelLearner(Learner):
    """Trains a :class:`ReturnModel` on noisy dataset windows.

    Args:
        model: the return model (its return statistics already set).
        alphas_cumprod: (T,) abar_t of the prior's training schedule.
        action_dim: A (the inpainted start state is the observation part of row 0).
        inpaint_goal: also inpaint the window's last real state, as the prior does for mazes.
        data_metadata: saved with checkpoints (normaliser, layout, sizes).
        expectile: tau of the loss (0.5: the squared error).
    """

    def __init__(self, model: ReturnModel, alphas_cumprod: Tensor, action_dim: int, inpaint_goal: bool,
                 data_metadata: dict[str, Any], expectile: float = 0.5) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("alphas_cumprod", alphas_cumprod.clone().float(), persistent=False)
        self.action_dim = action_dim
        self.inpaint_goal = inpaint_goal
        self.data_metadata = data_metadata
        self.expectile = expectile

    def training_step(self, batch: TrajectoryWindows, step: int, optimize: Optimize) -> dict[str, float]:
        """One regression step on windows ``batch.x`` (B, H, D) and returns ``batch.returns`` (B,)."""
        x0 = batch.x
        t = torch.randint(0, self.alphas_cumprod.shape[0], (x0.shape[0],), device=x0.device)
        a = rearrange(self.alphas_cumprod[t], "b -> b 1 1")
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn_like(x0)
        x_t = Conditions.from_windows(x0, self.action_dim, batch.mask, goal=self.inpaint_goal).apply(x_t)
        target = (batch.returns.to(x0.dtype) - self.model.return_shift) / self.model.return_scale
        loss = 2.0 * expectile_loss(target - self.model.standardised(x_t, t), self.expectile)
        optimize("model", loss)
        return {"loss": loss.item()}

    def metadata(self) -> dict[str, Any]:
        return {"inpaint_goal": self.inpaint_goal, **self.data_metadata}
