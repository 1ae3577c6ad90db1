"""A small learner for trainer tests: an MLP regressing a fixed random function, with two optimisers."""

from __future__ import annotations

import torch
from torch import nn

from diffplan.training.learner import Learner, Optimize


class RegressionLearner(Learner):
    def __init__(self, fail_at: int = -1, nan_at: int = -1):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 32), nn.Mish(), nn.Linear(32, 32), nn.Mish())
        self.head = nn.Linear(32, 1)
        self.fail_at = fail_at
        self.nan_at = nan_at

    def optimizer_groups(self):
        return {"body": self.body.parameters(), "head": self.head.parameters()}

    def training_step(self, batch, step: int, optimize: Optimize) -> dict[str, float]:
        if step == self.fail_at:
            raise KeyboardInterrupt
        if step == self.nan_at:  # corrupt the batch itself, as bad data would
            batch["x"] = batch["x"] * float("nan")
        x, y = batch["x"], batch["y"]
        loss = (self.head(self.body(x)).squeeze(-1) - y).pow(2).mean()
        optimize("body", loss)
        head_loss = (self.head(self.body(x).detach()).squeeze(-1) - y).pow(2).mean()
        optimize("head", head_loss)
        return {"loss": loss.item()}


def sample_regression(batch_size: int) -> dict[str, torch.Tensor]:
    x = torch.randn(batch_size, 4)
    return {"x": x, "y": torch.sin(x.sum(-1)) + 0.1 * x[:, 0] ** 2}
