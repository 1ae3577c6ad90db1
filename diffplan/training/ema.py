"""Exponential moving average of a module's weights, the weights used for sampling."""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """``ema ← decay · ema + (1 − decay) · weights`` on floating-point parameters and buffers.

    Until ``start`` steps the average is a copy of the weights (Diffuser's warm-up), afterwards it is
    updated every ``every`` steps.
    """

    def __init__(self, module: nn.Module, decay: float, every: int = 1, start: int = 0):
        self.decay = decay
        self.every = max(1, every)
        self.start = start
        self.module = copy.deepcopy(module).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, module: nn.Module, step: int) -> None:
        """Fold the current weights of ``module`` in, according to the schedule at ``step``."""
        if step % self.every:
            return
        source = module.state_dict()
        for name, average in self.module.state_dict().items():
            current = source[name]
            if step < self.start or not average.is_floating_point():
                average.copy_(current)
            else:
                average.lerp_(current, 1.0 - self.decay)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.module.load_state_dict(state)
