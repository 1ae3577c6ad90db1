"""``diffplan quickstart``: the embedded default, PointMaze U-Maze end to end on CPU.

It collects a U-Maze dataset with the D4RL recipe when it is not there, trains a small prior, plans to
random goals of the evaluation environment with start and goal inpainted, and writes the run folder
(metrics.json, plans.png, learning_curves.png, wandb offline run). It is ``diffplan pipeline quickstart``.
"""

from __future__ import annotations

import argparse

from diffplan.commands import pipeline


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="overrides of the bundled quickstart config, e.g. prior.trainer.steps=2000 "
                             "evaluation.episodes=5 (default: none)")
    parser.add_argument("--run-dir", default=None, help="run folder (default: runs/quickstart)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted quickstart")


def run(args: argparse.Namespace) -> dict:
    args.config = "quickstart"
    return pipeline.run(args)
