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


def add_batch(parser, what: str, default_workers: str = "the cores, at most 4") -> None:
    """``--workers``, ``--scheduler`` and ``--retries``: how a batch runs on Dask (:mod:`atlas.batch`)."""
    from ..batch import CONNECT_TIMEOUT_S, DEFAULT_RETRIES

    parser.add_argument("--workers", type=int, metavar="N",
                        help=f"{what}: worker processes of the local Dask cluster (default: {default_workers})")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help=f"{what}: run on an existing Dask cluster, e.g. tcp://HOST:8786 "
                             f"(given up after {CONNECT_TIMEOUT_S} s)")
    parser.add_argument("--retries", type=int, default=DEFAULT_RETRIES, metavar="N",
                        help=f"{what}: tries again of a task that fails (default {DEFAULT_RETRIES})")


def print_failures(failed: dict, what: str) -> int:
    """Print each failed task with its error to standard error; return the exit status (2 if any failed)."""
    import sys

    for key, error in failed.items():
        print(f"  failed: {key}: {error}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} {what} failed (listed above); the others were done.", file=sys.stderr)
    return 2 if failed else 0
