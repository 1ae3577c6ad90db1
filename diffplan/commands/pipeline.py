"""``diffplan pipeline``: collect → train the prior → plan and evaluate, each stage skipped when done."""

from __future__ import annotations

import argparse
import json

from diffplan.commands.run_setup import add_run_arguments, load_run_config
from diffplan.pipeline import PipelineConfig, run_pipeline


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_config="quickstart")


def run(args: argparse.Namespace) -> dict:
    config, run_dir = load_run_config(PipelineConfig, args)
    summary = run_pipeline(config, run_dir, resume=args.resume)
    print(json.dumps(summary, indent=2))
    return summary
