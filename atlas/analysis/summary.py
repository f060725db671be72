"""The statistics panel of one layer: every figure with a plain-English reading.

:func:`summarise` is what the app's statistics panel and the area profiles
show beside a map. Each statistic is a dict with ``available``; when it cannot
be computed (constant or missing values, fewer than 3 areas, no deciles) it
carries a ``message`` saying why instead of a number, never a wrong figure.
"""

from __future__ import annotations

import functools
from collections import OrderedDict

import geopandas as gpd
import pandas as pd
import shapely

from ..caching import fingerprint
from ..classify import polarity_sentence
from ..errors import AtlasError, StatisticError
from ..model import Atlas
from ..specs import Catalogue
from ..stats.inequality import GINI_NOTE, area_gini, ten_ten, twenty_twenty
from ..stats.moran import (
    CLUSTERS,
    DEFAULT_ALPHA,
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    HIGH_HIGH,
    HIGH_LOW,
    LOW_HIGH,
    LOW_LOW,
    MoranResult,
    lisa,
    lisa_counts,
    moran,
)
from ..stats.weights import DEFAULT_SNAP_TOLERANCE_M, SpatialWeights, spatial_weights

#: The layer and geography of the published 20:20 index (IoD2019 Income domain deciles, LSOA 2011).
_NO_GINI_KINDS = {"decile": "national deciles", "rank": "national ranks"}
_WEIGHTS_CACHE: OrderedDict = OrderedDict()
_WEIGHTS_CACHE_SIZE = 16


def summarise(built_atlas: Atlas, layer: str, geography: str, permutations: int = DEFAULT_PERMUTATIONS,
              seed: int = DEFAULT_SEED, alpha: float = DEFAULT_ALPHA, fdr: bool = False,
              snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M) -> dict:
    """Inequality statistics of one layer on one geography, each with a plain-English reading.

    Parameters
    ----------
    built_atlas : Atlas
        A built (or loaded) atlas.
    layer, geography : str
        The layer id and geography id (e.g. ``income19_score``, ``lsoa11``).
    permutations, seed : int
        Permutations for Moran's I and LISA, and their seed.
    alpha : float
        LISA significance level.
    fdr : bool
        Use the false-discovery-rate cut-off for LISA.
    snap_tolerance_m : float
        Snapping tolerance of the contiguity weights, in metres.

    Returns
    -------
    dict
        JSON-ready: ``la``, ``la_name``, ``layer``, ``label``, ``geography``,
        ``geography_label``, ``n_areas``, ``missing`` (codes without a value),
        ``weights`` (how neighbours were found) and one dict per statistic:
        ``moran``, ``lisa`` (with ``counts`` and ``areas``: cluster by code),
        ``twenty_twenty``, ``ten_ten``, ``gini``. Each has ``available`` and
        ``reading`` (a sentence), or ``message`` when it cannot be computed.
        The 20:20 and 10:10 indices are the district's, as the English Atlas of
        Inequality defines them (IoD2019 Income domain deciles of its LSOAs),
        whichever layer is chosen, so the figure matches the published one.

    Raises
    ------
    AtlasError
        If the atlas has no such layer on that geography.
    """
    meta = built_atlas.layer(layer, geography)
    frame = built_atlas.table(geography)
    values = pd.to_numeric(frame[layer], errors="coerce")
    area_label = meta.get("geography_label") or geography
    name = f"{built_atlas.la_name} ({built_atlas.la_code}), {area_label}"
    out = {
        "la": built_atlas.la_code, "la_name": built_atlas.la_name, "layer": layer, "label": meta.get("label", layer),
        "geography": geography, "geography_label": area_label, "n_areas": int(len(frame)),
        "missing": values.index[values.isna()].astype(str).tolist(),
    }
    weights = None
    try:
        weights = cached_weights(frame, snap_tolerance_m, name)
        out["weights"] = {"description": weights.describe(), "snap_tolerance_m": weights.snap_tolerance_m,
                          "islands": weights.islands, "mean_neighbours": weights.mean_neighbours}
    except StatisticError as exc:
        out["weights"] = {"description": str(exc), "snap_tolerance_m": snap_tolerance_m, "islands": []}
    out["moran"] = _moran_entry(values, weights, permutations, seed, name)
    out["lisa"] = _lisa_entry(values, weights, permutations, seed, alpha, fdr, name)
    if out["lisa"].get("available"):
        out["lisa"]["reading"] += " " + polarity_sentence(meta.get("higher_is"), "High-High clusters", "Low-Low ones")
    out["twenty_twenty"], out["ten_ten"] = _decile_entries(built_atlas)
    out["gini"] = _gini_entry(built_atlas, layer, geography, values, meta, name)
    return out


