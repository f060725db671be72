"""The options several commands share, each with one meaning everywhere.

* ``--la CODE``: the authority (a district code, e.g. E06000032 for Luton).
* ``--source DIR``: the source directory of official files.
* ``--atlas-dir DIR``: the folder of built atlases (``output/atlas`` by default).
* ``--out PATH``: what the command writes (a file, or a folder for batch output).
"""

from __future__ import annotations

from .. import config


def add_la(parser, required: bool = True, help_text: str | None = None) -> None:
    """``--la CODE``: the authority."""
    parser.add_argument("--la", required=required, metavar="CODE",
                        help=help_text or "district code, e.g. E06000032 for Luton")


def add_source(parser) -> None:
    """``--source DIR``: the source directory of official files."""
    parser.add_argument("--source", metavar="DIR",
                        help=f"source directory of official files (default: ${config.SOURCE_ENV}, "
                             "else ../shared/data from the current folder)")


def add_atlas_dir(parser, *aliases: str) -> None:
    """``--atlas-dir DIR``: the folder of built atlases (``aliases``: older spellings kept working)."""
    parser.add_argument("--atlas-dir", *aliases, dest="atlas_dir", metavar="DIR",
                        help=f"folder of built atlases (default: ${config.OUT_ENV}/atlas, else output/atlas)")
