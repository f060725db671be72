"""The large-area map's files: encoding, class bytes in geometry order, chunks and the manifest (synthetic areas)."""

from __future__ import annotations

import base64
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from atlas import national_map
from atlas.classify import Classes
from atlas.errors import AtlasError


def squares(n: int = 6, side: float = 15_000.0) -> gpd.GeoDataFrame:
    """A row of ``n`` touching squares in British National Grid near Luton."""
    geoms = [box(500_000 + i * side, 220_000, 500_000 + (i + 1) * side, 220_000 + side) for i in range(n)]
    codes = [f"E0100000{i}" for i in range(n)]
    return gpd.GeoDataFrame({"code": codes, "name": [f"Area {i}" for i in range(n)]}, geometry=geoms,
                            crs="EPSG:27700").set_index(pd.Index(codes, name="code"))


def test_encode_round_trips_to_a_metre():
    corners = {(-0.41235, 51.87654), (-0.4, 51.87654), (-0.4, 51.9), (-0.41235, 51.9)}
    encoded = national_map.encode(box(-0.41234567, 51.87654321, -0.40000004, 51.9))
    assert len(encoded) == 1 and len(encoded[0]) == 1
    decoded = national_map.decode(encoded[0][0])
    assert np.abs(decoded - np.round(np.asarray(box(-0.41234567, 51.87654321, -0.40000004, 51.9).exterior.coords)
                                     * national_map.SCALE) / national_map.SCALE).max() < 1e-12
    assert {tuple(float(v) for v in np.round(p, 5)) for p in decoded} == corners


def test_class_bytes_follow_geometry_order_and_mark_missing():
    classes = Classes(labels=["low", "high"], colours=["#fff", "#000"],
                      index=pd.Series([1, -1, 0], index=["c", "b", "a"]), bins=[1, 2], scheme="quantiles")
    assert national_map.class_bytes(classes, ["a", "b", "c", "d"]) == bytes([0, 255, 1, 255])
    payload = national_map.layer_payload(classes, ["a", "b", "c"], "values-x.json", "A title")
    assert base64.b64decode(payload["classes"]) == bytes([0, 255, 1])
    assert payload["labels"][-1] == "No data" and len(payload["colours"]) == 3


def test_write_geometry_chunks_cover_every_area_once(tmp_path):
    frame = squares()
    written = national_map.write_geometry(frame, tmp_path, "test squares")
    manifest = json.loads((tmp_path / written.manifest).read_text())
    assert manifest["codes"] == list(frame["code"]) and manifest["count"] == 6
    coarse = json.loads((tmp_path / manifest["coarse"]).read_text())
    assert coarse["ids"] == list(range(6))
    ids = sorted(i for chunk in manifest["chunks"]
                 for i in json.loads((tmp_path / chunk["file"]).read_text())["ids"])
    assert ids == list(range(6))
    assert len(manifest["chunks"]) == 5  # centres at 7.5, 22.5, ... 82.5 km east of 500 km: 20 km squares 25..29
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    assert national_map.write_geometry(frame, tmp_path, "test squares") == written
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_values_file_is_text_in_geometry_order(tmp_path):
    name = national_map.write_values(pd.Series([2.25, 1.0], index=["b", "a"]), ["a", "b", "c"], tmp_path, 1)
    assert json.loads((tmp_path / name).read_text()) == ["1.0", "2.2", "no data"] or \
        json.loads((tmp_path / name).read_text()) == ["1.0", "2.3", "no data"]


@pytest.mark.parametrize("change, words", [
    (lambda f: f.drop(columns="name"), "missing: name"),
    (lambda f: f.iloc[:0], "empty"),
    (lambda f: pd.concat([f, f.iloc[:1]]), "more than once"),
])
def test_bad_frames_are_named(tmp_path, change, words):
    with pytest.raises(AtlasError, match=words):
        national_map.write_geometry(change(squares()), tmp_path)
    assert not list(tmp_path.iterdir())


def test_the_coarse_file_is_written_at_its_own_scale(tmp_path):
    frame = squares(2)
    manifest = json.loads((tmp_path / national_map.write_geometry(frame, tmp_path).manifest).read_text())
    coarse = json.loads((tmp_path / manifest["coarse"]).read_text())
    assert coarse["scale"] == national_map.COARSE_SCALE == 10_000
    west, south, east, north = frame.to_crs("EPSG:4326").geometry.iloc[0].bounds
    ring = national_map.decode(coarse["geoms"][0][0][0], coarse["scale"])
    assert abs(ring[:, 0].min() - west) <= 0.5 / coarse["scale"] + 1e-12
    assert abs(ring[:, 1].max() - north) <= 0.5 / coarse["scale"] + 1e-12
    fine = json.loads((tmp_path / manifest["chunks"][0]["file"]).read_text())
    assert fine["scale"] == national_map.SCALE
