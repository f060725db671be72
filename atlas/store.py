"""Writing a built atlas to one GeoPackage, and reading it back.

Writes are atomic: everything goes to a temporary file in the destination
folder, which replaces the old file only once complete, so a failed build
leaves an earlier good atlas untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from .errors import AtlasError
from .model import Atlas, empty_catchments

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


@contextlib.contextmanager
def atomic_path(final: Path, suffix: str = ""):
    """Yield a temporary path beside ``final``; move it into place on success.

    On any error the temporary file is removed and ``final`` is untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=f".tmp{suffix}", dir=final.parent)
    os.close(fd)
    os.unlink(tmp)  # writers create the file themselves
    try:
        yield Path(tmp)
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text_atomic(final: Path, text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(final) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def save(atlas: Atlas, folder: Path) -> Path:
    """Write ``atlas`` to ``folder/<LA>.gpkg`` (and ``<LA>.report.json``) atomically.

    Returns
    -------
    pathlib.Path
        The GeoPackage written.
    """
    final = atlas_path(folder, atlas.la_code)
    with atomic_path(final, ".gpkg") as tmp:
        for geography, frame in atlas.geographies.items():
            out = frame.reset_index()
            pyogrio.write_dataframe(out, tmp, layer=geography, driver="GPKG")
        if atlas.outline is not None:
            pyogrio.write_dataframe(atlas.outline.reset_index(), tmp, layer=OUTLINE_TABLE, driver="GPKG")
        for point_set, points in atlas.points.items():
            pyogrio.write_dataframe(points.reset_index(), tmp, layer=POINTS_TABLE_PREFIX + point_set, driver="GPKG")
        pyogrio.write_dataframe(atlas.layers, tmp, layer=LAYERS_TABLE, driver="GPKG")
        shares = atlas.decile_shares if len(atlas.decile_shares) else _empty_shares()
        pyogrio.write_dataframe(shares, tmp, layer=SHARES_TABLE, driver="GPKG")
        if len(atlas.catchments):
            pyogrio.write_dataframe(atlas.catchments, tmp, layer=CATCHMENTS_TABLE, driver="GPKG")
        report = pd.DataFrame({"json": [json.dumps(atlas.report)]})
        pyogrio.write_dataframe(report, tmp, layer=REPORT_TABLE, driver="GPKG")
    write_text_atomic(final.with_suffix(".report.json"), json.dumps(atlas.report, indent=2))
    atlas.path = final
    return final


def _empty_shares() -> pd.DataFrame:
    return pd.DataFrame({"geography": pd.Series(dtype=str), "code": pd.Series(dtype=str),
                         "layer": pd.Series(dtype=str), "decile": pd.Series(dtype=int),
                         "population": pd.Series(dtype=float), "areas": pd.Series(dtype=int),
                         "share": pd.Series(dtype=float)})


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
    report = json.loads(pyogrio.read_dataframe(path, layer=REPORT_TABLE)["json"].iloc[0])
    layers = pyogrio.read_dataframe(path, layer=LAYERS_TABLE)
    shares = pyogrio.read_dataframe(path, layer=SHARES_TABLE) if SHARES_TABLE in names else _empty_shares()
    geographies, points = {}, {}
    for name in names:
        if name in _RESERVED:
            continue
        if name.startswith(POINTS_TABLE_PREFIX):
            points[name[len(POINTS_TABLE_PREFIX):]] = _read_areas(path, name)
            continue
        geographies[name] = _read_areas(path, name)
    order = report.get("geography_order", list(geographies))
    geographies = {g: geographies[g] for g in order if g in geographies}
    outline = _read_areas(path, OUTLINE_TABLE) if OUTLINE_TABLE in names else None
    labels = {g: info.get("label", g) for g, info in report.get("geographies", {}).items()}
    catchments = (pyogrio.read_dataframe(path, layer=CATCHMENTS_TABLE) if CATCHMENTS_TABLE in names
                  else empty_catchments())
    return Atlas(report["la"], report["la_name"], geographies, layers, shares, report, outline, path, labels,
                 points, catchments)


def _read_areas(path: Path, layer: str) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(path, layer=layer, use_arrow=True)
    return frame.set_index("code")
