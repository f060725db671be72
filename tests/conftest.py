"""Shared fixtures: the real source directory and atlases built from it once per session."""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
from pathlib import Path

import pytest

import atlas
from atlas import config

PROJECT = Path(__file__).resolve().parent.parent
LUTON = "E06000032"
BEDFORD = "E06000055"


class _Collected(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture(autouse=True)
def main_module_kept():
    """Put back this process's ``__main__`` after each test.

    Streamlit's AppTest runs its script as a new ``__main__`` module and leaves it
    in ``sys.modules``; Dask's worker processes (spawned) then re-run that
    script, which fails outside AppTest, and the local cluster cannot start.
    """
    main = sys.modules.get("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


@pytest.fixture(autouse=True)
def no_streamlit_deprecations():
    """Fail a test in which Streamlit reports a deprecated call (it logs them; they are not Python warnings)."""
    logger = logging.getLogger("streamlit.deprecation_util")
    collected = _Collected()
    logger.addHandler(collected)
    try:
        yield
    finally:
        logger.removeHandler(collected)
    assert not collected.messages, "deprecated Streamlit API used: " + " | ".join(collected.messages)


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


@contextlib.contextmanager
def page_test(module: str, atlas_path: Path, folder: Path, timeout: int = 180):
    """Run one app page (``<module>.page()``) with Streamlit's AppTest against a copy of a built atlas.

    The atlas is copied to ``folder/atlas/`` and ``ATLAS_OUT_DIR`` points there while the test runs.
    Yields the AppTest after its first run.
    """
    from streamlit.testing.v1 import AppTest

    (folder / "atlas").mkdir(parents=True, exist_ok=True)
    shutil.copy(atlas_path, folder / "atlas" / Path(atlas_path).name)
    script = folder / f"{module.rsplit('.', 1)[-1]}_app.py"
    script.write_text(f"from {module} import page\npage()\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATLAS_OUT_DIR", str(folder))
        patch.delenv("ATLAS_DEFAULT_LA", raising=False)
        at = AppTest.from_file(str(script), default_timeout=timeout)
        at.run()
        yield at