def cached_weights(frame: gpd.GeoDataFrame, snap_tolerance_m: float, name: str | None = None) -> SpatialWeights:
    """:func:`spatial_weights` of a frame, remembered for the same codes, geometry and tolerance."""
    key = (fingerprint("\n".join(map(str, frame.index)), *shapely.to_wkb(frame.geometry.to_numpy()), length=40),
           float(snap_tolerance_m))
    if key in _WEIGHTS_CACHE:
        _WEIGHTS_CACHE.move_to_end(key)
        return _WEIGHTS_CACHE[key]
    weights = spatial_weights(frame, snap_tolerance_m, name=name)
    _WEIGHTS_CACHE[key] = weights
    while len(_WEIGHTS_CACHE) > _WEIGHTS_CACHE_SIZE:
        _WEIGHTS_CACHE.popitem(last=False)
    return weights


def moran_reading(result: MoranResult, alpha: float = DEFAULT_ALPHA) -> str:
    """A sentence saying what a Moran's I means."""
    if not result.permutations:
        return f"Moran's I = {result.I:.3f} (no permutation test was run, so its significance is unknown)."
    p = _p_text(result.p_sim, result.permutations)
    head = f"Moran's I = {result.I:.3f} ({p})"
    if result.p_sim >= alpha:
        return (f"{head}: no clear spatial pattern; neighbouring areas are no more alike than a random "
                f"arrangement of the same values would make them.")
    if result.I > 0:
        strength = "strongly" if result.I >= 0.5 else "moderately" if result.I >= 0.3 else "weakly"
        return (f"{head}: areas with similar values sit next to each other ({strength} clustered); "
                f"a pattern this clustered is unlikely to arise by chance.")
    return (f"{head}: neighbouring areas tend to differ from each other (a checkerboard pattern), "
            f"more than chance would give.")


def _moran_entry(values, weights, permutations, seed, name) -> dict:
    if weights is None:
        return {"available": False, "message": "No spatial weights could be built for these areas."}
    try:
        result = moran(values, weights, permutations=permutations, seed=seed, name=name)
    except StatisticError as exc:
        return {"available": False, "message": str(exc)}
    entry = {"available": True, **result.as_dict(), "reading": moran_reading(result)}
    notes = []
    if result.islands:
        notes.append(f"{len(result.islands)} area(s) have no neighbour within {result.snap_tolerance_m:g} m and "
                     f"count with no spatial lag: {', '.join(result.islands[:10])}")
    if result.left_out:
        notes.append(f"{len(result.left_out)} area(s) without a value were left out: "
                     f"{', '.join(result.left_out[:10])}")
    entry["notes"] = notes
    return entry


def _lisa_entry(values, weights, permutations, seed, alpha, fdr, name) -> dict:
    if weights is None:
        return {"available": False, "message": "No spatial weights could be built for these areas."}
    try:
        table = lisa(values, weights, permutations=permutations, seed=seed, alpha=alpha, fdr=fdr, name=name)
    except StatisticError as exc:
        return {"available": False, "message": str(exc)}
    counts = lisa_counts(table)
    cut = (f"false-discovery-rate cut-off at {alpha:g} (p < {table.attrs['p_threshold']:.4f})" if fdr
           else f"p < {alpha:g}")
    clusters = counts[HIGH_HIGH] + counts[LOW_LOW]
    outliers = counts[HIGH_LOW] + counts[LOW_HIGH]
    reading = (f"At {cut}: {counts[HIGH_HIGH]} area(s) are high values among high neighbours (High-High), "
               f"{counts[LOW_LOW]} low among low (Low-Low), and {outliers} are outliers "
               f"({counts[HIGH_LOW]} High-Low, {counts[LOW_HIGH]} Low-High); "
               f"{counts['Not significant']} are not significant.")
    if not clusters and not outliers:
        reading = f"At {cut}, no area is part of a significant cluster or is a significant outlier."
    if counts["No neighbours"]:
        reading += f" {counts['No neighbours']} area(s) have no neighbours and are not tested."
    if counts["No data"]:
        reading += f" {counts['No data']} area(s) have no data."
    return {"available": True, "counts": counts, "categories": list(CLUSTERS), "reading": reading,
            "alpha": alpha, "fdr": bool(fdr), "p_threshold": float(table.attrs["p_threshold"]),
            "permutations": int(permutations), "seed": int(seed),
            "areas": table["cluster"].to_dict()}


