"""Upper-tier authorities of a region's or England's atlas: outlines dissolved from districts, areas reached
through their district (synthetic areas)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from atlas.geography import Assignment, Boundaries
from atlas.specs import Catalogue
from atlas.upper_tier import UPPER_TIER, VIA_DISTRICT, upper_tier_boundaries, upper_tier_spec, via_district


@pytest.fixture
def district_spec():
    return Catalogue.load().district_outline()


@pytest.fixture
def tiers():
    return pd.DataFrame({"code": ["E10000001", "E10000001", "E06000001"],
                         "name": ["Shire", "Shire", "Unitary"],
                         "kind": ["county", "county", "unitary authority"]},
                        index=pd.Index(["E07000001", "E07000002", "E06000001"], name="district"))


def test_the_spec_aggregates_from_the_districts_children_through_them(district_spec):
    spec = upper_tier_spec(district_spec)
    assert spec.id == UPPER_TIER and spec.level == UPPER_TIER and spec.members is None
    assert set(spec.aggregate_from) == set(district_spec.aggregate_from)
    assert {rule.method for rule in spec.aggregate_from.values()} == {VIA_DISTRICT}
    assert spec.attribution == district_spec.attribution  # the outlines are the district outlines


def test_outlines_are_the_districts_dissolved_by_upper_tier(district_spec, tiers):
    squares = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 5, 6, 6)]
    frame = gpd.GeoDataFrame({"name": ["A", "B", "U"]}, geometry=squares, crs="EPSG:27700",
                             index=pd.Index(["E07000001", "E07000002", "E06000001"], name="code"))
    found = upper_tier_boundaries(Boundaries(district_spec, frame, ["x.shp"]), tiers, upper_tier_spec(district_spec))
    assert sorted(found.frame.index) == ["E06000001", "E10000001"]
    assert found.frame.loc["E10000001", "name"] == "Shire"
    assert found.frame.geometry["E10000001"].area == pytest.approx(2.0)
    assert found.frame.geometry["E10000001"].geom_type == "Polygon"  # one shape: the shared edge dissolved
    assert found.frame.loc["E06000001", "kind"] == "unitary authority"


def test_areas_reach_their_districts_upper_tier(tiers):
    to_district = Assignment(pd.Series({"L1": "E07000001", "L2": "E07000002", "L3": "E06000001", "L4": "E07000099"}),
                             "lookup", unassigned=["L5"], fallback=["L3"])
    found = via_district(to_district, tiers, "boundaries/lookup.csv.gz")
    assert found.parent.to_dict() == {"L1": "E10000001", "L2": "E10000001", "L3": "E06000001"}
    assert found.unassigned == ["L4", "L5"]  # a district with no upper tier, and an area with no district
    assert found.fallback == ["L3"] and "lookup.csv.gz" in found.method and "lookup" in found.method
