#!/usr/bin/env python3
"""Download every file the atlas reads from its official publisher into a source directory.

The same as ``atlas fetch``; see README "Getting the data".

    python scripts/fetch_sources.py --out ~/atlas-data --la E06000032
"""

import sys

from atlas.cli import main

if __name__ == "__main__":
    sys.exit(main(["fetch", *sys.argv[1:]]))
