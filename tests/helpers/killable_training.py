"""A small deterministic training run to kill: ``python -m helpers.killable_training RUN_DIR [--resume]``.

The kill tests run it as a subprocess and also import :func:`train` to make the uninterrupted reference run
and to finish interrupted ones in-process.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from diffplan.training.trainer import Trainer, make_accelerator
from diffplan.training.trainer_config import TrainerConfig
from helpers.regression_learner import RegressionLearner, sample_regression

# A checkpoint every other step (and pruning to the newest three), so kills often land inside a write.
CONFIG = TrainerConfig(steps=100, batch_size=32, learning_rate=3e-3, log_every=10, checkpoint_every=2, ema_start=5,
                       ema_every=1, ema_decay=0.9, deterministic=True, keep_checkpoints=3)


def train(run_dir: Path, resume: bool) -> Trainer:
    """Train to ``CONFIG.steps`` in ``run_dir`` (from the newest checkpoint with ``resume``)."""
    torch.manual_seed(0)
    trainer = Trainer(RegressionLearner(), sample_regression, CONFIG, run_dir, make_accelerator(CONFIG, "cpu"),
                      progress=False)
    trainer.fit(resume=resume)
    return trainer


if __name__ == "__main__":
    torch.set_num_threads(1)
    train(Path(sys.argv[1]), "--resume" in sys.argv[2:])
