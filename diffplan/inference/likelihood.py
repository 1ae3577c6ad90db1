"""The likelihood p(O | x) of control as inference, seen by every posterior sampler.

``log p(O | x) = (sum_h r(s_h, a_h) + V(s_H)) / alpha`` for a window x (B, H, D) of normalised rows
``[a, s]``. A likelihood is also asked at noise level t (a training timestep): a return model J(x_t, t)
trained on noisy windows uses t; a reward of clean states ignores it, and the sampler decides whether it
sees x_t or the denoiser's estimate of x0 (``through_denoiser``). Every implementation is differentiable
in x, and owns its temperature ``alpha``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from torch import Tensor


@runtime_checkable
class Likelihood(Protocol):
    """What a sampler needs from a reward source."""

    def log_likelihood(self, x: Tensor, t: Tensor) -> Tensor:
        """x: (B, H, D) normalised windows, t: (B,) long noise level -> log p(O | x) (B,), differentiable in x."""
        ...
