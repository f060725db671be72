"""Settings: where official files are read from and where outputs go.

One setting each:

* the **source directory** of official files: ``--source`` on the command line,
  else the environment variable ``ATLAS_SOURCE_DIR``, else ``../shared/data``
  relative to the folder the atlas is run from (in a checkout: beside it);
* the **output directory** for built atlases, caches and exports: ``--out``, else
  ``ATLAS_OUT_DIR``, else ``output/`` in the folder the atlas is run from
  (git-ignored in a checkout);

Nothing is looked for relative to the installed package, so an installed
wheel behaves as a checkout does.
* the council's **OS licence number** for map attributions: ``ATLAS_OS_LICENCE``
  (optional).
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import SourceDirError

SOURCE_ENV = "ATLAS_SOURCE_DIR"
OUT_ENV = "ATLAS_OUT_DIR"
OS_LICENCE_ENV = "ATLAS_OS_LICENCE"
#: The authority the app opens on unless ``ATLAS_DEFAULT_LA`` (or ``atlas app --la``) names another.
DEFAULT_LA = "E06000032"
DEFAULT_LA_ENV = "ATLAS_DEFAULT_LA"
#: Relative to the current folder (resolved when asked for).
DEFAULT_SOURCE = Path("..") / "shared" / "data"
DEFAULT_OUT = Path("output")


def source_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Return the directory the official source files are read from.

    Parameters
    ----------
    explicit : path-like, optional
        A directory given on the command line (``--source``) or by the caller.

    Returns
    -------
    pathlib.Path
        The resolved source directory.

    Raises
    ------
    SourceDirError
        If the chosen directory does not exist, or no setting names one and the
        default ``../shared/data`` is absent.
    """
    if explicit:
        chosen, how = Path(explicit), "--source"
    elif os.environ.get(SOURCE_ENV):
        chosen, how = Path(os.environ[SOURCE_ENV]), f"the environment variable {SOURCE_ENV}"
    elif DEFAULT_SOURCE.is_dir():
        return DEFAULT_SOURCE.resolve()
    else:
        raise SourceDirError(
            f"No source directory of official files: {SOURCE_ENV} is not set and the default "
            f"{DEFAULT_SOURCE} (from {Path.cwd()}) does not exist. Set {SOURCE_ENV} (or pass --source DIR) to a folder "
            f"laid out like ../shared/data, or download one with `atlas fetch --out DIR`."
        )
    if not chosen.is_dir():
        raise SourceDirError(
            f"The source directory {chosen} (set by {how}) does not exist or is not a folder."
        )
    return chosen.resolve()


def out_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Return the folder for derived outputs (built atlases, caches, exports).

    Parameters
    ----------
    explicit : path-like, optional
        A folder given on the command line (``--out``) or by the caller.

    Returns
    -------
    pathlib.Path
        The output folder (not created here).
    """
    if explicit:
        return Path(explicit)
    if os.environ.get(OUT_ENV):
        return Path(os.environ[OUT_ENV])
    return DEFAULT_OUT


def atlas_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Return the folder of built atlases: ``explicit`` (``--atlas-dir``), else ``<output>/atlas``.

    Parameters
    ----------
    explicit : path-like, optional

    Returns
    -------
    pathlib.Path
    """
    return Path(explicit) if explicit else out_dir() / "atlas"


def os_licence_number() -> str | None:
    """Return the council's Ordnance Survey licence number, if configured."""
    value = os.environ.get(OS_LICENCE_ENV, "").strip()
    return value or None


def default_district() -> str:
    """Return the authority the app opens on (``ATLAS_DEFAULT_LA``, else Luton, E06000032)."""
    return os.environ.get(DEFAULT_LA_ENV, "").strip() or DEFAULT_LA
