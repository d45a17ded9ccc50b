"""``python -m snippets``: the command line of the MNIST MLP system (see snippets/cli.py)."""

import sys

from snippets.cli import main

sys.exit(main())
