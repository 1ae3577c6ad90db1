"""``diffplan train-return-model``: train the return model J(x_t, t) that guides and ranks plans."""

from __future__ import annotations

import argparse
import json

from diffplan.commands.run_setup import add_run_arguments, load_run_config
from diffplan.inference.return_model_run_config import ReturnModelRunConfig
from diffplan.inference.return_model_training import train_return_model


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_config="return-model-pointmaze-umaze")


def run(args: argparse.Namespace) -> dict:
    config, run_dir = load_run_config(ReturnModelRunConfig, args)
    result = train_return_model(config, run_dir, resume=args.resume)
    print(json.dumps(result, indent=2))
    return result
