"""``diffplan train-prior``: train the diffusion prior p(tau) on a Minari dataset."""

from __future__ import annotations

import argparse
import json

from diffplan.commands.run_setup import add_run_arguments, load_run_config
from diffplan.prior.prior_config import PriorConfig
from diffplan.prior.prior_training import train_prior


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_config="prior-pointmaze-umaze")


def run(args: argparse.Namespace) -> dict:
    config, run_dir = load_run_config(PriorConfig, args)
    result = train_prior(config, run_dir, resume=args.resume)
    print(json.dumps(result, indent=2))
    return result
