"""Evaluate the planner of a trained prior; the same as ``diffplan evaluate`` (run with ``--help`` for the options)."""

import sys

from diffplan.cli import main

sys.exit(main(["evaluate", *sys.argv[1:]]))
