"""Figures of an area, the authority and England: each layer aggregated with the build's rules."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import aggregate, config, store
from ..caching import fingerprint
from ..health import point_layer_scale
from ..model import Atlas
from ..readers import indicator_frame, read_source
from ..specs import KIND_AGGREGATION, SPEC_ROOT
from .common import england_areas, specs_catalogue


# -- figures: the area, the authority and England ----------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """How a layer aggregates over areas (as the build aggregates it to wards).

    Attributes
    ----------
    how : str
        ``weighted_mean``, ``sum``, ``ratio_of_sums``, ``decile_share`` or ``none``.
    weight : str or None
        The population layer weighting a mean or decile shares.
    scale : float
        Multiplier of a ratio (100 for a percentage).
    """

    how: str
    weight: str | None = None
    scale: float = 1.0


def layer_rule(built: Atlas, layer: str, geography: str, catalogue=None) -> Rule:
    """The aggregation rule of a layer on its own (native) geography.

    The catalogue's spec decides when the layer has one; a layer added to the
    atlas otherwise (an import) aggregates by its kind, weighted by the
    geography's population layer.
    """

    spec = specs_catalogue(catalogue).indicators.get(layer)
    if spec is not None and spec.geography == geography:
        return Rule(spec.aggregation, spec.source.weight, float(spec.scale or 1.0))
    frame = built.table(geography)
    if f"{layer}_numerator" in frame and f"{layer}_denominator" in frame:
        return Rule("ratio_of_sums", None, point_layer_scale(frame, layer))
    how = KIND_AGGREGATION.get(built.layer(layer, geography)["kind"], "none")
    populations = built.layers_on(geography)
    weight = next(iter(populations.loc[populations["kind"] == "population", "layer"]), None)
    return Rule(how, weight if how in ("weighted_mean", "decile_share") else None)



def aggregate_over(frame: pd.DataFrame, layer: str, rule: Rule, codes) -> tuple[float, pd.DataFrame | None]:
    """One layer aggregated over some areas of ``frame`` with ``rule`` (the build's functions).

    Returns
    -------
    value : float
        The aggregate (NaN when it cannot be computed); for deciles the
        percentage of residents in national deciles 1-2.
    shares : pandas.DataFrame or None
        For deciles: ``decile, population, areas, share``.
    """
    parent = pd.Series(np.where(frame.index.isin(list(codes)), "area", None), index=frame.index).dropna()
    if parent.empty or rule.how not in aggregate.RULES:
        return np.nan, None
    rows = frame.loc[parent.index]
    weights = rows[rule.weight] if rule.weight and rule.weight in rows else None
    result = aggregate.by_rule(rule.how, rows, layer, parent, weights, rule.scale)
    value = float(result.columns["value"].iloc[0]) if len(result.columns) else np.nan
    shares = result.shares.drop(columns="code") if result.shares is not None else None
    return value, shares


def england_values(source_dir: str | os.PathLike | None = None, catalogue=None) -> dict:
    """England's figure of every small-area indicator whose source file covers England.

    Each indicator native to LSOAs or MSOAs is aggregated over every English area
    of its source file with the build's rule (population-weighted mean with the
    source's weight, sum, ratio of sums, population share by national decile).
    A source with fewer English areas than England has (a regional extract) gets
    none. The result is cached in ``<output>/cache`` and recomputed when a spec or
    source file changes.

    Returns
    -------
    dict
        By indicator id: ``value``, ``areas`` (English areas used) and, for
        deciles, ``shares`` and ``area_shares`` (population and area share by decile).
    """

    catalogue = specs_catalogue(catalogue)
    source = config.source_dir(source_dir)
    wanted = [i for i in catalogue.indicators.values()
              if england_areas(catalogue, i.geography) and not i.source.computed and i.aggregation != "none"]
    files = sorted({i.source.file for i in wanted} | {catalogue.indicators[i.source.weight].source.file
                                                       for i in wanted if i.source.weight})
    key = _cache_key(catalogue, source, files)
    cache = config.out_dir() / "cache" / f"england_values_{key}.json"
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    tables: dict = {}

    def table(spec_source):
        if spec_source.id not in tables:
            frame = read_source(spec_source, source)
            tables[spec_source.id] = frame[frame[spec_source.key].str.startswith("E0")]
        return tables[spec_source.id]

    out = {}
    for indicator in wanted:
        found = _england_one(indicator, catalogue, table)
        if found is not None:
            out[indicator.id] = found
    try:
        store.write_text_atomic(cache, json.dumps(out))
    except OSError:
        pass  # a read-only output folder only costs the recomputation next time
    return out


def _england_one(indicator, catalogue, table) -> dict | None:

    frame = indicator_frame(table(indicator.source), indicator)
    if len(frame) < 0.95 * england_areas(catalogue, indicator.geography):
        return None
    rule = Rule(indicator.aggregation, indicator.source.weight, float(indicator.scale or 1.0))
    frame = frame.rename(columns={"value": indicator.id, "numerator": f"{indicator.id}_numerator",
                                  "denominator": f"{indicator.id}_denominator"})
    if rule.weight and rule.weight not in frame:
        weight_spec = catalogue.indicators[rule.weight]
        frame[rule.weight] = indicator_frame(table(weight_spec.source), weight_spec)["value"].reindex(frame.index)
    elif not rule.weight and rule.how in ("weighted_mean", "decile_share"):
        return None  # an unweighted mean of areas is not England's figure
    value, shares = aggregate_over(frame, indicator.id, rule, frame.index)
    entry = {"value": None if np.isnan(value) else value, "areas": len(frame)}
    if shares is not None:
        entry["shares"] = {str(int(d)): float(s) for d, s in zip(shares["decile"], shares["share"])}
        entry["area_shares"] = {str(int(d)): float(a) / shares["areas"].sum()
                                for d, a in zip(shares["decile"], shares["areas"])}
    return entry


def _cache_key(catalogue, source: Path, files: list[str]) -> str:
    spec_files = sorted({i.source.spec_file for i in catalogue.indicators.values()})
    return fingerprint(files=[SPEC_ROOT / f for f in spec_files] + [source / f for f in files])
