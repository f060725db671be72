"""Unit tests: small synthetic data made in each test, never the real source directory.

Every unit test runs with ``ATLAS_SOURCE_DIR`` set to a folder that does not
exist (so code that looks the source directory up by its settings fails with
a :class:`~atlas.errors.SourceDirError`) and ``ATLAS_OUT_DIR`` set to the
test's own temporary folder (so nothing is written to ``output/``). Reading
anything under the real source directory fails too (see :mod:`tests.unit.guard`).
The session fixtures of ``tests/conftest.py`` that build atlases from the real
files are replaced by ones that fail.
"""

from __future__ import annotations

import pytest

from atlas import config
from tests.unit import guard

guard.install()


@pytest.fixture(autouse=True)
def no_real_source_directory(monkeypatch, tmp_path):
    """Every unit test: no source directory by the settings, outputs in tmp_path, the real files guarded."""
    monkeypatch.setenv(config.SOURCE_ENV, str(guard.NO_SOURCE))
    monkeypatch.setenv(config.OUT_ENV, str(tmp_path / "output"))
    monkeypatch.delenv(config.DEFAULT_LA_ENV, raising=False)
    monkeypatch.delenv(config.OS_LICENCE_ENV, raising=False)
    guard.STATE["active"] = True
    try:
        yield
    finally:
        guard.STATE["active"] = False


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
