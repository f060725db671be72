"""Shared fixtures: the real source directory and atlases built from it once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import atlas
from atlas import config

PROJECT = Path(__file__).resolve().parent.parent
LUTON = "E06000032"
BEDFORD = "E06000055"


@pytest.fixture(scope="session")
def source_dir() -> Path:
    """The real source directory (../shared/data or $ATLAS_SOURCE_DIR)."""
    return config.source_dir()


@pytest.fixture(scope="session")
def atlas_dir(tmp_path_factory) -> Path:
    """A folder the session's atlases are built into (not the user's output/)."""
    return tmp_path_factory.mktemp("atlases")


@pytest.fixture(scope="session")
def luton(atlas_dir, source_dir) -> atlas.Atlas:
    """Luton's atlas, built from the real files once per session."""
    return atlas.build(LUTON, source_dir=source_dir, out_dir=atlas_dir)


@pytest.fixture(scope="session")
def luton_path(luton) -> Path:
    """The GeoPackage of Luton's atlas."""
    return luton.path


@pytest.fixture
def spec_root(tmp_path) -> Path:
    """A writable copy of the project's specs, for tests that change one."""
    root = tmp_path / "specs"
    shutil.copytree(PROJECT / "boundaries", root / "boundaries")
    shutil.copytree(PROJECT / "layers", root / "layers")
    return root
