"""What every training subcommand shares: the config argument, overrides, the run folder and its record,
and training a learner with the shared trainer while recording the run."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from accelerate import Accelerator

from diffplan.config import config_path, load_config, save_config, to_dict
from diffplan.errors import UserError
from diffplan.tracking import ExperimentLog
from diffplan.training.checkpoint import list_checkpoints
from diffplan.training.learner import Learner
from diffplan.training.trainer import Trainer

ConfigT = TypeVar("ConfigT")


def add_run_arguments(parser: argparse.ArgumentParser, default_config: str) -> None:
    """``<config> [key=value ...] [--run-dir DIR] [--resume]``."""
    parser.add_argument("config", nargs="?", default=default_config,
                        help="YAML config: a path, or the name of a bundled config (in diffplan/configs/, e.g. "
                             "prior-pointmaze-umaze)")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="config overrides with dotted keys, e.g. trainer.steps=2000 data.horizon=64 "
                             "(default: none)")
    parser.add_argument("--run-dir", default=None,
                        help="folder of this run: config, checkpoints, logs (default: the config's run_dir)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in the run folder from its newest valid checkpoint")


def load_run_config(cls: type[ConfigT], args: argparse.Namespace) -> tuple[ConfigT, Path]:
    """The run's config (file + overrides) and its run folder; the config is saved as ``config.yaml``."""
    config = load_config(cls, config_path(args.config), args.overrides)
    run_dir = Path(args.run_dir or config.run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise UserError(f"run folder '{run_dir}' is a file; choose another --run-dir")
    return config, run_dir


def record_config(config: object, run_dir: Path) -> None:
    """Write the config of the run next to its outputs."""
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(config, run_dir / "config.yaml")


def fit_and_record(
    learner: Learner,
    sample_batch: Callable[[int], Any],
    config: Any,
    run_dir: Path,
    accelerator: Accelerator,
    job_type: str,
    resume: bool = False,
    progress: bool = True,
) -> tuple[Trainer, dict[str, float]]:
    """Train ``learner`` with the shared trainer and record the run: config, wandb run, checkpoint artifact.

    ``config`` is the run's dataclass config, with ``trainer`` and ``tracking`` sections.
    """
    run_config = to_dict(config)
    trainer = Trainer(learner, sample_batch, config.trainer, run_dir, accelerator, run_config=run_config,
                      progress=progress)
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
