"""Unit tests: small synthetic data made in each test, never the real source directory.

Every unit test runs with ``ATLAS_SOURCE_DIR`` set to a folder that does not
exist (so code that looks the source directory up by its settings fails with
a :class:`~atlas.errors.SourceDirError`) and ``ATLAS_OUT_DIR`` set to the
test's own temporary folder (so nothing is written to ``output/``). Opening,
listing or globbing anything under the real source directory (as this session
found it: ``$ATLAS_SOURCE_DIR``, ``../shared/data`` from the current folder or
beside the checkout) fails too, through an audit hook that is active only
while a unit test runs (files GDAL opens in C are not seen by it; the settings
above still stop those). The session fixtures of ``tests/conftest.py`` that
build atlases from the real files are replaced by ones that fail.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from atlas import config

PROJECT = Path(__file__).resolve().parents[2]
#: What unit tests set ATLAS_SOURCE_DIR to: a folder that does not exist.
NO_SOURCE = PROJECT / "tests" / "unit" / "no-source-directory-in-unit-tests"


class RealSourceUsed(RuntimeError):
    """A unit test reached for the real source directory."""


def _real_source_roots() -> tuple[str, ...]:
    candidates = [PROJECT.parent / "shared" / "data", Path.cwd() / config.DEFAULT_SOURCE]
    if os.environ.get(config.SOURCE_ENV):
        candidates.append(Path(os.environ[config.SOURCE_ENV]))
    roots = set()
    for path in candidates:
        if path.is_dir():
            roots.update({os.path.abspath(path), os.path.realpath(path)})
    return tuple(sorted(roots))


_GUARD = {"active": False, "roots": _real_source_roots()}
_WATCHED = {"open", "os.listdir", "os.scandir", "glob.glob", "shutil.copyfile", "shutil.copytree"}


def _audit(event: str, args: tuple) -> None:
    if not _GUARD["active"] or event not in _WATCHED or not args:
        return
    target = args[0]
    if target is None or isinstance(target, int):
        return
    try:
        text = os.path.abspath(os.fsdecode(target))
    except TypeError:
        return
    for root in _GUARD["roots"]:
        if text == root or text.startswith(root + os.sep):
            raise RealSourceUsed(f"a unit test reached for the real source directory ({event} {text}); "
                                 "unit tests make their data themselves (tmp_path); real files belong in "
                                 "tests/integration")


sys.addaudithook(_audit)


@pytest.fixture(autouse=True)
def no_real_source_directory(monkeypatch, tmp_path):
    """Every unit test: no source directory by the settings, outputs in tmp_path, the real files guarded."""
    monkeypatch.setenv(config.SOURCE_ENV, str(NO_SOURCE))
    monkeypatch.setenv(config.OUT_ENV, str(tmp_path / "output"))
    monkeypatch.delenv(config.DEFAULT_LA_ENV, raising=False)
    monkeypatch.delenv(config.OS_LICENCE_ENV, raising=False)
    _GUARD["active"] = True
    try:
        yield
    finally:
        _GUARD["active"] = False


def _refuse(what: str):
    pytest.fail(f"unit tests do not use {what}: make small synthetic data in the test (tmp_path), "
                "or move the test to tests/integration", pytrace=False)


@pytest.fixture(scope="session")
def source_dir():
    """Replaces the real source directory of tests/conftest.py: refused in unit tests."""
    _refuse("the real source directory")


@pytest.fixture(scope="session")
def luton():
    """Replaces the atlas built from the real files: refused in unit tests."""
    _refuse("an atlas built from the real files")


@pytest.fixture(scope="session")
def luton_path():
    """Replaces the GeoPackage built from the real files: refused in unit tests."""
    _refuse("an atlas built from the real files")
