"""``diffplan train-reward``: learn a reward r_phi from demonstrations and unlabelled data (offline IRL).

The run folder gets ``config.yaml``, ``checkpoints/step_*.pt`` (r_phi with the data's normaliser and layout;
``diffplan.irl.reward_checkpoint.load_reward`` rebuilds it, and ``planner.reward=learned_reward
planner.reward_model=<run folder>`` guides plans by it), ``metrics.jsonl`` and the wandb run. With
``relabel.target`` it also writes a copy of the data whose rewards are r_phi.
"""

from __future__ import annotations

import argparse
import json

from diffplan.commands.run_setup import add_run_arguments, load_run_config
from diffplan.irl.reward_config import RewardConfig
from diffplan.irl.reward_training import train_reward


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser, default_config="reward-pointmaze-umaze")


def run(args: argparse.Namespace) -> dict:
    config, run_dir = load_run_config(RewardConfig, args)
    result = train_reward(config, run_dir, resume=args.resume)
    print(json.dumps(result, indent=2))
    return result
