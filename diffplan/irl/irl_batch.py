"""Batches of the offline IRL learners: demonstration windows next to windows of the behaviour distribution.

Both kinds of window are expressed in one normalisation, the reward's (fit on the unlabelled dataset, as the
prior's is): demonstration windows, packed with their own normaliser, are mapped back to environment units
and normalised again. A window source is any ``sample(n) -> (x (n, H, D), mask (n, H))``: dataset windows
(:func:`buffer_windows`) or a pool of prior samples (:mod:`diffplan.irl.prior_windows`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from einops import rearrange
from torch import Tensor

from diffplan.data.normalizer import AffineNormalizer
from diffplan.data.trajectory_buffer import TrajectoryBuffer

WindowSource = Callable[[int], tuple[Tensor, Tensor]]
"""``sample(n) -> (x (n, H, A + S) normalised rows, mask (n, H) real steps)``."""


@dataclass
class IRLBatch:
    """Demonstration and background windows in the reward's normalisation.

    Attributes:
        demo_x: ``(Bd, H, A + S)``; demo_mask: ``(Bd, H)`` real steps.
        background_x: ``(B, H, A + S)`` windows of p(tau) (dataset or prior); background_mask: ``(B, H)``.
    """

    demo_x: Tensor
    demo_mask: Tensor
    background_x: Tensor
    background_mask: Tensor


def renormalise(x: Tensor, mask: Tensor, source: AffineNormalizer, target: AffineNormalizer) -> Tensor:
    """Windows ``x (B, H, D)`` normalised by ``source`` → normalised by ``target``; padding stays 0."""
    return target.normalize(source.unnormalize(x)) * rearrange(mask, "b h -> b h 1").to(x.dtype)


def buffer_windows(buffer: TrajectoryBuffer, normalizer: AffineNormalizer) -> WindowSource:
    """Uniform windows of ``buffer``, renormalised to ``normalizer`` (the identity for the buffer's own)."""
    same = normalizer is buffer.normalizer

    def sample(n: int) -> tuple[Tensor, Tensor]:
        windows = buffer.sample(n)
        x = windows.x if same else renormalise(windows.x, windows.mask, buffer.normalizer, normalizer)
        return x, windows.mask

    return sample


def irl_batches(demonstrations: WindowSource, background: WindowSource, demo_batch_size: int
                ) -> Callable[[int], IRLBatch]:
    """The trainer's ``sample_batch(batch_size)``: ``demo_batch_size`` demonstration windows and
    ``batch_size`` background windows."""

    def sample(batch_size: int) -> IRLBatch:
        demo_x, demo_mask = demonstrations(demo_batch_size)
        background_x, background_mask = background(batch_size)
        return IRLBatch(demo_x, demo_mask, background_x, background_mask)

    return sample
