"""A training run as every trainer records it: its config next to its checkpoints, a wandb run, the last
checkpoint as a model artifact."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from accelerate import Accelerator
from torch import nn

from diffplan.config import save_config, to_dict
from diffplan.tracking import ExperimentLog
from diffplan.training.checkpoint import list_checkpoints
from diffplan.training.learner import Learner
from diffplan.training.trainer import Trainer


def record_config(config: object, run_dir: str | Path) -> None:
    """Write the config of the run next to its outputs."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(config, run_dir / "config.yaml")


def fit_and_record(
    learner: Learner,
    sample_batch: Callable[[int], Any],
    config: Any,
    run_dir: str | Path,
    accelerator: Accelerator,
    job_type: str,
    resume: bool = False,
    progress: bool = True,
    evaluate: Callable[[nn.Module, int], dict[str, float]] | None = None,
) -> tuple[Trainer, dict[str, float]]:
    """Train ``learner`` with the shared trainer and record the run: config, wandb run, checkpoint artifact.

    ``config`` is the run's dataclass config, with ``trainer`` and ``tracking`` sections; ``evaluate`` is the
    trainer's evaluation hook.
    """
    run_dir = Path(run_dir)
    run_config = to_dict(config)
    trainer = Trainer(learner, sample_batch, config.trainer, run_dir, accelerator, run_config=run_config,
                      progress=progress, evaluate=evaluate)
    # bad trainer settings, an existing run without --resume and a checkpoint that does not fit fail here,
    # before the run folder is written to
    trainer.resume_or_start(resume)
    if accelerator.is_main_process:
        record_config(config, run_dir)
    experiment = ExperimentLog(config.tracking, run_dir, job_type, run_config, active=accelerator.is_main_process)
    trainer.experiment = experiment
    try:
        metrics = trainer.fit(resume=resume)
        checkpoints = list_checkpoints(trainer.checkpoint_dir)
        if checkpoints:
            experiment.log_artifact(checkpoints[-1], name=f"{job_type}-{run_dir.name}", kind="model")
        experiment.summary(metrics)
    finally:
        experiment.finish()
    return trainer, metrics
