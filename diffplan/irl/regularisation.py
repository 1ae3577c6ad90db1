"""Regularisation of the reward scale, shared by the IRL objectives.

Max-ent IRL's likelihood is unbounded when demonstrations lie where the behaviour data rarely goes (the
reward there can grow without end); AIRL's discriminator likewise saturates. A penalty ``l2 · E[r²]`` over
every defined step of the batch keeps rewards O(1); weight decay (``trainer.weight_decay``) acts on phi.
"""

from __future__ import annotations

import torch
from torch import Tensor


def reward_l2(rewards: list[Tensor], valid: list[Tensor]) -> Tensor:
    """Mean squared reward over the valid steps of each ``(B, H)`` tensor (or ``(N,)``), pooled."""
    total = sum((r.square() * v.to(r.dtype)).sum() for r, v in zip(rewards, valid, strict=True))
    count = sum(v.sum() for v in valid)
    return total / torch.clamp(torch.as_tensor(count, dtype=rewards[0].dtype), min=1.0)
