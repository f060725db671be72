"""Contiguity weights three ways: libpysal.graph, libpysal.weights (legacy W) and the atlas's STRtree pairs.

Prints, for Luton, Birmingham and every LSOA (2011) of England, the neighbour pairs each finds with the
atlas's 1 m snapping tolerance, whether they are the same pairs, and the seconds each takes:

* ``Graph.build_fuzzy_contiguity(buffer=1)`` (libpysal.graph, the maintained API);
* ``libpysal.weights.fuzzy_contiguity(buffering=True, buffer=1)`` (legacy, skipped for England: minutes);
* :func:`atlas.stats.weights.neighbour_pairs` (one STRtree query, distances, buffers only where unsure).

The atlas uses the Graph for a district (same pairs, same speed as the legacy W it replaced) and the
STRtree pairs above ``LIBPYSAL_LIMIT`` areas and in the all-districts batch, where it is several times faster.
"""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import pandas as pd
from libpysal import weights as legacy
from libpysal.graph import Graph

from atlas import config
from atlas.geography import glob_files, read_boundaries, read_boundary_file
from atlas.specs import Catalogue
from atlas.stats.weights import DEFAULT_SNAP_TOLERANCE_M as TOLERANCE
from atlas.stats.weights import neighbour_pairs


def _timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def _pairs(frame: gpd.GeoDataFrame, with_legacy: bool) -> dict:
    codes = list(frame.index)
    graph, graph_s = _timed(lambda: Graph.build_fuzzy_contiguity(frame, buffer=TOLERANCE))
    adjacency = graph.adjacency.reset_index()
    found = {"graph": ({tuple(sorted(p)) for p in zip(adjacency.iloc[:, 0], adjacency.iloc[:, 1]) if p[0] != p[1]},
                       graph_s)}
    (left, right), strtree_s = _timed(lambda: neighbour_pairs(frame.geometry.to_numpy(), TOLERANCE))
    found["strtree"] = ({tuple(sorted((codes[i], codes[j]))) for i, j in zip(left, right)}, strtree_s)
    if with_legacy:
        w, legacy_s = _timed(lambda: legacy.fuzzy_contiguity(frame, buffering=True, buffer=TOLERANCE,
                                                             silence_warnings=True))
        found["legacy W"] = ({tuple(sorted((a, b))) for a, ns in w.neighbors.items() for b in ns}, legacy_s)
    return found


def main() -> None:
    warnings.simplefilter("ignore")
    catalogue, source = Catalogue.load(), config.source_dir()
    spec = catalogue.boundaries["lsoa11"]
    frames = {la: read_boundaries(spec, source, la).frame for la in ("E06000032", "E08000025")}
    england = pd.concat([read_boundary_file(spec, source / f, f) for f in glob_files(source, spec.national_files)])
    frames["England"] = england[~england.index.duplicated()]
    for name, frame in frames.items():
        frame = gpd.GeoDataFrame(geometry=frame.geometry.to_numpy(), index=frame.index, crs=frame.crs)
        found = _pairs(frame, with_legacy=name != "England")
        reference = found["strtree"][0]
        cells = ", ".join(f"{how} {len(pairs):,} pairs in {seconds:.2f} s" for how, (pairs, seconds) in found.items())
        same = all(pairs == reference for pairs, _ in found.values())
        print(f"{name} ({len(frame):,} LSOAs): {cells}; same pairs: {same}")


if __name__ == "__main__":
    main()