def _decile_entries(built_atlas: Atlas) -> tuple[dict, dict]:
    try:
        source_layer = Catalogue.load().role("income_decile")  # IoD2019 Income deciles, as published
    except AtlasError as exc:
        return {"available": False, "message": str(exc)}, {"available": False, "message": str(exc)}
    source_geography = built_atlas.native_geography(source_layer) or "the LSOAs it is published on"
    try:
        deciles = built_atlas.values(source_layer, source_geography)
        source_meta = built_atlas.layer(source_layer, source_geography)
    except AtlasError:
        message = (f"The {built_atlas.la_name} atlas has no {source_layer} layer on {source_geography}, "
                   f"so the 20:20 index cannot be computed.")
        return {"available": False, "message": message}, {"available": False, "message": message}
    source = f"{source_meta.get('label', source_layer)}, {source_meta.get('geography_label', source_geography)}"
    entries = []
    for label, function, words in (("20:20", twenty_twenty, ("20%", "deciles 9-10", "deciles 1-2")),
                                   ("10:10", ten_ten, ("10%", "decile 10", "decile 1"))):
        try:
            result = function(deciles, name=built_atlas.la_name)
        except StatisticError as exc:
            entries.append({"available": False, "message": str(exc), "source": source})
            continue
        reading = (f"{result['least']} of the {result['n']} areas {_are(result['least'])} among the least deprived {words[0]} in "
                   f"England ({words[1]}) and {result['most']} among the most deprived {words[0]} "
                   f"({words[2]}): {label} index {result['label']}, share |least - most| / n = "
                   f"{result['share']:.3f}.")
        if result["missing"]:
            reading += f" {result['missing']} area(s) have no decile and are not counted."
        entries.append({"available": True, **result, "source": source, "reading": reading})
    return entries[0], entries[1]


def _gini_entry(built_atlas: Atlas, layer: str, geography: str, values: pd.Series, meta: dict, name: str) -> dict:
    kind = meta.get("kind")
    if kind in _NO_GINI_KINDS:
        return {"available": False, "label": "area Gini", "note": GINI_NOTE,
                "message": f"An area Gini is not meaningful for {_NO_GINI_KINDS[kind]}; choose a rate, score or value."}
    weight_layer = _population_layer(built_atlas, layer, geography)
    population = built_atlas.values(weight_layer, geography) if weight_layer else None
    try:
        result = area_gini(values, population, name=name)
    except StatisticError as exc:
        return {"available": False, "label": "area Gini", "note": GINI_NOTE, "message": str(exc)}
    weighting = (f"weighted by {built_atlas.layer(weight_layer, geography).get('label', weight_layer)}"
                 if weight_layer else "unweighted (no population for this layer)")
    reading = (f"Area Gini = {result.gini:.3f} across {result.n} areas ({weighting}): 0 would mean every area "
               f"has the same value, 1 that it is all in one area. {GINI_NOTE}")
    return {"available": True, **result.as_dict(), "weight_layer": weight_layer, "reading": reading}


def _population_layer(built_atlas: Atlas, layer: str, geography: str) -> str | None:
    """The population that weights a layer's means (its source's ``weight``), if the atlas has it here."""
    weight = _weights_of_layers().get(layer)
    if weight and weight in built_atlas.table(geography).columns and weight != layer:
        return weight
    return None


@functools.lru_cache(maxsize=1)
def _weights_of_layers() -> dict[str, str]:
    """Each catalogue indicator's population weight (read once per process)."""
    try:
        catalogue = Catalogue.load()
    except AtlasError:
        return {}
    return {i: spec.source.weight for i, spec in catalogue.indicators.items() if spec.source.weight}


def _are(count: int) -> str:
    return "is" if count == 1 else "are"


def _p_text(p: float, permutations: int) -> str:
    if permutations and p <= 1.0 / (permutations + 1) + 1e-12:
        return f"p = {p:.3f}, the smallest possible with {permutations} permutations"
    return f"p = {p:.3f} from {permutations} permutations"
