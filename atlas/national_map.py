"""Files for the large-area map: geometry written once, then only classes per layer.

A region (3,000-5,000 LSOAs) or England (33,755 LSOAs 2021) is too much for one
GeoJSON per map and one SVG path per area. The large-area map
(:mod:`atlas.ui.large_map`) draws on a canvas from files written here into
the web folder the app serves (``output/web/large``):

* a **manifest** (``<key>-manifest.json``): the area codes and names in
  geometry order, the bounds, the quantisation scale and the list of
  geometry files;
* **coarse geometry** for far zooms (coverage-simplified at
  :data:`COARSE_TOLERANCE_M`, so neighbours still meet), one file;
* **fine geometry** for close zooms (:data:`FINE_TOLERANCE_M`), split into
  chunks on a :data:`CHUNK_M` grid of British National Grid squares, each
  fetched only when it comes into view.

Coordinates are longitude and latitude times :data:`SCALE` (the coarse file:
:data:`COARSE_SCALE`, written in the file), rounded to integers and
delta-encoded along each ring, in compact JSON. Every file name
carries a fingerprint of its content (:func:`atlas.caching.fingerprint`), so
the browser may keep it for ever and a change gives a new name.

Per layer, the browser gets only :func:`layer_payload`: the class of every
area as one byte in geometry order (base64), the legend and the colours (from
:func:`atlas.classify.layer_classes`, so a layer has the same classes as on
the authority map), and the URL of a values file (:func:`write_values`)
fetched only when the reader hovers or clicks.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .caching import fingerprint
from .classify import MISSING_COLOUR, MISSING_LABEL, Classes, format_value
from .errors import AtlasError
from .model import Atlas
from .store import write_text_atomic
from .web_geometry import web_geometry

#: Simplification of the geometry drawn far out (England to a county), in metres.
COARSE_TOLERANCE_M = 100.0
#: Simplification of the geometry drawn close in (a town to a street), in metres.
FINE_TOLERANCE_M = 5.0
#: Side of the British National Grid squares the fine geometry is split by, in metres.
CHUNK_M = 20_000
#: Longitude and latitude are written as integers of 1/SCALE degree (about 1 m).
SCALE = 100_000
#: The coarse geometry's integers are of 1/COARSE_SCALE degree (about 7 m by 11 m; it is simplified at 100 m).
COARSE_SCALE = 10_000
#: From this Leaflet zoom on, the browser draws the fine geometry.
FINE_FROM_ZOOM = 11
#: Class byte of an area with no value.
NO_CLASS = 255
FORMAT = "atlas-large-map/1"


@dataclass(frozen=True)
class GeometrySet:
    """The geometry files of one geography, written for the browser.

    Attributes
    ----------
    manifest : str
        File name of the manifest (relative to the large-map folder).
    codes : list of str
        Area codes in geometry order (the order of every class array).
    names : list of str
        Area names in the same order.
    bounds : list
        ``[[south, west], [north, east]]`` in degrees.
    coarse : str
        File name of the coarse geometry (so the browser may fetch it beside the manifest).
    """

    manifest: str
    codes: list
    names: list
    bounds: list
    coarse: str = ""


def atlas_areas(built: Atlas, geography: str) -> gpd.GeoDataFrame:
    """The areas of one geography of an atlas as the map needs them.

    Parameters
    ----------
    built : Atlas
    geography : str

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``code``, ``name`` and ``geometry`` in the atlas's CRS, indexed by code.
    """
    table = built.table(geography)
    frame = gpd.GeoDataFrame({"code": table.index.astype(str), "name": table["name"].astype(str)},
                             geometry=table.geometry.values, crs=table.crs)
    return frame.set_index(pd.Index(frame["code"], name="code"))


def geometry_key(frame: gpd.GeoDataFrame, label: str) -> str:
    """Fingerprint of a geography's areas (codes, names and geometry) and the encoding settings."""
    return fingerprint(FORMAT, label, str(frame.crs), "\n".join(frame["code"]), "\n".join(frame["name"]),
                       b"".join(shapely.to_wkb(np.asarray(frame.geometry.values))),
                       f"{COARSE_TOLERANCE_M}|{FINE_TOLERANCE_M}|{CHUNK_M}|{SCALE}|{COARSE_SCALE}")


