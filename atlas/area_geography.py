"""An area set (:mod:`atlas.areas`) as a geography of a built atlas.

Boundaries are dissolved from the set's LSOA (2021) polygons. The published
polygons are generalised one by one and do not quite meet, so each is grown by
:data:`CLOSE_M` before the union and the union shrunk by as much after
(:func:`dissolve`): the gaps between an area's own LSOAs close (no slivers inside an
area), and its outer edge stays on its LSOAs' edges, which are its neighbours' edges too.

Every layer of the catalogue that the build aggregates from LSOAs to wards is
aggregated to the areas by the same rule (:func:`atlas.aggregate.by_rule`:
population-weighted means, summed counts, recomputed ratios, decile population
shares). LSOA (2021) layers use the set's own membership; LSOA (2011) layers
(IoD2019 ...) reach the areas through the ONS LSOA 2011 to 2021 lookup, each
2011 LSOA joining the area of the 2021 LSOA(s) it became.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import aggregate
from .areas import AreaSet, AreaSetError, lsoa11_members
from .geography import BNG
from .model import LAYER_COLUMNS, Atlas, indicator_row, layer_columns
from .report import BuildReport
from .specs import Catalogue

#: Gaps between an area's LSOA polygons closed when they are dissolved (metres), as the weights snap 1 m.
CLOSE_M = 1.0


def dissolve(lsoas: gpd.GeoDataFrame, members: pd.Series, close_m: float = CLOSE_M) -> gpd.GeoSeries:
    """The outline of each area: its LSOAs' polygons grown by ``close_m``, merged, and shrunk back.

    Parameters
    ----------
    lsoas : geopandas.GeoDataFrame
        LSOA polygons indexed by code, in British National Grid.
    members : pandas.Series
        Area code by LSOA code (LSOAs absent from ``lsoas`` are ignored).
    close_m : float
        Gap closed between polygons of one area, in metres.

    Returns
    -------
    geopandas.GeoSeries
        One (multi)polygon per area, indexed by area code (sorted).
    """
    inside = members[members.index.isin(lsoas.index)]
    grown = gpd.GeoDataFrame({"area": inside.to_numpy()}, geometry=lsoas.geometry.reindex(inside.index).buffer(
        close_m, join_style="mitre").to_numpy(), crs=lsoas.crs)
    merged = grown.dissolve(by="area", sort=True).geometry
    return merged.buffer(-close_m, join_style="mitre").make_valid().rename_axis("code")


def add_to_atlas(built: Atlas, area_set: AreaSet, source: Path, catalogue: Catalogue) -> Atlas:
    """A copy of ``built`` with the area set as one more geography, every LSOA layer aggregated to it.

    An earlier geography of the same set is replaced.

    Raises
    ------
    AreaSetError
        If the atlas has no LSOA (2021) areas, or none of the set's LSOAs is in it.
    """
    lsoa21 = _lsoa_geography(built, catalogue, "2021")
    if lsoa21 is None:
        raise AreaSetError(f"The {built.la_name} atlas has no LSOA (2021) areas, which area sets are made of.")
    built = without_area_set(built, area_set.geography)
    children = built.table(lsoa21)
    members = area_set.members[area_set.members.index.isin(children.index)]
    if members.empty:
        raise AreaSetError(f"None of the LSOAs of area set {area_set.name!r} is in the {built.la_name} atlas.")
    frame = gpd.GeoDataFrame({"name": pd.Series(area_set.names).reindex(sorted(set(members))).astype(object)},
                             geometry=dissolve(children, members), crs=BNG)
    frame.index.name = "code"
    frame["n_lsoa21"] = members.value_counts().reindex(frame.index).astype(int)
    parents = {lsoa21: (members, f"the area set's lookup ({area_set.report.file})")}
    lsoa11 = _lsoa_geography(built, catalogue, "2011")
    if lsoa11 is not None:
        parents[lsoa11] = (lsoa11_members(area_set.members, source), "the ONS LSOA 2011 to 2021 lookup")
    attribution = catalogue.boundaries[lsoa21].attribution  # the areas are dissolved from these boundaries
    rows, shares, entry = [], [], {"from": [], "layers": [], "incomplete": {}, "attribution": attribution}
    for child, (parent, how) in parents.items():
        _aggregate_child(built, catalogue, child, parent, how, area_set, frame, rows, shares, entry)
    layers = pd.concat([built.layers, pd.DataFrame(rows, columns=LAYER_COLUMNS)], ignore_index=True)
    report = _report(built.report, area_set, len(frame), entry)
    geographies = {**built.geographies, area_set.geography: frame}
    all_shares = pd.concat([built.decile_shares, *shares], ignore_index=True) if shares else built.decile_shares
    labels = {**built.geography_labels, area_set.geography: area_set.label}
    return dataclasses.replace(built, geographies=geographies, layers=layers, decile_shares=all_shares,
                               report=report, geography_labels=labels)


def without_area_set(built: Atlas, geography: str) -> Atlas:
    """A copy of ``built`` without an area set's geography, layers, shares and report entries."""
    if geography not in built.geographies:
        return built
    old = built.report
    report = dataclasses.replace(
        old, geographies={g: v for g, v in old.geographies.items() if g != geography},
        geography_order=[g for g in old.geography_order if g != geography],
        area_sets=[e for e in old.area_sets if e.get("geography") != geography])
    shares = built.decile_shares[built.decile_shares["geography"] != geography].reset_index(drop=True)
    return dataclasses.replace(
        built, geographies={g: f for g, f in built.geographies.items() if g != geography},
        layers=built.layers[built.layers["geography"] != geography].reset_index(drop=True),
        decile_shares=shares, report=report,
        geography_labels={g: v for g, v in built.geography_labels.items() if g != geography})


