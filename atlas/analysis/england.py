"""Moran's I, LISA and Getis-Ord Gi* over all of England's LSOAs (2011) as one graph.

The national path: every LSOA 2011 polygon of the national boundary files
(:func:`atlas.analysis.national.lsoa11_polygons`, cached in ``output/cache``),
the layer's values through the catalogue's spec, queen contiguity with the same
snapping tolerance as every district (:func:`atlas.stats.spatial_weights`, which
finds the pairs of tens of thousands of polygons with
:func:`atlas.stats.weights.neighbour_pairs`), then :func:`atlas.stats.moran`
and :func:`atlas.stats.lisa` as for one district, and Gi* hot and cold spots
(:func:`atlas.stats.hotspots.hot_spots`, esda ``G_Local`` with ``star=True``) on the same graph.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import config
from ..codes import ENGLAND
from ..geography import BNG
from ..specs import Catalogue
from ..stats.hotspots import hot_spots
from ..stats.moran import DEFAULT_ALPHA, DEFAULT_PERMUTATIONS, DEFAULT_SEED, MoranResult, lisa, moran
from ..stats.weights import DEFAULT_SNAP_TOLERANCE_M, SpatialWeights, spatial_weights
from .national import default_geography, lsoa11_polygons, national_inputs


@dataclass
class EnglandRun:
    """Moran's I (and LISA) of one layer over every LSOA 2011 of England.

    Attributes
    ----------
    layer : str
    values : pandas.Series
        The layer's values by LSOA code (the weights' order).
    weights : SpatialWeights
        The contiguity weights of every LSOA with a polygon.
    moran : MoranResult
    lisa : pandas.DataFrame or None
        As :func:`atlas.stats.lisa` (None when not asked for).
    hotspots : pandas.DataFrame or None
        As :func:`atlas.stats.hotspots.hot_spots` (None when not asked for).
    timings : dict
        Wall-clock seconds: ``polygons``, ``values``, ``weights``, ``moran``, ``lisa``, ``hotspots``, ``total``.
    """

    layer: str
    values: pd.Series
    weights: SpatialWeights
    moran: MoranResult
    lisa: pd.DataFrame | None = None
    hotspots: pd.DataFrame | None = None
    timings: dict = field(default_factory=dict)


def england_statistics(source_dir: str | Path | None = None, layer: str | None = None,
                       permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED,
                       snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M, with_lisa: bool = True,
                       alpha: float = DEFAULT_ALPHA, catalogue: Catalogue | None = None,
                       cache_dir: str | Path | None = None, use_cache: bool = True,
                       with_hotspots: bool = False) -> EnglandRun:
    """Moran's I and LISA (and Gi*) of an LSOA 2011 layer over all of England as one graph.

    Parameters
    ----------
    source_dir : path-like, optional
    layer : str
        An area indicator on LSOA 2011 (default the IoD2019 Income score).
    permutations, seed : int
        Of Moran's test and of LISA's conditional permutations.
    snap_tolerance_m : float
        Snapping tolerance of the contiguity weights, metres (1 m as every district).
    with_lisa : bool
        Compute the LISA clusters too.
    alpha : float
        LISA significance level.
    catalogue : Catalogue, optional
    cache_dir, use_cache
        The polygon cache (see :func:`atlas.analysis.national.lsoa11_polygons`).
    with_hotspots : bool
        Compute Getis-Ord Gi* hot and cold spots too (same permutations and seed).

    Returns
    -------
    EnglandRun

    Raises
    ------
    StatisticError
        If the layer is not on LSOA 2011, or Moran's I (or Gi*: negative values) cannot be computed.
    SourceFileError
        If the boundary or layer files are missing or malformed.
    """
    started = time.perf_counter()
    source = config.source_dir(source_dir)
    catalogue = catalogue or Catalogue.load()
    inputs = national_inputs(source, catalogue, layer, (default_geography(catalogue),))  # (checks the layer first)
    clock = time.perf_counter()
    codes, polygons = lsoa11_polygons(source, catalogue, cache_dir, use_cache)
    timings = {"values": clock - started, "polygons": time.perf_counter() - clock}
    name = f"England ({ENGLAND}), LSOA (2011)"
    clock = time.perf_counter()
    weights = spatial_weights(gpd.GeoDataFrame(geometry=polygons, index=pd.Index(codes), crs=BNG),
                              snap_tolerance_m, name=name)
    timings["weights"] = time.perf_counter() - clock
    values = inputs["score"].reindex(pd.Index(weights.ids))
    clock = time.perf_counter()
    result = moran(values, weights, permutations, seed, name=name)
    timings["moran"] = time.perf_counter() - clock
    clock = time.perf_counter()
    clusters = lisa(values, weights, permutations, seed, alpha, name=name) if with_lisa else None
    timings["lisa"] = time.perf_counter() - clock if with_lisa else 0.0
    clock = time.perf_counter()
    spots = hot_spots(values, weights, permutations, seed, name=name) if with_hotspots else None
    timings["hotspots"] = time.perf_counter() - clock if with_hotspots else 0.0
    timings["total"] = time.perf_counter() - started
    return EnglandRun(inputs.attrs["layer"], values, weights, result, clusters, spots, timings)
