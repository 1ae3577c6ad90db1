"""Collect a Minari dataset; the same as ``diffplan collect`` (run with ``--help`` for the options)."""

import sys

from diffplan.cli import main

sys.exit(main(["collect", *sys.argv[1:]]))
