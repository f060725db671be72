"""Writing a built atlas to one GeoPackage, and reading it back.

Writes are atomic: everything goes to a temporary file in the destination
folder, which replaces the old file only once complete, so a failed build
leaves an earlier good atlas untouched. Several files that must change together
(an atlas, a kept import and the list of imports) are written in one
:func:`transaction`; writers of one atlas folder take turns through
:func:`locked`. Temporary files an interrupted write left behind (the process
killed) are removed by the next write into their folder once they are
:data:`STALE_SECONDS` old.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .errors import AtlasError, naming
from .model import Atlas, empty_catchments, empty_shares
from .report import BuildReport

REPORT_TABLE = "atlas_report"
LAYERS_TABLE = "atlas_layers"
SHARES_TABLE = "atlas_decile_shares"
OUTLINE_TABLE = "district_outline"
CATCHMENTS_TABLE = "atlas_catchments"
_RESERVED = {REPORT_TABLE, LAYERS_TABLE, SHARES_TABLE, OUTLINE_TABLE, CATCHMENTS_TABLE}
#: Point sets are written to tables ``points_<set>``.
POINTS_TABLE_PREFIX = "points_"


def atlas_path(folder: Path, la_code: str) -> Path:
    """Where the atlas of ``la_code`` lives in ``folder``."""
    return Path(folder) / f"{la_code}.gpkg"


#: Age (seconds) after which a temporary file of an interrupted write is removed.
STALE_SECONDS = 3600
#: Names of the temporary files this module makes: ``.<final name>.<8 random characters>.tmp...``.
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.(tmp|bak)")


def _temporary_beside(final: Path, suffix: str = "", kind: str = "tmp") -> Path:
    """A fresh unused name for a temporary file beside ``final`` (the folder is made; stale files cleaned)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(final.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=f".{kind}{suffix}", dir=final.parent)
    os.close(fd)
    os.unlink(tmp)  # writers create the file themselves
    return Path(tmp)


