"""Finding a place (atlas.places), the wards of areas and the greys of point layers (atlas.webmap), on made-up data.

A 4x1 row of 100 m square "LSOAs" and two "wards" of two squares each, in
British National Grid; a postcode lookup of made-up postcodes written as a
header-less CSV in tmp_path.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from matplotlib.colors import to_rgb

from atlas import places, point_styles, webmap
from atlas.classify import MISSING_COLOUR
from atlas.errors import AtlasError
from atlas.specs import PostcodeSpec

X0, Y0 = 500_000.0, 220_000.0


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    boxes = [shapely.box(X0 + 100 * i, Y0, X0 + 100 * (i + 1), Y0 + 100) for i in range(4)]
    return gpd.GeoDataFrame({"name": ["Northside 001A", "Northside 001B", "Southfield 002A", "Southfield 002B"]},
                            geometry=boxes, index=pd.Index(["E01000001", "E01000002", "E01000003", "E01000004"]),
                            crs="EPSG:27700")


@pytest.fixture
def wards() -> gpd.GeoDataFrame:
    # the first ward covers squares 1 and 2 and a sliver of square 3; the second the rest
    return gpd.GeoDataFrame({"name": ["Hill Ward", "Vale Ward"]},
                            geometry=[shapely.box(X0, Y0, X0 + 210, Y0 + 100),
                                      shapely.box(X0 + 210, Y0, X0 + 400, Y0 + 100)],
                            index=pd.Index(["E05000001", "E05000002"]), crs="EPSG:27700")


@pytest.fixture
def postcodes() -> pd.DataFrame:
    return pd.DataFrame({"postcode": ["AB1 2CD", "AB1 2CE"], "x": [X0 + 250.0, X0 + 900.0],
                         "y": [Y0 + 50.0, Y0 + 50.0]}, index=pd.Index(["AB12CD", "AB12CE"]))


def test_a_postcode_is_found_in_the_area_holding_it(areas, wards, postcodes):
    found = places.find_places(" ab1  2cd ", areas, {"Ward": wards}, postcodes)
    assert len(found) == 1
    place = found[0]
    assert place.code == "E01000003" and place.label == "Postcode AB1 2CD"
    lon, lat = gpd.GeoSeries([shapely.Point(X0 + 250, Y0 + 50)], crs=27700).to_crs(4326).iloc[0].coords[0]
    assert place.point == pytest.approx([lat, lon], abs=1e-6)
    west, south, east, north = gpd.GeoSeries([areas.geometry["E01000003"]], crs=27700).to_crs(4326).total_bounds
    assert [*place.bounds[0], *place.bounds[1]] == pytest.approx([south, west, north, east], abs=1e-6)


def test_a_postcode_outside_every_area_is_shown_as_a_point(areas, postcodes):
    place = places.find_places("AB1 2CE", areas, {}, postcodes)[0]
    assert place.code is None and place.bounds[0] == place.bounds[1] == place.point


def test_unknown_postcodes_and_empty_queries_find_nothing(areas, wards, postcodes):
    assert places.find_places("ZZ9 9ZZ", areas, {"Ward": wards}, postcodes) == []
    assert places.find_places("AB1 2CD", areas, {"Ward": wards}, None) == []
    assert places.find_places("   ", areas, {"Ward": wards}, postcodes) == []
    assert places.find_places("nowhere", areas, {"Ward": wards, "LSOA": areas}, postcodes) == []


def test_a_ward_is_found_by_name_and_outlines_the_area_it_overlaps_most(areas, wards):
    found = places.find_places("vale", areas, {"Ward": wards}, None)
    assert [p.label for p in found] == ["Ward: Vale Ward (E05000002)"]
    # Vale Ward covers 90% of square 3 and all of square 4; the first of the largest overlaps is square 4's
    assert found[0].code == "E01000004"


def test_areas_are_found_by_name_or_code_exact_matches_first(areas):
    found = places.find_places("Northside 001", areas, {"LSOA": areas}, None)
    assert [p.code for p in found] == ["E01000001", "E01000002"]
    exact = places.find_places("e01000002", areas, {"LSOA": areas}, None)
    assert [p.code for p in exact] == ["E01000002"]
    both = places.find_places("Southfield 002B", areas, {"LSOA": areas}, None)
    assert both[0].code == "E01000004"


def test_district_postcodes_reads_the_districts_once_and_caches_them(tmp_path):
    source = tmp_path / "source"
    (source / "pc").mkdir(parents=True)
    (source / "pc" / "ab.csv").write_text("AB1 2CD,10,500250,220050,E92000001,,,,E06000001,\n"
                                          "AB1 2CE,10,500900,220050,E92000001,,,,E06000002,\n")
    spec = PostcodeSpec(spec_file="test.toml", id="test", title="Test lookup", files="pc/*.csv",
                        reader={"columns": ["postcode", "quality", "x", "y", "country", "a", "b", "c", "district",
                                            "ward"]},
                        postcode="postcode", x="x", y="y", crs="EPSG:27700", district="district",
                        country="country", period="", publisher="", licence="", attribution="")
    found = places.district_postcodes(spec, ["E06000001"], source, cache_dir=tmp_path / "cache")
    assert list(found.index) == ["AB12CD"] and found["x"].tolist() == [500250]
    assert len(list((tmp_path / "cache").glob("district-*.parquet"))) == 1
    (source / "pc" / "ab.csv").unlink()                  # the lookup is gone: the files' listing fails ...
    with pytest.raises(AtlasError, match="pc/\\*.csv"):
        places.district_postcodes(spec, ["E06000001"], source, cache_dir=tmp_path / "cache")


def test_area_wards_names_the_ward_holding_each_area(areas, wards):
    named = webmap.area_wards(areas, wards)
    assert named.to_dict() == {"E01000001": "Hill Ward", "E01000002": "Hill Ward", "E01000003": "Vale Ward",
                               "E01000004": "Vale Ward"}


def test_grey_ramp_orders_greys_by_the_lightness_of_the_classes():
    colours = ["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c", MISSING_COLOUR]
    greys = point_styles.grey_ramp(colours)
    assert MISSING_COLOUR not in greys and set(greys) == set(colours[:4])
    lightness = [sum(to_rgb(greys[c])) for c in colours[:4]]
    assert lightness == sorted(lightness, reverse=True)              # light class -> light grey
    assert greys["#ffffb2"] == "#ffffff"
    assert all(len(set(to_rgb(g))) == 1 for g in greys.values())     # greys: red = green = blue
    assert point_styles.grey_ramp([MISSING_COLOUR]) == {}
