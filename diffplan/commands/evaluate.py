"""``diffplan evaluate``: run a trained actor (a prior's planner, an RL policy) in the dataset's eval environment."""

from __future__ import annotations

import argparse
import json

from diffplan.config import load_config
from diffplan.evaluation.checkpoint_evaluation import EvaluationConfig, evaluate_checkpoint


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", help="a train-prior or train-rl run folder (its newest checkpoint), "
                                           "checkpoint (.pt) or export; a prior is evaluated through its planner")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="evaluation overrides, e.g. episodes=20 planner.posterior.num_steps=10 "
                             "planner.replan_every=32 (default: none)")
    parser.add_argument("--config", default=None, help="YAML file with an evaluation config (default: none)")


def run(args: argparse.Namespace) -> dict:
    config = load_config(EvaluationConfig, args.config, args.overrides)
    metrics = evaluate_checkpoint(args.checkpoint, config)
    print(json.dumps(metrics, indent=2))
    return metrics