def write_geometry(frame: gpd.GeoDataFrame, folder: Path, label: str = "areas") -> GeometrySet:
    """Write a geography's coarse geometry, fine chunks and manifest once (reused when present).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Areas with ``code`` and ``name`` columns in a projected CRS in metres (British National Grid).
    folder : pathlib.Path
        The large-map folder the app serves.
    label : str
        What the areas are (part of the fingerprint and of the manifest).

    Returns
    -------
    GeometrySet

    Raises
    ------
    AtlasError
        If the frame has no areas, lacks ``code``/``name``, repeats a code or is not projected.
    """
    _check_frame(frame)
    key = geometry_key(frame, label)
    manifest_name = f"{key}-manifest.json"
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / manifest_name).is_file():       # written before: the name is a fingerprint of the content
        manifest = json.loads((folder / manifest_name).read_text(encoding="utf-8"))
        return GeometrySet(manifest_name, manifest["codes"], manifest["names"], manifest["bounds"], manifest["coarse"])
    codes, names = list(frame["code"].astype(str)), list(frame["name"].astype(str))
    coarse_geoms = web_geometry(frame, COARSE_TOLERANCE_M)
    bounds = _bounds(coarse_geoms)
    fine = web_geometry(frame, FINE_TOLERANCE_M)
    coarse = _write_part(folder, key, "coarse", np.arange(len(frame)), coarse_geoms.values, COARSE_SCALE)
    chunks = [dict(file=_write_part(folder, key, f"fine-{cell}", ids, fine.values[ids]),
                   bbox=_bbox(fine.values[ids])) for cell, ids in _cells(frame).items()]
    manifest = dict(format=FORMAT, label=label, scale=SCALE, count=len(codes), codes=codes, names=names,
                    bounds=bounds, coarse=coarse, chunks=chunks, fine_from_zoom=FINE_FROM_ZOOM)
    write_text_atomic(folder / manifest_name, _compact(manifest))
    return GeometrySet(manifest_name, codes, names, bounds, coarse)


def _check_frame(frame: gpd.GeoDataFrame) -> None:
    missing = [column for column in ("code", "name") if column not in frame.columns]
    if missing:
        raise AtlasError(f"The large-area map needs columns code and name; missing: {', '.join(missing)}.")
    if frame.empty:
        raise AtlasError("The large-area map needs at least one area (the table is empty).")
    repeated = frame["code"][frame["code"].duplicated()]
    if len(repeated):
        raise AtlasError(f"Area code {repeated.iloc[0]!r} appears more than once; each area is drawn once.")


def _cells(frame: gpd.GeoDataFrame) -> dict[str, np.ndarray]:
    """Area positions grouped by the grid square holding each area's representative point."""
    points = shapely.point_on_surface(np.asarray(frame.geometry.values))
    col = np.floor(shapely.get_x(points) / CHUNK_M).astype(int)
    row = np.floor(shapely.get_y(points) / CHUNK_M).astype(int)
    cell = pd.Series([f"{c}_{r}" for c, r in zip(col, row)])
    return {name: ids.to_numpy() for name, ids in cell.groupby(cell).groups.items()}


def _write_part(folder: Path, key: str, part: str, ids: np.ndarray, geoms, scale: int = SCALE) -> str:
    """Write one geometry file (positions of its areas, their encoded shapes and its scale); returns its name."""
    text = _compact(dict(ids=[int(i) for i in ids], scale=scale, geoms=[encode(g, scale) for g in geoms]))
    name = f"{key}-{part}-{fingerprint(text)}.json"
    if not (folder / name).is_file():
        write_text_atomic(folder / name, text)
    return name


def encode(geom, scale: int = SCALE) -> list:
    """A polygon or multipolygon as lists of rings of delta-encoded integer coordinates.

    Each ring is ``[x0, y0, dx1, dy1, ...]`` with ``x`` = longitude and ``y`` =
    latitude times ``scale``, rounded; repeated points after rounding are dropped.

    Parameters
    ----------
    geom : shapely geometry
        A Polygon or MultiPolygon in longitude/latitude (others give an empty list).
    scale : int
        Integers per degree (:data:`SCALE`, or :data:`COARSE_SCALE` for the coarse file).

    Returns
    -------
    list
        One list of rings per polygon.
    """
    polygons = getattr(geom, "geoms", [geom]) if geom is not None and not geom.is_empty else []
    return [[_ring(ring, scale) for ring in (polygon.exterior, *polygon.interiors)]
            for polygon in polygons if polygon.geom_type == "Polygon"]