def _lsoa_geography(built: Atlas, catalogue: Catalogue, vintage: str) -> str | None:
    return next((g for g in built.geographies if g in catalogue.boundaries
                 and catalogue.boundaries[g].level == "lsoa" and catalogue.boundaries[g].vintage == vintage), None)


def _aggregate_child(built: Atlas, catalogue: Catalogue, child: str, parent: pd.Series, how: str,
                     area_set: AreaSet, frame: gpd.GeoDataFrame, rows: list, shares: list, entry: dict) -> None:
    """Every aggregable catalogue layer of ``child`` aggregated to the areas (as the build does for wards)."""
    source = built.table(child)
    parent = parent.reindex(source.index)
    child_label = built.geography_labels.get(child, catalogue.boundaries[child].label)
    entry["from"].append({"geography": child, "assigned_by": how, "assigned": int(parent.notna().sum()),
                          "of": len(source)})
    for indicator in catalogue.indicators_on(child):
        if indicator.aggregation == "none" or indicator.id not in source.columns:
            continue
        weight_id = indicator.source.weight
        weights = source[weight_id] if weight_id and weight_id in source.columns else None
        rule = indicator.aggregation
        result = aggregate.by_rule(rule, source, indicator.id, parent, weights, indicator.scale)
        layer_id = indicator.id + (aggregate.MOST_DEPRIVED_SUFFIX if rule == "decile_share" else "")
        for name, column in layer_columns(layer_id, result.columns, frame.index).items():
            frame[name] = column
        if result.shares is not None:
            found = result.shares.assign(geography=area_set.geography, layer=indicator.id)
            shares.append(found[["geography", "code", "layer", "decile", "population", "areas", "share"]])
        weight_label = catalogue.indicators[weight_id].label if weights is not None else None
        method = aggregate.method_text(rule, child_label, weight_label, how)
        shown = aggregate.decile_share_display(indicator, layer_id) if layer_id != indicator.id else {}
        rows.append(indicator_row(indicator, area_set.geography, area_set.label, method, child,
                                 entry["attribution"], **shown))
        entry["layers"].append(layer_id)
        if result.incomplete:
            entry["incomplete"][layer_id] = list(result.incomplete)[:50]


def _report(report: BuildReport, area_set: AreaSet, n_areas: int, entry: dict) -> BuildReport:
    info = {"label": area_set.label, "level": "areas", "vintage": "LSOA (2021)", "status": "built",
            "areas": n_areas, "area_set": area_set.name, "kept_file": area_set.report.file}
    order = [g for g in report.geography_order if g != area_set.geography]
    sets = [e for e in report.area_sets if e.get("geography") != area_set.geography]
    sets.append({"geography": area_set.geography, "name": area_set.name, "aggregated_from": entry["from"],
                 "layers": entry["layers"], "incomplete": entry["incomplete"], **area_set.report.to_dict()})
    return dataclasses.replace(report, geographies={**report.geographies, area_set.geography: info},
                               geography_order=order + [area_set.geography], area_sets=sets)
