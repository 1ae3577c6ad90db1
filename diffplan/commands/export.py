"""``diffplan export``: a trained model as a self-contained folder (safetensors weights, JSON config and
metadata, a model card), loadable with ``diffplan.from_pretrained`` and pushable to the Hugging Face Hub."""

from __future__ import annotations

import argparse
import json

from diffplan.training.trained_state import export_trained


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="run",
                        help="a run folder (its newest valid checkpoint), a checkpoint (.pt) or an export")
    parser.add_argument("folder", help="the folder to write (new, or empty)")


def run(args: argparse.Namespace) -> dict:
    folder = export_trained(args.source, args.folder)
    summary = {"exported": str(folder), "files": sorted(p.name for p in folder.iterdir())}
    print(json.dumps(summary, indent=2))
    return summary
