"""The ``atlas`` command line: one module per command, the parser built here.

Each command module has ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args)`` returning the exit status; :data:`COMMANDS` lists them in the
order ``atlas --help`` shows. Options shared by several commands come from
:mod:`atlas.cli.options`, so ``--la``, ``--source``, ``--atlas-dir`` and
``--out`` mean the same everywhere. Nothing in the library imports this
package.

Errors the atlas anticipates (:class:`atlas.errors.AtlasError`, and the
operating-system and parser errors :func:`atlas.errors.as_atlas_error` maps to
it, naming the path) are printed as one clear message and exit with status 2,
never as a traceback.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import as_atlas_error, one_line
from . import app, areas, build, districts, export, fetch, imports, profile, stats

#: Sub-commands in the order of ``atlas --help``: name -> module (HELP, add_arguments, run).
COMMANDS = {
    "build": build, "districts": districts, "app": app, "stats": stats, "export": export,
    "profile": profile, "import": imports, "areas": areas, "fetch": fetch,
}


def make_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(prog="atlas", description="Health Equity Atlas: health inequalities "
                                     "for English local authorities, from the official files.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module in COMMANDS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.HELP))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Parameters
    ----------
    argv : list of str, optional
        The arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status: 0 done, 2 an error of the atlas's (message on standard error), 130 interrupted.
    """
    args = make_parser().parse_args(argv)
    try:
        return COMMANDS[args.command].run(args)
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130
    except Exception as exc:
        error = as_atlas_error(exc)
        if error is None:
            raise
        print(f"atlas {args.command}: error: {one_line(error)}", file=sys.stderr)
        return 2
