"""Per-dimension affine normalisers of trajectory rows, fit on real steps only.

Both of Diffuser's normalisers are affine maps ``z = (x - shift) / scale``:
``gaussian`` uses the mean and standard deviation, ``limits`` maps [min, max] onto [-1, 1]. Being affine,
they are exactly invertible and differentiable, which guidance needs to score unnormalised states.
"""

from __future__ import annotations

from typing import Literal

import torch

NormalizerKind = Literal["gaussian", "limits"]
NORMALIZER_KINDS: tuple[str, ...] = ("gaussian", "limits")

# A dimension with no spread (e.g. a constant) is left unscaled instead of divided by zero.
MIN_SCALE = 1e-6


class AffineNormalizer:
    """``normalize(x) = (x - shift) / scale`` per dimension; ``shift``, ``scale``: ``(D,)``."""

    def __init__(self, kind: NormalizerKind, shift: torch.Tensor, scale: torch.Tensor):
        self.kind = kind
        self.shift = shift
        self.scale = scale

    @staticmethod
    def fit(kind: NormalizerKind, x: torch.Tensor) -> AffineNormalizer:
        """Fit on real rows ``x: (N, D)`` (padding must not be passed in)."""
        if kind not in NORMALIZER_KINDS:
            raise ValueError(f"unknown normalizer {kind}")
        x = x.double()
        if kind == "gaussian":
            shift, scale = x.mean(0), x.std(0, correction=0)
        else:
            low, high = x.min(0).values, x.max(0).values
            shift, scale = (high + low) / 2, (high - low) / 2
        scale = torch.where(scale < MIN_SCALE, torch.ones_like(scale), scale)
        return AffineNormalizer(kind, shift.float(), scale.float())

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """``x: (..., D)`` → normalised ``(..., D)``."""
        return (x - self.shift) / self.scale

    def unnormalize(self, z: torch.Tensor) -> torch.Tensor:
        """Inverse of :meth:`normalize`, ``(..., D)``."""
        return z * self.scale + self.shift

    def select(self, dims: slice) -> AffineNormalizer:
        """The normaliser of a slice of the dimensions (e.g. the state part of a row)."""
        return AffineNormalizer(self.kind, self.shift[dims], self.scale[dims])

    def to(self, device: torch.device | str) -> AffineNormalizer:
        return AffineNormalizer(self.kind, self.shift.to(device), self.scale.to(device))

    def state_dict(self) -> dict:
        """Tensors and the kind, loadable with ``torch.load(weights_only=True)``."""
        return {"kind": self.kind, "shift": self.shift.cpu(), "scale": self.scale.cpu()}

    @staticmethod
    def from_state_dict(state: dict) -> AffineNormalizer:
        return AffineNormalizer(state["kind"], state["shift"], state["scale"])
