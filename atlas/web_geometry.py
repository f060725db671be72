"""Geometry for the browser: each geography's areas and each point set, simplified and written once.

The web map fetches these files by URL (:func:`write_geometry`, :func:`write_points`)
and reuses them: switching layers never re-sends geometry.
"""


from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import AtlasError
from .plaintext import display_name
from .store import write_text_atomic

#: Simplification tolerance for the web, in metres (British National Grid).
WEB_TOLERANCE_M = 5.0
#: Grid the vertices are snapped to before simplifying, in metres (see :func:`web_geometry`).
SNAP_GRID_M = 0.001
#: Decimals of longitude and latitude written for the browser (about 0.1 m).
COORD_DECIMALS = 6
WGS84 = "EPSG:4326"


def web_geometry(frame: gpd.GeoDataFrame, tolerance_m: float = WEB_TOLERANCE_M,
                 grid_m: float = SNAP_GRID_M) -> gpd.GeoSeries:
    """Simplify a geography's areas for the web so that neighbours still meet.

    The published LSOA 2011 (and MSOA 2011) polygons were generalised one by
    one: neighbours' shared vertices differ by about a micrometre, so they are
    not a valid coverage, and simplifying them (even with
    :func:`shapely.coverage_simplify`) opens gaps and overlaps along every
    shared edge (about 800 m² of gaps and 1,100 m² of overlaps in Luton at
    10 m). Snapping the vertices to a 1 mm grid first makes shared edges
    identical; coverage simplification then moves each shared edge once, for
    both neighbours.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Areas in a projected CRS in metres (British National Grid).
    tolerance_m : float
        Simplification tolerance in metres; 0 keeps every vertex.
    grid_m : float
        Snapping grid in metres.

    Returns
    -------
    geopandas.GeoSeries
        The simplified areas in WGS84 longitude/latitude, indexed as ``frame``.
    """
    return gpd.GeoSeries(_simplified(frame, tolerance_m, grid_m), index=frame.index, crs=frame.crs).to_crs(WGS84)


def _simplified(frame: gpd.GeoDataFrame, tolerance_m: float, grid_m: float = SNAP_GRID_M) -> np.ndarray:
    if frame.crs is None or not frame.crs.is_projected:
        raise AtlasError(f"Web geometry needs areas in a projected CRS in metres (got {frame.crs}).")
    geoms = shapely.set_precision(np.asarray(frame.geometry.values), grid_m)
    return shapely.coverage_simplify(geoms, tolerance_m) if tolerance_m > 0 else geoms


def _rounded(geoms) -> np.ndarray:
    return shapely.transform(np.asarray(geoms), lambda xy: np.round(xy, COORD_DECIMALS))


def _bounds(series: gpd.GeoSeries) -> list[list[float]]:
    west, south, east, north = (round(float(v), COORD_DECIMALS) for v in series.total_bounds)
    return [[south, west], [north, east]]


@dataclass(frozen=True)
class GeometryFile:
    """A GeoJSON document written for the browser.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    name : str
        Its path relative to the web folder (the URL below the app's asset route).
    bounds : list
        ``[[south, west], [north, east]]`` in degrees.
    count : int
        Number of features.
    """

    path: Path
    name: str
    bounds: list
    count: int


def areas_document(frame: gpd.GeoDataFrame, tolerance_m: float = WEB_TOLERANCE_M) -> tuple[str, list, int]:
    """The GeoJSON text of a geography for the browser: simplified areas and the outline.

    Each feature has the area code as ``id`` and its ``name`` as the only
    property; the document carries the dissolved outline of all its areas as
    the foreign member ``outline`` (so the district boundary matches the
    areas exactly).

    Returns
    -------
    text, bounds, count
    """
    simplified = _simplified(frame, tolerance_m)
    union = shapely.coverage_union_all if shapely.coverage_is_valid(simplified) else shapely.union_all
    outline = gpd.GeoSeries([union(simplified)], crs=frame.crs).to_crs(WGS84).values
    web = gpd.GeoSeries(simplified, index=frame.index, crs=frame.crs).to_crs(WGS84)
    geometry = shapely.to_geojson(_rounded(web.values))
    names = frame["name"].astype(str) if "name" in frame.columns else pd.Series(frame.index, index=frame.index)
    features = ",".join(
        f'{{"type":"Feature","id":{json.dumps(str(code))},"properties":{{"name":{json.dumps(name)}}},'
        f'"geometry":{geom}}}'
        for code, name, geom in zip(frame.index, names, geometry))
    text = (f'{{"type":"FeatureCollection","features":[{features}],'
            f'"outline":{shapely.to_geojson(_rounded(outline)[0])}}}')
    return text, _bounds(web), len(frame)


def points_document(frame: gpd.GeoDataFrame, fields: dict[str, str]) -> tuple[str, list, int]:
    """The GeoJSON text of a point set for the browser.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Points indexed by organisation code.
    fields : dict
        Column -> label of the attributes shown in the tooltip (those present).

    Returns
    -------
    text, bounds, count
    """
    shown_points = located(frame)
    web = shown_points.geometry.to_crs(WGS84)
    geometry = shapely.to_geojson(_rounded(web.values))
    shown = {column: label for column, label in fields.items() if column in shown_points.columns}
    features = []
    for (code, row), geom in zip(shown_points.iterrows(), geometry):
        properties = {"name": display_name(_text(row.get("name", code)))}
        properties["rows"] = [[label, _text(row[column])] for column, label in shown.items()
                              if _text(row[column])]
        features.append(f'{{"type":"Feature","id":{json.dumps(str(code))},'
                        f'"properties":{json.dumps(properties, ensure_ascii=False)},"geometry":{geom}}}')
    text = f'{{"type":"FeatureCollection","features":[{",".join(features)}]}}'
    return text, (_bounds(web) if len(web) else None), len(shown_points)


def located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The points of a set that have a location (those the web document holds)."""
    return frame[frame.geometry.notna() & ~frame.geometry.is_empty]


def _text(value) -> str:
    """An attribute as tooltip text: blank when missing, whole numbers with thousands separators."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return str(value)


def write_document(text: str, folder: Path, stem: str) -> Path:
    """Write ``text`` to ``folder/<stem>-<digest>.json`` once (atomically); return the path.

    The digest of the content in the name means a file is never rewritten in
    place, so a browser may keep it as long as it likes.
    """
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    path = Path(folder) / f"{stem}-{digest}.json"
    if not path.exists():
        write_text_atomic(path, text)
    return path


def write_geometry(frame: gpd.GeoDataFrame, web_dir: Path, la_code: str, geography: str,
                   tolerance_m: float = WEB_TOLERANCE_M) -> GeometryFile:
    """Write the web geometry of one geography of a district under ``web_dir``.

    Returns
    -------
    GeometryFile
        The file, its URL path below ``web_dir``, bounds and area count.
    """
    text, bounds, count = areas_document(frame, tolerance_m)
    path = write_document(text, Path(web_dir) / la_code, geography)
    return GeometryFile(path, f"{la_code}/{path.name}", bounds, count)


def write_points(frame: gpd.GeoDataFrame, web_dir: Path, la_code: str, point_set: str,
                 fields: dict[str, str]) -> GeometryFile:
    """Write one point set of a district under ``web_dir`` (see :func:`points_document`)."""
    text, bounds, count = points_document(frame, fields)
    path = write_document(text, Path(web_dir) / la_code, f"points-{point_set}")
    return GeometryFile(path, f"{la_code}/{path.name}", bounds, count)