def clean_stale_temporaries(folder: Path, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove the temporary files of writes into ``folder`` that were interrupted ``older_than`` seconds ago.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    removed, now = [], time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if not (_TEMPORARY.match(entry.name) and entry.is_file(follow_symlinks=False)):
                continue
            with contextlib.suppress(OSError):
                if now - entry.stat(follow_symlinks=False).st_mtime > older_than:
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


@contextlib.contextmanager
def atomic_path(final: Path, suffix: str = ""):
    """Yield a temporary path beside ``final``; move it into place on success.

    On any error the temporary file is removed and ``final`` is untouched.
    """
    final = Path(final)
    tmp = _temporary_beside(final, suffix)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextlib.contextmanager
def locked(folder: Path):
    """Hold an exclusive lock on the folder ``folder`` while the block runs (other writers wait).

    The lock is on the folder itself, so taking it creates no file.
    """
    fd = os.open(Path(folder), os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class Transaction:
    """Files written (or removed) together: all of them change, or none does.

    Each file is written to a temporary path beside it (:meth:`path`); on
    :meth:`commit` the old files are kept aside, the new ones moved into place,
    and if any move fails the ones already moved are put back.
    """

    def __init__(self):
        self.staged: list[tuple[Path, Path]] = []
        self.removals: list[Path] = []

    def path(self, final: Path, suffix: str = "") -> Path:
        """A temporary path that becomes ``final`` when the transaction commits."""
        tmp = _temporary_beside(Path(final), suffix)
        self.staged.append((tmp, Path(final)))
        return tmp

    def write_text(self, final: Path, text: str) -> None:
        """Stage ``text`` as the new content of ``final``."""
        self.path(final).write_text(text, encoding="utf-8")

    def write_bytes(self, final: Path, data: bytes) -> None:
        """Stage ``data`` as the new content of ``final``."""
        self.path(final).write_bytes(data)

    def remove(self, final: Path) -> None:
        """Remove ``final`` when the transaction commits (nothing if it does not exist)."""
        self.removals.append(Path(final))

    def commit(self) -> None:
        """Move every staged file into place and remove the files to remove, or change nothing."""
        done: list[tuple[Path, Path | None]] = []
        try:
            for tmp, final in self.staged:
                done.append((final, self._set_aside(final)))
                os.replace(tmp, final)
            for final in self.removals:
                backup = self._set_aside(final, move=True)
                if backup is not None:
                    done.append((final, backup))
        except BaseException:
            for final, backup in reversed(done):
                with contextlib.suppress(OSError):
                    if backup is not None:
                        os.replace(backup, final)
                    elif final.exists():
                        final.unlink()
            raise
        finally:
            self.discard()
            for _, backup in done:
                if backup is not None and backup.exists():
                    backup.unlink()

    def discard(self) -> None:
        """Remove the staged temporary files (the finals are untouched)."""
        for tmp, _ in self.staged:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    @staticmethod
    def _set_aside(final: Path, move: bool = False) -> Path | None:
        """A copy of ``final`` kept until the commit is complete (a hard link, or the file itself moved)."""
        if not final.exists():
            return None
        backup = _temporary_beside(final, kind="bak")
        if move:
            os.replace(final, backup)
        else:
            os.link(final, backup)
        return backup


@contextlib.contextmanager
def transaction():
    """Yield a :class:`Transaction`; commit it when the block ends, discard it on an error."""
    tx = Transaction()
    try:
        yield tx
    except BaseException:
        tx.discard()
        raise
    tx.commit()


def write_text_atomic(final: Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(final) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def write_bytes_atomic(out: Path, content: bytes) -> None:
    """Write ``content`` to ``out`` through a temporary file; a clear error if the folder is not writable."""
    try:
        with atomic_path(out) as tmp:
            Path(tmp).write_bytes(content)
    except OSError as exc:
        raise AtlasError(f"Cannot write {out}: {exc.strerror or exc}. Choose a folder you can write to.") from exc


def save(atlas: Atlas, folder: Path, tx: Transaction | None = None) -> Path:
    """Write ``atlas`` to ``folder/<LA>.gpkg`` (and ``<LA>.report.json``) atomically.

    Parameters
    ----------
    atlas : Atlas
    folder : path-like
    tx : Transaction, optional
        Write as part of this transaction (the files change when it commits);
        by default the two files are one transaction of their own.

    Returns
    -------
    pathlib.Path
        The GeoPackage written.
    """
    if tx is None:
        with transaction() as own:
            return save(atlas, folder, own)
    final = atlas_path(folder, atlas.la_code)
    _write_geopackage(atlas, tx.path(final, ".gpkg"))
    tx.write_text(final.with_suffix(".report.json"), json.dumps(atlas.report.to_dict(), indent=2))
    atlas.path = final
    return final


def _write_geopackage(atlas: Atlas, tmp: Path) -> None:
    for geography, frame in atlas.geographies.items():
        out = frame.reset_index()
        pyogrio.write_dataframe(out, tmp, layer=geography, driver="GPKG")
    if atlas.outline is not None:
        pyogrio.write_dataframe(atlas.outline.reset_index(), tmp, layer=OUTLINE_TABLE, driver="GPKG")
    for point_set, points in atlas.points.items():
        pyogrio.write_dataframe(points.reset_index(), tmp, layer=POINTS_TABLE_PREFIX + point_set, driver="GPKG")
    pyogrio.write_dataframe(atlas.layers, tmp, layer=LAYERS_TABLE, driver="GPKG")
    shares = atlas.decile_shares if len(atlas.decile_shares) else empty_shares()
    pyogrio.write_dataframe(shares, tmp, layer=SHARES_TABLE, driver="GPKG")
    if len(atlas.catchments):
        pyogrio.write_dataframe(atlas.catchments, tmp, layer=CATCHMENTS_TABLE, driver="GPKG")
    report = pd.DataFrame({"json": [json.dumps(atlas.report.to_dict())]})
    pyogrio.write_dataframe(report, tmp, layer=REPORT_TABLE, driver="GPKG")


def load(path: str | os.PathLike) -> Atlas:
    """Read an atlas GeoPackage written by :func:`save`.

    Parameters
    ----------
    path : path-like
        The ``.gpkg`` file.

    Returns
    -------
    Atlas

    Raises
    ------
    AtlasError
        If the file does not exist or is not an atlas GeoPackage.
    """
    path = Path(path)
    if not path.is_file():
        raise AtlasError(f"No built atlas at {path}. Build it first with `atlas build --la CODE`.")
    try:
        names = [name for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as exc:
        raise AtlasError(f"{path} is not a readable GeoPackage: {exc}") from exc
    if REPORT_TABLE not in names or LAYERS_TABLE not in names:
        raise AtlasError(f"{path} is not an atlas GeoPackage (it lacks the {REPORT_TABLE} and {LAYERS_TABLE} tables).")
    with naming(path, expected="an atlas GeoPackage written by `atlas build` (rebuild it)"):
        return _read_atlas(path, names)


def _read_atlas(path: Path, names: list[str]) -> Atlas:
    report = BuildReport.from_dict(json.loads(pyogrio.read_dataframe(path, layer=REPORT_TABLE)["json"].iloc[0]),
                                   where=str(path))
    layers = pyogrio.read_dataframe(path, layer=LAYERS_TABLE)
    shares = pyogrio.read_dataframe(path, layer=SHARES_TABLE) if SHARES_TABLE in names else empty_shares()
    geographies, points = {}, {}
    for name in names:
        if name in _RESERVED:
            continue
        if name.startswith(POINTS_TABLE_PREFIX):
            points[name[len(POINTS_TABLE_PREFIX):]] = _read_areas(path, name)
            continue
        geographies[name] = _read_areas(path, name)
    order = report.geography_order or list(geographies)
    geographies = {g: geographies[g] for g in order if g in geographies}
    outline = _read_areas(path, OUTLINE_TABLE) if OUTLINE_TABLE in names else None
    labels = report.geography_labels()
    catchments = (pyogrio.read_dataframe(path, layer=CATCHMENTS_TABLE) if CATCHMENTS_TABLE in names
                  else empty_catchments())
    return Atlas(report.la, report.la_name, geographies, layers, shares, report, outline, path, labels,
                 points, catchments)


def _read_areas(path: Path, layer: str) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=True)
    return frame.set_index("code")
