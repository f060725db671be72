"""The areas page's pure parts on made-up squares: which LSOA a map click names, and the lookup it saves."""

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from atlas.ui.areas_page import clicked_code, set_lookup


def _squares() -> gpd.GeoDataFrame:
    """Two 1 km squares side by side in British National Grid, near Luton."""
    return gpd.GeoDataFrame({"name": ["West", "East"]}, index=pd.Index(["E01000001", "E01000002"], name="code"),
                            geometry=[box(508000, 221000, 509000, 222000), box(509000, 221000, 510000, 222000)],
                            crs=27700)


def _lat_lng(x: float, y: float) -> dict:
    point = gpd.GeoSeries(gpd.points_from_xy([x], [y]), crs=27700).to_crs(4326).iloc[0]
    return {"lat": point.y, "lng": point.x}


def test_a_click_names_the_feature_clicked_else_the_lsoa_under_the_point():
    frame = _squares()
    assert clicked_code({"last_active_drawing": {"properties": {"code": "E01000002"}}}, frame) == "E01000002"
    # a feature code that is not an LSOA of the frame falls back to the point clicked
    value = {"last_active_drawing": {"properties": {"code": "<b>x</b>"}}, "last_object_clicked": _lat_lng(508500,
                                                                                                          221500)}
    assert clicked_code(value, frame) == "E01000001"
    assert clicked_code({"last_object_clicked": _lat_lng(509500, 221500)}, frame) == "E01000002"
    assert clicked_code({"last_object_clicked": _lat_lng(520000, 230000)}, frame) is None
    assert clicked_code({}, frame) is None


def test_the_saved_lookup_lists_every_area_and_the_rest():
    data = set_lookup({"North": ["E01000001"], "=cmd|' /C calc'!A0": ["E01000002"]}, "Rest",
                      ["E01000001", "E01000002", "E01000003", "E01000004"])
    table = pd.read_csv(io.BytesIO(data), dtype=str)
    assert list(table.columns) == ["LSOA21CD", "Area name"]
    assert list(table["LSOA21CD"]) == ["E01000001", "E01000002", "E01000003", "E01000004"]
    assert list(table["Area name"])[2:] == ["Rest", "Rest"]
    assert not table["Area name"].iloc[1].startswith("=")  # a formula is written as text, never run
    assert set_lookup({"A": ["E01000001"]}).decode().splitlines() == ["LSOA21CD,Area name", "E01000001,A"]
