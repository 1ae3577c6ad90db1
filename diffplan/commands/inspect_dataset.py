"""``diffplan inspect``: open a Minari dataset, pack it as the trainers would, and print a summary."""

from __future__ import annotations

import argparse
import json

import minari

from diffplan.config import load_config
from diffplan.data.data_config import DataConfig
from diffplan.data.trajectory_buffer import TrajectoryBuffer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset_id", nargs="?", default=None,
                        help="Minari dataset id (default: data.dataset_id of the config, "
                             f"'{DataConfig.dataset_id}')")
    parser.add_argument("--config", default=None, help="YAML file with a data config (default: none)")
    parser.add_argument("overrides", nargs="*", metavar="key=value",
                        help="data config overrides, e.g. horizon=64 normalizer=limits (default: none)")


def run(args: argparse.Namespace) -> dict:
    overrides = list(args.overrides)
    if args.dataset_id is not None:
        overrides.append(f"dataset_id={args.dataset_id}")
    config = load_config(DataConfig, args.config, overrides)
    buffer = TrajectoryBuffer.from_config(config, progress=True)
    summary = buffer.describe()
    summary["observation_layout"] = buffer.layout.to_dict()
    metadata = minari.load_dataset(config.dataset_id).storage.metadata
    summary["ref_min_score"] = metadata.get("ref_min_score")
    summary["ref_max_score"] = metadata.get("ref_max_score")
    print(json.dumps(summary, indent=2))
    return summary
