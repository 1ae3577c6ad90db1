"""What every training subcommand shares: the config argument, overrides, the run folder and its record,
and training a learner with the shared trainer while recording the run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TypeVar

from diffplan.config import config_path, load_config
from diffplan.errors import UserError

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
