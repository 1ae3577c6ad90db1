"""What the trainer trains: a module that names its optimiser groups and computes its losses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

# optimize(group, loss) back-propagates ``loss`` and steps the optimiser of ``group``; returns the
# gradient norm before clipping.
Optimize = Callable[[str, torch.Tensor], float]


class Learner(nn.Module):
    """Base of every trained model (diffusion prior, return model, reward, actor-critic, ...).

    A learner holds its networks and data-independent state. The trainer owns the loop: it draws a batch,
    calls :meth:`training_step` with an ``optimize`` function, and takes care of optimisers, gradient
    clipping, learning-rate schedules, EMA, logging, evaluation, checkpoints and multi-process gradient
    averaging. Learners with several objectives (actor, critics, temperature) call ``optimize`` once per
    objective, in the order their algorithm prescribes.
    """

    def optimizer_groups(self) -> dict[str, Iterable[nn.Parameter]]:
        """Parameters of each optimiser; one group over all parameters by default."""
        return {"model": self.parameters()}

    def networks(self) -> list[nn.Module]:
        """The networks ``trainer.compile`` compiles in place: those whose forward the losses call."""
        return []

    def learning_rate_scale(self, group: str) -> float:
        """Factor on the trainer's learning rate for ``group`` (1 by default)."""
        return 1.0

    def training_step(self, batch: Any, step: int, optimize: Optimize) -> dict[str, float]:
        """One update from ``batch``; returns scalars to log (losses, estimates)."""
        raise NotImplementedError

    def metadata(self) -> dict[str, Any]:
        """Plain data saved with checkpoints to rebuild the learner (sizes, normaliser, layout)."""
        return {}
