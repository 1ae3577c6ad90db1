"""``diffplan train-value``: train the return model J(x_t, t) that guides and ranks plans."""

from __future__ import annotations

import argparse
import json

from diffplan.commands.run_setup import add_run_arguments, load_run_config
from diffplan.inference.value_config import ValueConfig
from diffplan.inference.value_training import train_value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_config="value-pointmaze-umaze")


def run(args: argparse.Namespace) -> dict:
    config, run_dir = load_run_config(ValueConfig, args)
    result = train_value(config, run_dir, resume=args.resume)
    print(json.dumps(result, indent=2))
    return result
