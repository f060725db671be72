"""The ``atlas`` command line.

Each sub-command lives in a small function registered in ``COMMANDS``; errors
the atlas anticipates (:class:`atlas.errors.AtlasError`) are printed as one
clear message and exit with status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from . import config
from .errors import AtlasError

#: Sub-commands: name -> (function that adds its arguments, function that runs it).
COMMANDS: dict[str, tuple[Callable, Callable]] = {}


def command(name: str, help_text: str):
    """Register a sub-command: decorate the function that adds its arguments."""
    def wrap(add_arguments):
        def register(run):
            COMMANDS[name] = (help_text, add_arguments, run)
            return run
        return register
    return wrap


def _source_and_la(parser: argparse.ArgumentParser, la_required: bool = True) -> None:
    parser.add_argument("--la", required=la_required, metavar="CODE",
                        help="district code, e.g. E06000032 for Luton (E92000001 for all of England)")
    parser.add_argument("--source", metavar="DIR",
                        help=f"source directory of official files (default: ${config.SOURCE_ENV} or ../shared/data)")


def _add_build(parser):
    _source_and_la(parser)
    parser.add_argument("--out", metavar="DIR", help="folder for the GeoPackage (default: output/atlas)")


@command("build", "build an authority's atlas (one GeoPackage and a build report)")(_add_build)
def run_build(args) -> int:
    from .build import build
    atlas = build(args.la, source_dir=args.source, out_dir=args.out)
    report = atlas.report
    print(f"Built the atlas of {atlas.la_name} ({atlas.la_code}) in {report['seconds']} s: {atlas.path}")
    for geography, info in report["geographies"].items():
        if info["status"] == "built":
            n_layers = int((atlas.layers["geography"] == geography).sum())
            print(f"  {info['label']:<28} {info['areas']:>6} areas, {n_layers:>3} layers")
        else:
            print(f"  {info['label']:<28} not available ({info['reason']})")
    for point_set, info in report.get("points", {}).items():
        n_layers = int((atlas.layers["geography"] == f"points:{point_set}").sum())
        print(f"  {info['label']:<28} {info['matched']:>6} placed, {n_layers:>3} layers "
              f"({info['unmatched']} postcode(s) not found, {info['closed_excluded']} closed excluded)")
    unmatched = [e for e in report["layers"] if e.get("unmatched")]
    print(f"  layers with unmatched areas: {len(unmatched)}; warnings: {len(report['warnings'])}")
    for warning in report["warnings"]:
        print(f"  warning: {warning}")
    print(f"  report: {atlas.path.with_suffix('.report.json')}")
    return 0


def _add_districts(parser):
    parser.add_argument("--source", metavar="DIR", help="source directory of official files")


@command("districts", "list the districts the source directory has data for")(_add_districts)
def run_districts(args) -> int:
    from .build import list_districts
    table = list_districts(source_dir=args.source)
    print(table.to_string(index=False))
    return 0


def make_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered sub-command."""
    _load_command_modules()
    parser = argparse.ArgumentParser(prog="atlas", description="Health Equity Atlas: health inequalities "
                                     "for English local authorities, from the official files.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (help_text, add_arguments, _) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def _load_command_modules() -> None:
    """Import the modules that register further sub-commands (stats, export ...)."""
    import importlib
    for module in ("atlas.stats.cli", "atlas.export", "atlas.profiles", "atlas.importer",
                   "atlas.fetch"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not module.startswith(exc.name):
                raise


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = make_parser()
    args = parser.parse_args(argv)
    _, _, run = COMMANDS[args.command]
    try:
        return run(args)
    except AtlasError as exc:
        print(f"atlas {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
