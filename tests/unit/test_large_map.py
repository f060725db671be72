"""The large-area map's component arguments and files (synthetic areas; no browser)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from atlas import national_map
from atlas.classify import classify
from atlas.ui import large_map
from atlas.ui.assets import AssetUrls
from atlas.webmap import MapView

CODES = [f"E0100000{i}" for i in range(8)]


def frame() -> gpd.GeoDataFrame:
    """A row of eight 2 km squares in British National Grid, named with a script tag among them."""
    geoms = [box(500_000 + i * 2_000, 220_000, 502_000 + i * 2_000, 222_000) for i in range(8)]
    names = [f"Area {i}" for i in range(8)]
    names[3] = "<script>alert(1)</script>"
    return gpd.GeoDataFrame({"code": CODES, "name": names}, geometry=geoms, crs="EPSG:27700").set_index(
        pd.Index(CODES, name="code"))


def view(values: list, kind: str = "score", classes: bool = True) -> MapView:
    series = pd.Series(values, index=CODES[::-1], dtype=float)     # another order than the geometry's
    meta = {"label": "Income 2025: score (rate)", "units": "rate", "geography_label": "LSOA (2021)",
            "period": "2025", "kind": kind, "decimals": 2, "source_title": "English indices", "publisher": "MHCLG",
            "licence": "Open Government Licence v3.0", "attribution": "Source: MHCLG.",
            "boundary_attribution": "Contains OS data."}
    found = classify(series, kind=kind, k=4) if classes else None
    return MapView("E12000006", "East of England", "income25_score", "lsoa21", meta, series,
                   pd.Series("x", index=series.index), found)


def urls(tmp_path: Path) -> AssetUrls:
    return AssetUrls("../leaflet/", "../static/", "../web/", tmp_path)


def test_map_args_carry_classes_in_geometry_order_and_no_geometry(tmp_path):
    written = national_map.write_geometry(frame(), large_map.large_folder(tmp_path), "test")
    shown = view([float(v) for v in range(8)])
    values = large_map.values_file(shown, written.codes, tmp_path)
    args = large_map.map_args(shown, written, values, urls(tmp_path))
    classes = np.frombuffer(base64.b64decode(args["layer"]["classes"]), dtype=np.uint8)
    # values 0..7 were given for the codes in reverse, so the class falls along the geometry order
    assert list(classes) == [3, 3, 2, 2, 1, 1, 0, 0]
    assert args["layer"]["labels"][-1] == "No data" and len(args["layer"]["colours"]) == 5
    assert args["manifest"] == written.manifest and args["web"] == "../web/"
    assert "coordinates" not in json.dumps(args) and len(json.dumps(args)) < 3_000
    assert "Open Government Licence v3.0" in args["source"] and "Contains OS data." in args["attribution"]
    assert "8 areas coloured in 4 classes" in args["alt"] and "2025" in args["alt"]
    texts = json.loads((large_map.large_folder(tmp_path) / values).read_text())
    assert texts == [f"{v:.2f}" for v in range(7, -1, -1)]


def test_a_missing_value_is_class_255_and_no_data(tmp_path):
    written = national_map.write_geometry(frame(), large_map.large_folder(tmp_path), "test")
    shown = view([np.nan, *map(float, range(7))])          # the first value is the last code's
    args = large_map.map_args(shown, written, large_map.values_file(shown, written.codes, tmp_path), urls(tmp_path))
    classes = base64.b64decode(args["layer"]["classes"])
    assert classes[-1] == national_map.NO_CLASS and national_map.NO_CLASS not in classes[:-1]
    texts = json.loads((large_map.large_folder(tmp_path) / args["layer"]["values"]).read_text())
    assert texts[-1] is None and texts[0] == "6.00"


def test_a_layer_without_values_draws_every_area_as_no_data(tmp_path):
    written = national_map.write_geometry(frame(), large_map.large_folder(tmp_path), "test")
    shown = view([np.nan] * 8, classes=False)
    args = large_map.map_args(shown, written, large_map.values_file(shown, written.codes, tmp_path), urls(tmp_path))
    assert base64.b64decode(args["layer"]["classes"]) == bytes([national_map.NO_CLASS] * 8)
    assert args["layer"]["labels"] == ["No data"] and "0 classes" in args["alt"]


def test_deciles_are_worded_in_the_values_file(tmp_path):
    written = national_map.write_geometry(frame(), large_map.large_folder(tmp_path), "test")
    shown = view([1, 2, 3, 4, 5, 6, 7, 10], kind="decile")
    texts = json.loads((large_map.large_folder(tmp_path) / large_map.values_file(shown, written.codes, tmp_path))
                       .read_text())
    assert texts[0] == "10: least deprived 10% nationally" and texts[-1] == "1: most deprived 10% nationally"


def test_names_reach_the_browser_as_data_not_markup(tmp_path):
    written = national_map.write_geometry(frame(), large_map.large_folder(tmp_path), "test")
    manifest = json.loads((large_map.large_folder(tmp_path) / written.manifest).read_text())
    assert manifest["names"][3] == "<script>alert(1)</script>"
    script = (large_map.COMPONENT_DIR / "large-map.js").read_text()
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script


def test_the_component_folder_is_served_as_one(tmp_path):
    assert (large_map.COMPONENT_DIR / "index.html").is_file()
    html = (large_map.COMPONENT_DIR / "index.html").read_text()
    assert "http" not in html.replace("http-equiv", "")           # nothing from another host
    assert 'src="large-map.js"' in html and 'tabindex="0"' in html
