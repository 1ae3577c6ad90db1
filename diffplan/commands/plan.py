"""``diffplan plan``: draw plans from the posterior p(tau | O) of a trained prior for given starts and goals.

Start states (and goals) come from ``--start``/``--goal``, or from resets of the dataset's evaluation
environment. The command writes ``plans.npz`` and ``plans.json`` (plans in environment units, their
log-likelihoods, the candidates' weights and, for SMC, the ESS trace) and, for mazes, ``plans.png``.
"""

from __future__ import annotations

import argparse
import json

from diffplan.config import load_config
from diffplan.planning.plan_files import PlanConfig, plan_checkpoint


def vector(text: str) -> list[float]:
    """``"x,y,..."`` → floats (an argparse type)."""
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of numbers, e.g. 1.0,-0.5"
                                         ) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint",
                        help="a train-prior run folder (its newest checkpoint), a checkpoint (.pt) or an export")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="plan config overrides, e.g. planner.reward=goal_distance planner.posterior.method=smc "
                             "planner.posterior.particles=16 output_dir=plans (default: none)")
    parser.add_argument("--config", default=None, help="YAML file with a plan config (default: none)")
    parser.add_argument("--start", type=vector, action="append", default=None, metavar="X,Y,...",
                        help="a start state in environment units, the prior's full state; repeat for several "
                             "problems; write --start=-1,... when it begins with a minus (default: starts of "
                             "eval-env resets)")
    parser.add_argument("--goal", type=vector, action="append", default=None, metavar="X,Y,...",
                        help="a goal (planner.goal_state_dims of the state), one per --start or one for all "
                             "(default: the goals of the eval-env resets; none with --start)")
    parser.add_argument("--seed", type=int, default=0,
                        help="without --start: seed of the first eval-env reset (reset k uses seed + k)")
    parser.add_argument("--resets", type=int, default=1,
                        help="without --start: eval-env resets, one planning problem each")
    parser.add_argument("--num-plans", type=int, default=4,
                        help="plans per problem, each from its own sampler run: posterior draws with "
                             "planner.posterior.select=draw (the default) and method smc or importance (guided: "
                             "approximate draws); select=most_likely, mean, elite_mean or elite_mode, and method "
                             "best_of_n, optimise instead of sampling")


def run(args: argparse.Namespace) -> dict:
    config = load_config(PlanConfig, args.config, args.overrides)
    summary = plan_checkpoint(args.checkpoint, config, args.start, args.goal, args.seed, args.resets, args.num_plans)
    print(json.dumps(summary, indent=2))
    return summary
