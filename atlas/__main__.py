"""``python -m atlas``: the ``atlas`` command line."""

import sys

from atlas.cli import main

sys.exit(main())
