"""Finding a place on the map: a postcode, a ward or a small area (LSOA) by name or code.

A search returns :class:`Place` records: what was found, the area of the
mapped geography it lies in (so the map can highlight it) and the bounds to fly
to. Postcodes come from the postcode lookup of the catalogue (OS Code-Point
Open); the postcodes of an authority are read once from the lookup's files and
kept in ``<output>/cache/postcodes/`` (:func:`district_postcodes`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import config
from .errors import AtlasError
from .postcode_index import lookup_files, normalise_postcodes, read_postcodes
from .specs import PostcodeSpec

#: A full UK postcode (outward and inward code), spaces optional.
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}$")
WGS84 = "EPSG:4326"
#: At most this many places are returned by a search.
MOST = 10


@dataclass(frozen=True)
class Place:
    """One place found by :func:`find_places`.

    Attributes
    ----------
    label : str
        What was found, e.g. ``"Postcode LU1 3JU"`` or ``"Ward: Biscot"``.
    code : str or None
        The area of the mapped geography it lies in (None when outside every area).
    bounds : list
        ``[[south, west], [north, east]]`` in degrees: the area's, or a ward's.
    point : list or None
        ``[lat, lon]`` of a postcode.
    """

    label: str
    code: str | None
    bounds: list
    point: list | None = None


def _bounds(geometry) -> list:
    west, south, east, north = (round(float(v), 6) for v in geometry.bounds)
    return [[south, west], [north, east]]


def _containing(areas: gpd.GeoDataFrame, geometry) -> str | None:
    """The code of the area holding ``geometry`` (a point) or overlapping it most (a ward)."""
    hits = areas.sindex.query(geometry, predicate="intersects")
    if not len(hits):
        return None
    if geometry.geom_type == "Point":
        return str(areas.index[hits[0]])
    overlap = areas.geometry.iloc[hits].intersection(geometry).area
    return str(overlap.idxmax())


def find_places(query: str, areas: gpd.GeoDataFrame, named: dict[str, gpd.GeoDataFrame],
                postcodes: pd.DataFrame | None = None, postcode_crs: str = "EPSG:27700") -> list[Place]:
    """Places matching ``query``: a postcode, else areas and wards whose name or code contains it.

    Parameters
    ----------
    query : str
        What the reader typed (case and spaces do not matter for postcodes).
    areas : geopandas.GeoDataFrame
        The mapped geography (indexed by code, with ``name``), in a projected CRS.
    named : dict
        Label ("Ward (from May 2023)", "LSOA (2011)") -> geography searched by name and code.
    postcodes : pandas.DataFrame, optional
        Postcodes indexed by normalised postcode with ``postcode``, ``x`` and ``y`` (:func:`district_postcodes`).
    postcode_crs : str
        CRS of ``x`` and ``y``.

    Returns
    -------
    list of Place
        At most :data:`MOST`; exact name or code matches first. Empty when nothing matches.
    """
    text = " ".join(str(query).split())
    if not text:
        return []
    if POSTCODE.match(text.upper()):
        return _postcode_places(text, areas, postcodes, postcode_crs)
    found: list[tuple[int, Place]] = []
    for label, frame in named.items():
        names = frame["name"].astype(str) if "name" in frame.columns else pd.Series(frame.index, index=frame.index)
        lowered = text.lower()
        for code, name in names.items():
            exact = lowered in (name.lower(), str(code).lower())
            if exact or lowered in name.lower() or lowered in str(code).lower():
                geometry = frame.geometry[code]
                place = Place(f"{label}: {name} ({code})", _containing(areas, geometry) if code not in areas.index
                              else str(code), _bounds(gpd.GeoSeries([geometry], crs=frame.crs).to_crs(WGS84)
                                                      .iloc[0]))
                found.append((0 if exact else 1, place))
    found.sort(key=lambda item: item[0])
    return [place for _, place in found[:MOST]]


def _postcode_places(text: str, areas: gpd.GeoDataFrame, postcodes: pd.DataFrame | None,
                     crs: str) -> list[Place]:
    key = normalise_postcodes(pd.Series([text])).iloc[0]
    if postcodes is None or key not in postcodes.index:
        return []
    row = postcodes.loc[key]
    point = gpd.GeoSeries(gpd.points_from_xy([row["x"]], [row["y"]]), crs=crs)
    local = point.to_crs(areas.crs).iloc[0]
    code = _containing(areas, local)
    where = point.to_crs(WGS84).iloc[0]
    latlon = [round(where.y, 6), round(where.x, 6)]
    bounds = (_bounds(gpd.GeoSeries([areas.geometry[code]], crs=areas.crs).to_crs(WGS84).iloc[0]) if code
              else [latlon, latlon])
    return [Place(f"Postcode {row['postcode']}", code, bounds, latlon)]


def district_postcodes(spec: PostcodeSpec, districts: list[str], source_dir: Path,
                       cache_dir: Path | None = None) -> pd.DataFrame:
    """Every postcode of the lookup in the given districts, read once and cached.

    Parameters
    ----------
    spec : PostcodeSpec
        The postcode lookup (its ``district`` column names each postcode's district).
    districts : list of str
        District codes (a county's districts, or one district).
    source_dir : pathlib.Path
    cache_dir : pathlib.Path, optional
        Where the extract is kept; ``<output>/cache/postcodes`` by default.

    Returns
    -------
    pandas.DataFrame
        As :func:`atlas.postcode_index.read_postcodes`, only those districts' postcodes.

    Raises
    ------
    AtlasError
        If the lookup has no district column; SourceFileError if its files cannot be read.
    """
    if not spec.district:
        raise AtlasError(f"The postcode lookup {spec.spec_file} names no district column: postcodes cannot be "
                         f"searched by authority.")
    source_dir = Path(source_dir)
    files = lookup_files(spec, source_dir)
    stamps = [[f, (source_dir / f).stat().st_size] for f in files]
    key = hashlib.sha1(json.dumps([spec.spec_file, str(source_dir.resolve()), sorted(districts), stamps])
                       .encode()).hexdigest()[:16]
    folder = Path(cache_dir) if cache_dir else config.out_dir() / "cache" / "postcodes"
    path = folder / f"district-{key}.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    lookup = read_postcodes(spec, source_dir)
    found = lookup[lookup["district"].isin(districts)]
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{path.name}.{os.getpid()}.tmp"
    found.to_parquet(tmp)
    tmp.replace(path)
    return found
