"""``atlas districts``: the districts the source directory has data for."""

from __future__ import annotations

from ..build import list_districts
from .options import add_source

HELP = "list the districts the source directory has data for"


def add_arguments(parser) -> None:
    """The options of ``atlas districts``."""
    add_source(parser)


def run(args) -> int:
    """Print one line per district."""
    print(list_districts(source_dir=args.source).to_string(index=False))
    return 0
