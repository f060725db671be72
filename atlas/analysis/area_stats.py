"""Statistics per area of an area set: the 20:20 index, Moran's I and the area Gini of the IoD2019 Income domain.

One row per area, by the definitions of the all-districts table
(:mod:`atlas.analysis.national`): the IoD2019 Income deciles and score of the
LSOAs (2011) inside each area, queen contiguity with a 1 m snapping tolerance,
999 permutations with a fixed seed, computed by the same per-group function
(:func:`atlas.analysis.national.group_moran`). An area set is made of LSOAs
(2021); the 2011 LSOAs the IoD2019 is published on join the area of the 2021
LSOA(s) they became (:func:`atlas.areas.lsoa11_members`). The area Gini is that
of the Income score over the area's LSOAs, weighted by their IoD2019 population
(:func:`atlas.stats.inequality.area_gini`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..areas import AreaSet, lsoa11_members
from ..codes import ENGLAND
from ..errors import StatisticError
from ..geography import read_boundaries
from ..readers import indicator_frame, read_source
from ..specs import Catalogue
from ..stats.inequality import area_gini, twenty_twenty
from ..stats.moran import DEFAULT_PERMUTATIONS, DEFAULT_SEED
from ..stats.weights import DEFAULT_SNAP_TOLERANCE_M
from .national import default_geography, group_moran, lsoa11_polygons, national_inputs

#: The columns of ``atlas stats --areas`` (the issue's), then how each row was computed.
COLUMNS = ["area_code", "area_name", "n_lsoa", "least_20", "most_20", "twenty_twenty", "moran_i", "moran_p", "gini"]
EXTRA_COLUMNS = ["n_lsoa21", "islands", "snap_tolerance_m", "permutations", "seed", "note"]


@dataclass
class AreaStatistics:
    """The table of an area set's statistics and how long it took.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per area (``COLUMNS + EXTRA_COLUMNS``), by area code.
    timings : dict
        Wall-clock seconds: ``inputs`` (IoD2019 tables and the set's 2011 LSOAs),
        ``boundaries``, ``areas``, ``total``.
    method : str
        What the table shows and how it was made, in words.
    """

    table: pd.DataFrame
    timings: dict = field(default_factory=dict)
    method: str = ""


def area_statistics(area_set: AreaSet, source_dir: str | Path | None = None,
                    permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED,
                    snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M, catalogue: Catalogue | None = None,
                    use_cache: bool = True) -> AreaStatistics:
    """The 20:20 index, Moran's I and area Gini of the IoD2019 Income domain in each area of a set.

    Parameters
    ----------
    area_set : AreaSet
        From :func:`atlas.areas.resolve` or :func:`atlas.areas.load_area_set`.
    source_dir : path-like, optional
    permutations, seed : int
        Permutations of each area's Moran test and their seed.
    snap_tolerance_m : float
        Snapping tolerance of the contiguity weights (metres, above 0).
    catalogue : Catalogue, optional
    use_cache : bool
        For a national set, read the LSOA (2011) polygons from the boundary cache
        of ``atlas stats --all-districts`` (written when absent).

    Returns
    -------
    AreaStatistics

    Raises
    ------
    StatisticError
        If the snapping tolerance is not above 0, or no LSOA (2011) of the set has IoD2019 values.
    """
    started = time.perf_counter()
    if snap_tolerance_m <= 0:
        raise StatisticError("Area statistics need a snapping tolerance above 0 m (the LSOA polygons do not touch).")
    source = config.source_dir(source_dir)
    catalogue = catalogue or Catalogue.load()
    inputs = national_inputs(source, catalogue)
    population = _population(source, catalogue).reindex(inputs.index)
    members = lsoa11_members(area_set.members, source)
    members = members[members.index.isin(inputs.index)].sort_index()
    if members.empty:
        raise StatisticError(f"No LSOA (2011) of area set {area_set.name!r} has IoD2019 values.")
    timings = {"inputs": time.perf_counter() - started}
    clock = time.perf_counter()
    polygons = _polygons(area_set.la, source, catalogue, use_cache)
    timings["boundaries"] = time.perf_counter() - clock
    clock = time.perf_counter()
    n21 = area_set.members.value_counts()
    codes = np.asarray(members.index.to_numpy(), dtype=object)  # sorted by LSOA code
    columns = _aligned(codes, inputs, population, polygons)
    areas = np.asarray(members.to_numpy(), dtype=object)
    order = np.argsort(areas.astype(str), kind="stable")  # by area, LSOA code order kept within each
    names, starts = np.unique(areas[order].astype(str), return_index=True)
    rows = []
    for area, rows_of in zip(names, np.split(order, starts[1:])):
        row = _area_row(area, area_set.names.get(area, area), codes[rows_of],
                        {k: v[rows_of] for k, v in columns.items()}, permutations, seed, snap_tolerance_m)
        row["n_lsoa21"] = int(n21.get(area, 0))
        rows.append(row)
    timings["areas"] = time.perf_counter() - clock
    table = pd.DataFrame(rows, columns=COLUMNS + EXTRA_COLUMNS)
    timings["total"] = time.perf_counter() - started
    return AreaStatistics(table, timings, describe(area_set, permutations, seed, snap_tolerance_m))


def describe(area_set: AreaSet, permutations: int, seed: int, snap_tolerance_m: float) -> str:
    """What the table shows and how it was made (for the command line and exports)."""
    return (f"Area set {area_set.name!r} ({area_set.la_name}, {area_set.report.areas} areas of LSOAs 2021): "
            f"20:20 index (LSOAs 2011 in national IoD2019 Income deciles 9-10 : 1-2; twenty_twenty = "
            f"|least - most| / n), Moran's I of the IoD2019 Income score ({permutations} permutations, seed "
            f"{seed}; queen contiguity with a {snap_tolerance_m:g} m snapping tolerance, row-standardised) and the "
            f"area Gini of the Income score weighted by the IoD2019 population, over the LSOAs (2011) inside each "
            f"area (each 2011 LSOA in the area of the 2021 LSOA(s) it became, ONS lookup). Source: English Indices "
            f"of Deprivation 2019 (MHCLG), Open Government Licence v3.0.")


def _population(source: Path, catalogue: Catalogue) -> pd.Series:
    indicator = catalogue.indicators[catalogue.role("deprivation_population")]
    return indicator_frame(read_source(indicator.source, source), indicator)["value"]


def _polygons(la: str, source: Path, catalogue: Catalogue, use_cache: bool) -> pd.Series:
    """LSOA (2011) polygons by code: every one for a national set, the district's for a district's."""
    if la == ENGLAND:
        codes, geometries = lsoa11_polygons(source, catalogue, use_cache=use_cache)
        return pd.Series(geometries, index=pd.Index(codes))
    found = read_boundaries(catalogue.boundaries[default_geography(catalogue)], source, la)
    if found is None:
        return pd.Series(dtype=object)
    frame = found.frame[~found.frame.index.duplicated()].sort_index()
    return pd.Series(frame.geometry.to_numpy(), index=frame.index.astype(object))


def _aligned(codes: np.ndarray, inputs: pd.DataFrame, population: pd.Series, polygons: pd.Series) -> dict:
    """Decile, score, population and polygon (None when absent) of each LSOA code, as arrays."""
    where = pd.Index(np.asarray(polygons.index.to_numpy(), dtype=object)).get_indexer(codes)
    geometries = np.full(len(codes), None, dtype=object)
    geometries[where >= 0] = np.asarray(polygons.to_numpy(), dtype=object)[where[where >= 0]]
    at = pd.Index(np.asarray(inputs.index.to_numpy(), dtype=object)).get_indexer(codes)
    return {"decile": inputs["decile"].to_numpy(dtype=float)[at], "score": inputs["score"].to_numpy(dtype=float)[at],
            "population": population.to_numpy(dtype=float)[at], "geometry": geometries}


def _area_row(area: str, name: str, codes: np.ndarray, values: dict, permutations: int, seed: int,
              tolerance: float) -> dict:
    index = twenty_twenty(values["decile"], name=area)
    row = {"area_code": area, "area_name": name, "n_lsoa": len(codes), "least_20": index["least"],
           "most_20": index["most"], "twenty_twenty": index["share"], "moran_i": np.nan, "moran_p": np.nan,
           "gini": np.nan, "islands": np.nan, "snap_tolerance_m": tolerance, "permutations": permutations,
           "seed": seed, "note": ""}
    has_polygon = np.array([g is not None for g in values["geometry"]], dtype=bool)
    moran = group_moran(area, codes[has_polygon], values["geometry"][has_polygon], values["score"][has_polygon],
                        sorted(codes[~has_polygon]), permutations, seed, tolerance)
    row.update({k: v for k, v in moran.items() if not k.startswith("_")})
    try:
        row["gini"] = area_gini(pd.Series(values["score"], index=codes), pd.Series(values["population"], index=codes),
                                name=area).gini
    except StatisticError as exc:
        row["note"] = "; ".join(n for n in (row["note"], str(exc)) if n)
    return row
