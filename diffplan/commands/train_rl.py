"""``diffplan train-rl``: behaviour-prior offline RL (KL-regularised SAC or AWR/AWAC) on a Minari dataset."""

from __future__ import annotations

import argparse
import json
from typing import Any

from diffplan.commands.run_setup import add_run_arguments, load_run_config
from diffplan.rl.rl_config import RLRunConfig
from diffplan.rl.rl_training import train_rl


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_config="rl-pendulum-medium")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> dict[str, Any]:
    config, run_dir = load_run_config(RLRunConfig, args)
    summary = train_rl(config, run_dir, resume=args.resume, progress=not args.no_progress)
    print(json.dumps(summary, indent=2))
    return summary
