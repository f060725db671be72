"""Spatial weights: which areas are neighbours, with a snapping tolerance.

The published LSOA polygons are generalised one by one, so neighbours do not
share vertices and strict queen contiguity finds almost no neighbours (121
islands in Luton). The atlas therefore snaps: **each polygon is buffered by the
snapping tolerance ``t`` (metres, British National Grid) and two areas are
neighbours when their buffered polygons intersect** (libpysal.graph
``Graph.build_fuzzy_contiguity(buffer=t)``; above ``LIBPYSAL_LIMIT`` areas the
same pairs from one STRtree query, :func:`neighbour_pairs`, several times
faster: see ``benchmarks/bench_weights.py``). A gap of up to ``2 t`` between
two areas is closed along straight edges; at sharp corners a little less,
since a buffer draws its rounded corners with 16 segments per quarter circle
(the reach there is at least ``t cos(pi/64)``, 99.88% of ``t``). With
``t = 0`` the weights are strict queen contiguity (shared vertices only).

How much the tolerance matters (LSOA 2011, all of England, pairs within districts and across):
94% of neighbouring pairs already touch or overlap (no shared vertices, so strict queen contiguity
still misses them), nearly all the rest are less than 2 mm apart, and a 1 m buffer finds 96,332
pairs against 96,326 at 1 mm; Luton's weights are the same at any buffer from 1 micrometre to 1 m.

Weights are row-standardised: each area's neighbours share a weight of 1.
Areas with no neighbour within the tolerance (islands) are listed, never
hidden.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from ..errors import StatisticError
from ..geography import BNG

if TYPE_CHECKING:
    import libpysal

#: Default snapping tolerance in metres (British National Grid): each polygon is buffered by this.
DEFAULT_SNAP_TOLERANCE_M = 1.0
#: Above this many areas, neighbours come from :func:`neighbour_pairs` (the same pairs as libpysal.graph's
#: fuzzy contiguity, measured on Luton, Birmingham and all of England: 6.5 s against 22.6 s for England).
LIBPYSAL_LIMIT = 2000
#: Segments per quarter circle of a buffer: geopandas' default (``resolution=16``), which libpysal's fuzzy
#: contiguity buffers with (shapely's own default is 8, which reaches less far at some corners).
_QUAD_SEGS = 16
#: Fewest buffer reach at a corner, relative to the tolerance: half-way between two of the segments' vertices.
_CORNER_REACH = float(np.cos(np.pi / (4 * _QUAD_SEGS)))


@dataclass
class SpatialWeights:
    """Row-standardised neighbour weights of a set of areas.

    Attributes
    ----------
    w : libpysal.weights.W
        Row-standardised weights, ids in the order of ``ids``.
    ids : list of str
        Area codes, in the order of the frame the weights were built from.
    islands : list of str
        Codes of areas with no neighbour within the snapping tolerance.
    snap_tolerance_m : float
        The buffer applied to each polygon, in metres (see the module notes).
    neighbours : dict of str to list of str
        Each area's neighbours (binary contiguity, before standardising).
    """

    w: libpysal.weights.W
    ids: list[str]
    islands: list[str]
    snap_tolerance_m: float
    neighbours: dict[str, list[str]] = field(repr=False, default_factory=dict)

    @property
    def n(self) -> int:
        """Number of areas."""
        return len(self.ids)

    @property
    def mean_neighbours(self) -> float:
        """Mean number of neighbours per area."""
        return float(np.mean([len(v) for v in self.neighbours.values()])) if self.ids else 0.0

    def subset(self, codes) -> "SpatialWeights":
        """The weights among ``codes`` only, in that order (re-standardised; new islands listed).

        Used when some areas have no value: they are left out, and an area whose
        only neighbours were left out becomes an island.
        """
        known = set(self.ids)
        keep = [c for c in codes if c in known]
        kept = set(keep)
        neighbours = {c: [j for j in self.neighbours[c] if j in kept] for c in keep}
        return from_neighbours(neighbours, self.snap_tolerance_m)

    def describe(self) -> str:
        """One line saying how the weights were made, for outputs."""
        how = ("strict queen contiguity (shared vertices)" if self.snap_tolerance_m == 0 else
               f"queen contiguity with a {self.snap_tolerance_m:g} m snapping tolerance (each polygon "
               f"buffered by {self.snap_tolerance_m:g} m, so gaps up to about {2 * self.snap_tolerance_m:g} m "
               f"join neighbours)")
        areas = "1 area" if self.n == 1 else f"{self.n} areas"
        return (f"{how}; row-standardised; {areas}, {self.mean_neighbours:.2f} neighbours on average, "
                f"{len(self.islands)} with no neighbours")


def spatial_weights(frame: gpd.GeoDataFrame, snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
                    name: str | None = None) -> SpatialWeights:
    """Queen-contiguity weights with a snapping tolerance, row-standardised.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Areas indexed by code. Geographic coordinates are reprojected to
        British National Grid (EPSG:27700) first, so the tolerance is in metres.
    snap_tolerance_m : float
        Buffer applied to each polygon, in metres; two areas are neighbours
        when their buffered polygons intersect (gaps up to about twice the
        tolerance join). ``0`` gives strict queen contiguity. Default 1 m.
        Above ``LIBPYSAL_LIMIT`` areas the same pairs come from :func:`neighbour_pairs`.
    name : str, optional
        What the areas are (e.g. "Luton (E06000032), LSOA (2011)"), for messages.

    Returns
    -------
    SpatialWeights

    Raises
    ------
    StatisticError
        If there are no areas, codes repeat, an area has no geometry, the
        frame has no CRS, or the tolerance is negative.
    """
    what = name or "these areas"
    if snap_tolerance_m is None or not np.isfinite(snap_tolerance_m) or snap_tolerance_m < 0:
        raise StatisticError(f"The snapping tolerance must be 0 or more metres (got {snap_tolerance_m!r}).")
    if len(frame) == 0:
        raise StatisticError(f"No areas to build spatial weights for {what}.")
    codes = pd.Index(frame.index.astype(str))
    if codes.has_duplicates:
        repeated = sorted(set(codes[codes.duplicated()]))
        raise StatisticError(f"Area codes repeat in {what}: {', '.join(repeated[:10])}; each area must appear once.")
    if frame.crs is None:
        raise StatisticError(f"The areas of {what} have no coordinate reference system; expected EPSG:27700.")
    empty = codes[frame.geometry.isna().to_numpy() | frame.geometry.is_empty.to_numpy()]
    if len(empty):
        raise StatisticError(f"{len(empty)} area(s) of {what} have no geometry: {', '.join(empty[:10])}.")
    geoms = frame.geometry if not frame.crs.is_geographic else frame.geometry.to_crs(BNG)
    gdf = gpd.GeoDataFrame(geometry=geoms.to_numpy(), index=codes, crs=geoms.crs)
    if snap_tolerance_m > 0 and len(gdf) > LIBPYSAL_LIMIT:
        return from_neighbours(_pairs_to_neighbours(list(codes), gdf.geometry.to_numpy(), snap_tolerance_m),
                               float(snap_tolerance_m))
    from libpysal.graph import Graph  # imported when needed: it is slow to import, and most callers never need it

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # libpysal's note on islands: the atlas lists them itself
        if snap_tolerance_m == 0:
            graph = Graph.build_contiguity(gdf, rook=False)
        else:
            graph = Graph.build_fuzzy_contiguity(gdf, buffer=float(snap_tolerance_m))
    neighbours: dict[str, list[str]] = {c: [] for c in codes}
    for focal, neighbour in zip(graph.adjacency.index.get_level_values(0), graph.adjacency.index.get_level_values(1)):
        if focal != neighbour:  # (an island appears as a zero-weight self-loop)
            neighbours[str(focal)].append(str(neighbour))
    return from_neighbours(neighbours, float(snap_tolerance_m))


def _pairs_to_neighbours(codes: list[str], geometries: np.ndarray, snap_tolerance_m: float) -> dict:
    left, right = neighbour_pairs(geometries, snap_tolerance_m)
    neighbours: dict[str, list[str]] = {c: [] for c in codes}
    for i, j in zip(left.tolist(), right.tolist()):
        neighbours[codes[i]].append(codes[j])
        neighbours[codes[j]].append(codes[i])
    return neighbours


def from_neighbours(neighbours: dict[str, list[str]], snap_tolerance_m: float) -> SpatialWeights:
    """Row-standardised :class:`SpatialWeights` from a neighbour dict (binary contiguity)."""
    import libpysal

    ids = list(neighbours)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (0/0 where an area has no neighbour or no variance)
        warnings.simplefilter("ignore", UserWarning)  # (libpysal and mapclassify notes the atlas reports itself)
        w = libpysal.weights.W({c: list(v) for c, v in neighbours.items()}, id_order=ids, silence_warnings=True)
        w.transform = "r"
    islands = [c for c in ids if not neighbours[c]]
    return SpatialWeights(w, ids, islands, snap_tolerance_m, neighbours)


def neighbour_pairs(geometries: np.ndarray, snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour pairs of many polygons at once, the same pairs :func:`spatial_weights` finds.

    A fast equivalent of libpysal's buffered fuzzy contiguity for tens of
    thousands of polygons: one STRtree query for pairs whose bounding boxes
    come within ``2 t``, then the pairs within ``2 t`` of each other; pairs
    closer than ``2 t cos(pi/64)`` are neighbours for certain, and the few in
    between are decided exactly as libpysal does, by intersecting the buffered
    polygons.

    Parameters
    ----------
    geometries : numpy.ndarray of shapely geometries
        Polygons in a projected CRS in metres (British National Grid).
    snap_tolerance_m : float
        As for :func:`spatial_weights` (must be more than 0).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Positions ``i < j`` of each neighbouring pair.
    """
    if snap_tolerance_m <= 0:
        raise StatisticError("neighbour_pairs needs a snapping tolerance above 0 m; use spatial_weights for 0.")
    reach = 2 * snap_tolerance_m
    minx, miny, maxx, maxy = shapely.bounds(geometries).T
    boxes = shapely.box(minx - reach, miny - reach, maxx + reach, maxy + reach)
    left, right = shapely.STRtree(geometries).query(boxes)
    keep = left < right
    left, right = left[keep], right[keep]
    gap = shapely.distance(geometries[left], geometries[right])
    near = gap <= reach
    left, right, gap = left[near], right[near], gap[near]
    unsure = gap > reach * _CORNER_REACH
    if unsure.any():
        touched = np.unique(np.concatenate([left[unsure], right[unsure]]))
        buffered = np.empty(len(geometries), dtype=object)
        buffered[touched] = shapely.buffer(geometries[touched], snap_tolerance_m, quad_segs=_QUAD_SEGS)
        joined = shapely.intersects(buffered[left[unsure]], buffered[right[unsure]])
        ok = np.ones(len(left), dtype=bool)
        ok[np.flatnonzero(unsure)[~joined]] = False
        left, right = left[ok], right[ok]
    return left, right


def row_standardised_matrix(n: int, left: np.ndarray, right: np.ndarray) -> sparse.csr_matrix:
    """The row-standardised weights matrix (n x n) of symmetric neighbour pairs ``i < j``."""
    rows = np.concatenate([left, right])
    cols = np.concatenate([right, left])
    counts = np.bincount(rows, minlength=n).astype(float)
    data = 1.0 / counts[rows]
    return sparse.csr_matrix((data, (rows, cols)), shape=(n, n))