def _ring(ring, scale: int = SCALE) -> list[int]:
    xy = np.round(np.asarray(ring.coords)[:, :2] * scale).astype(np.int64)
    keep = np.ones(len(xy), dtype=bool)
    keep[1:] = np.any(np.diff(xy, axis=0) != 0, axis=1)
    xy = xy[keep]
    deltas = np.vstack([xy[:1], np.diff(xy, axis=0)])
    return deltas.ravel().tolist()


def decode(ring: list[int], scale: int = SCALE) -> np.ndarray:
    """Longitude/latitude of a ring written by :func:`encode` (the inverse, to 1/scale degree)."""
    return np.cumsum(np.asarray(ring, dtype=np.int64).reshape(-1, 2), axis=0) / scale


def _bbox(geoms) -> list[float]:
    west, south, east, north = shapely.total_bounds(np.asarray(geoms))
    return [round(float(v), 5) for v in (west, south, east, north)]


def _bounds(series: gpd.GeoSeries) -> list[list[float]]:
    west, south, east, north = (round(float(v), 5) for v in series.total_bounds)
    return [[south, west], [north, east]]


def _compact(data) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True)


# -- a layer --------------------------------------------------------------------------------------------------
def class_bytes(classes: Classes, codes: list) -> bytes:
    """The class of each area in geometry order, one byte each (:data:`NO_CLASS` where missing).

    Parameters
    ----------
    classes : atlas.classify.Classes
        Classes indexed by area code.
    codes : list of str
        Area codes in geometry order.

    Returns
    -------
    bytes
    """
    if len(classes.labels) >= NO_CLASS:
        raise AtlasError(f"The large-area map draws at most {NO_CLASS - 1} classes (got {len(classes.labels)}).")
    index = classes.index.reindex(pd.Index(codes)).fillna(-1).astype(int).to_numpy()
    return np.where(index < 0, NO_CLASS, index).astype(np.uint8).tobytes()


def write_values(values: pd.Series, codes: list, folder: Path, decimals: int = 1, units: str | None = None) -> str:
    """Write a layer's values as text in geometry order (fetched on demand); returns the file name.

    Parameters
    ----------
    values : pandas.Series
        Values indexed by area code.
    codes : list of str
        Area codes in geometry order.
    folder : pathlib.Path
        The large-map folder.
    decimals : int
    units : str, optional

    Returns
    -------
    str
    """
    return write_texts([format_value(v, decimals, units) for v in values.reindex(pd.Index(codes)).to_numpy()], folder)


def write_texts(texts: list, folder: Path) -> str:
    """Write a layer's values already worded (a decile's label, "no data") in geometry order; returns the file name.

    Parameters
    ----------
    texts : list of str or None
        One text per area in geometry order (None is written as ``null`` and shown as "no data").
    folder : pathlib.Path
        The large-map folder.

    Returns
    -------
    str
        ``values-<fingerprint>.json``: the same texts give the same name.
    """
    text = _compact([None if t is None else str(t) for t in texts])
    name = f"values-{fingerprint(text)}.json"
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / name).is_file():
        write_text_atomic(folder / name, text)
    return name


def layer_payload(classes: Classes, codes: list, values_file: str, title: str) -> dict:
    """What the browser gets on a change of layer: classes, legend, colours, and where the values are.

    Parameters
    ----------
    classes : atlas.classify.Classes
    codes : list of str
        Area codes in geometry order.
    values_file : str
        Name of the values file (:func:`write_values`).
    title : str
        Indicator, geography and period, shown in popups.

    Returns
    -------
    dict
        ``classes`` (base64 of :func:`class_bytes`), ``colours``, ``labels``
        (with the no-data colour and label last), ``values`` and ``title``.
    """
    return dict(classes=base64.b64encode(class_bytes(classes, codes)).decode("ascii"),
                colours=[*classes.colours, MISSING_COLOUR], labels=[*classes.labels, MISSING_LABEL],
                values=values_file, title=title)
