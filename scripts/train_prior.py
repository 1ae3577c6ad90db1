"""Train the diffusion prior p(tau); the same as ``diffplan train-prior`` (run with ``--help`` for the options)."""

import sys

from diffplan.cli import main

sys.exit(main(["train-prior", *sys.argv[1:]]))
