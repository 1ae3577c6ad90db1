"""Collect a Minari dataset; the same as ``diffplan collect`` (run with ``--help`` for the options)."""

import sys

from diffplan.cli import main

if __name__ == "__main__":
    sys.exit(main(["collect", *sys.argv[1:]]))
