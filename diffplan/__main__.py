"""``python -m diffplan`` runs the command line."""

import sys

from diffplan.cli import main

sys.exit(main())
