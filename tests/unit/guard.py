"""The guard of the unit suite: while a unit test runs, nothing under the real source directory can be read.

An audit hook (installed once per process by ``conftest.py``) refuses to open,
list, glob or copy anything under the real source directory as the session
found it (``$ATLAS_SOURCE_DIR``, ``../shared/data`` from the current folder, or
beside the checkout). It is active only while a unit test runs, so the
integration tests of the same session are untouched. Files that GDAL opens in
C are not seen by it; ``ATLAS_SOURCE_DIR`` pointing nowhere still stops those.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from atlas import config

PROJECT = Path(__file__).resolve().parents[2]
#: What unit tests set ATLAS_SOURCE_DIR to: a folder that does not exist.
NO_SOURCE = PROJECT / "tests" / "unit" / "no-source-directory-in-unit-tests"
#: Audit events that read a file or folder, their first argument the path.
WATCHED = frozenset({"open", "os.listdir", "os.scandir", "glob.glob", "shutil.copyfile", "shutil.copytree"})


class RealSourceUsed(RuntimeError):
    """A unit test reached for the real source directory."""


def real_source_roots() -> tuple[str, ...]:
    """The real source directory, as absolute and as resolved paths (those that exist)."""
    candidates = [PROJECT.parent / "shared" / "data", Path.cwd() / config.DEFAULT_SOURCE]
    if os.environ.get(config.SOURCE_ENV):
        candidates.append(Path(os.environ[config.SOURCE_ENV]))
    roots = set()
    for path in candidates:
        if path.is_dir():
            roots.update({os.path.abspath(path), os.path.realpath(path)})
    return tuple(sorted(roots))


STATE = {"active": False, "roots": real_source_roots(), "installed": False}


def _audit(event: str, args: tuple) -> None:
    if not STATE["active"] or event not in WATCHED or not args:
        return
    target = args[0]
    if target is None or isinstance(target, int):
        return
    try:
        text = os.path.abspath(os.fsdecode(target))
    except TypeError:
        return
    for root in STATE["roots"]:
        if text == root or text.startswith(root + os.sep):
            raise RealSourceUsed(f"a unit test reached for the real source directory ({event} {text}); "
                                 "unit tests make their data themselves (tmp_path); real files belong in "
                                 "tests/integration")


def install() -> None:
    """Add the audit hook (once per process: audit hooks cannot be removed)."""
    if not STATE["installed"]:
        sys.addaudithook(_audit)
        STATE["installed"] = True
