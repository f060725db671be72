"""Upper-tier authorities as a geography of a region's or England's atlas.

A region or England is built from its districts; each district lies in one
upper-tier authority: its county (E10), or itself when it is a unitary
authority, a metropolitan borough or a London borough. The upper tier's areas
are the district outlines dissolved by that authority, and a small area reaches
its upper tier through the district it was assigned to (so the two levels
always agree): no outline or lookup of its own is read.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .geography import Assignment, Boundaries
from .specs import AggregationRule, BoundarySpec

#: The geography id of the upper tier.
UPPER_TIER = "upper_tier"
#: The aggregation method of the upper tier: through the district assignment of the same small areas.
VIA_DISTRICT = "via_district"


def upper_tier_spec(district_spec: BoundarySpec) -> BoundarySpec:
    """The upper tier's spec: the district outline spec's source and licence, aggregated from the same small
    areas as districts are (through them)."""
    table = district_spec.upper_tier.get("file", "")
    return dataclasses.replace(
        district_spec, id=UPPER_TIER, level=UPPER_TIER, order=district_spec.order + 5,
        label=f"Upper-tier authority ({district_spec.vintage} districts)",
        aggregate_from={child: AggregationRule(method=VIA_DISTRICT, file=table)
                        for child in district_spec.aggregate_from},
        variants=[], members=None)


def upper_tier_boundaries(districts: Boundaries, tiers: pd.DataFrame, spec: BoundarySpec) -> Boundaries:
    """The district outlines dissolved by upper-tier authority.

    Parameters
    ----------
    districts : Boundaries
        The atlas's district geography (indexed by district code).
    tiers : pandas.DataFrame
        :func:`atlas.authorities.upper_tiers` of those districts.
    spec : BoundarySpec
        :func:`upper_tier_spec`.

    Returns
    -------
    Boundaries
        One area per upper-tier authority, indexed by its code, with ``name`` and ``kind``.
    """
    frame = districts.frame[["geometry"]].rename_axis("district").join(tiers[["code", "name", "kind"]], how="inner")
    dissolved = frame.dissolve(by="code", aggfunc={"name": "first", "kind": "first"})
    dissolved.index.name = "code"
    out = gpd.GeoDataFrame(dissolved[["name", "kind"]], geometry=dissolved.geometry, crs=districts.frame.crs)
    return Boundaries(spec, out, list(districts.files))


def via_district(to_district: Assignment, tiers: pd.DataFrame, table: str) -> Assignment:
    """Small areas assigned to their district's upper tier.

    Parameters
    ----------
    to_district : Assignment
        The same small areas assigned to districts.
    tiers : pandas.DataFrame
        :func:`atlas.authorities.upper_tiers` (district code -> ``code``).
    table : str
        The upper-tier table's file (named in the method).

    Returns
    -------
    Assignment
        Areas whose district has no upper tier in ``tiers`` are unassigned.
    """
    parent = to_district.parent.map(tiers["code"])
    unassigned = sorted(set(to_district.unassigned) | set(parent.index[parent.isna()]))
    method = (f"their district ({to_district.method}), and the district's county, or the district itself where "
              f"it is a unitary, metropolitan or London borough ({Path(table).name})")
    return Assignment(parent.dropna().astype(str), method, unassigned, list(to_district.fallback))
