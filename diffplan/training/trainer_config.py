"""Configuration of the trainer shared by every learner."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass
class TrainerConfig:
    """Optimisation and bookkeeping of a training run.

    Attributes:
        steps: gradient steps in total.
        batch_size: samples per step and per process.
        learning_rate: peak learning rate of every optimiser (a learner may scale it per group).
        weight_decay: AdamW weight decay.
        lr_schedule: ``constant``, ``cosine`` (to 0) or ``linear`` (to 0), after ``warmup_steps``.
        warmup_steps: linear warm-up from 0.
        grad_clip: clip the gradient norm of each optimiser to this value; 0 = no clipping.
        ema_decay: decay of the exponential moving average of the weights (used for sampling); 0 = none.
        ema_every: update the EMA every this many steps.
        ema_start: copy the weights into the EMA until this step, average afterwards.
        log_every: log scalars every this many steps.
        eval_every: run the evaluation hook every this many steps; 0 = only at the end.
        checkpoint_every: write a checkpoint every this many steps (and at the end).
        keep_checkpoints: keep this many newest checkpoints; 0 = all.
        seed: seed of all randomness; step k of process r draws from a generator seeded by (seed, r, k),
            so a resumed run draws what an uninterrupted one would.
        deterministic: use deterministic torch algorithms (bit-exact resumption on CPU).
        mixed_precision: ``no``; ``bf16`` autocast (CPU and GPUs with bf16); ``fp16`` autocast with Accelerate's
            gradient scaler (CUDA only: gradients unscaled before clipping, overflowing steps skipped).
        compile: compile the learner's networks (``Learner.networks``) in place with ``torch.compile``
            (checkpoint keys unchanged; the EMA copy used for sampling is not compiled).
    """

    steps: int = 10_000
    batch_size: int = 32
    learning_rate: float = 2e-4
    weight_decay: float = 0.0
    lr_schedule: Literal["constant", "cosine", "linear"] = "constant"
    warmup_steps: int = 0
    grad_clip: float = 1.0
    ema_decay: float = 0.995
    ema_every: int = 10
    ema_start: int = 1000
    log_every: int = 100
    eval_every: int = 0
    checkpoint_every: int = 1000
    keep_checkpoints: int = 2
    seed: int = 0
    deterministic: bool = False
    mixed_precision: Literal["no", "bf16", "fp16"] = "no"
    compile: bool = False
