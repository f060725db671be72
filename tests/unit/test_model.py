"""The atlas model and its typed build report, on a small made-up atlas."""

import dataclasses
import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from atlas import store
from atlas.errors import AtlasError
from atlas.model import LAYER_COLUMNS, Atlas, empty_shares
from atlas.report import BuildReport


def _row(layer: str, geography: str, kind: str, native: str = "") -> dict:
    row = {key: "" for key in LAYER_COLUMNS}
    row.update(layer=layer, geography=geography, kind=kind, native_geography=native or geography, label=layer)
    return row


@pytest.fixture
def small() -> Atlas:
    frame = gpd.GeoDataFrame(
        {"name": ["A", "B"], "rate": [1.0, 2.0], "rate_lower": [0.5, 1.5], "rate_upper": [1.5, 2.5],
         "rate_numerator": [1, 2], "rate_denominator": [100, 100], "rate_vs_england": ["Similar", "Worse"],
         "rate_per_head": [3.0, 4.0], "pop": [100, 100], "pop_old": [90, 95]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:27700", index=pd.Index(["a", "b"], name="code"))
    layers = pd.DataFrame([_row("rate", "ward", "rate"), _row("rate_per_head", "ward", "rate"),
                           _row("pop_old", "ward", "population", native="lsoa"), _row("pop", "ward", "population")],
                          columns=LAYER_COLUMNS)
    bench = [{"area": "district", "label": "Testshire", "value": 1.5},
             {"area": "england", "label": "England", "value": 1.2, "numerator": 12, "denominator": 1000}]
    report = BuildReport(la="E06999999", la_name="Testshire",
                         geographies={"ward": {"label": "Wards (2023)", "level": "ward", "vintage": "2023"}},
                         geography_order=["ward"],
                         benchmarks=[{"layer": "rate", "geography": "ward", "benchmarks": bench}],
                         points={"gps": {"layers": [{"layer": "qof", "benchmarks": bench[1:]}]}})
    return Atlas("E06999999", "Testshire", {"ward": frame}, layers, empty_shares(), report)


def test_layer_columns_lists_a_layers_parts_but_not_another_layer_sharing_its_prefix(small):
    parts = small.layer_columns("rate", "ward")
    assert parts == {"value": "rate", "lower": "rate_lower", "upper": "rate_upper", "numerator": "rate_numerator",
                     "denominator": "rate_denominator", "vs_england": "rate_vs_england"}
    assert small.has_counts("rate", "ward") and not small.has_counts("rate_per_head", "ward")
    with pytest.raises(AtlasError, match="'nothing' is not available on 'ward'"):
        small.layer_columns("nothing", "ward")


def test_benchmarks_of_area_and_point_layers(small):
    assert [b["area"] for b in small.benchmarks("rate", "ward")] == ["district", "england"]
    assert small.benchmark_value("rate", "ward", "england") == 1.2
    assert small.benchmark_value("rate", "lsoa", "england") is None
    assert small.benchmarks("qof", "points:gps")[0]["denominator"] == 1000
    assert small.benchmarks("other", "points:gps") == []


def test_population_layer_prefers_one_published_on_the_geography(small):
    assert small.population_layer("ward") == "pop"
    assert small.population_layer("lsoa") is None


def test_report_round_trips_through_json_and_refuses_unknown_fields(small):
    data = json.loads(json.dumps(small.report.to_dict()))
    assert BuildReport.from_dict(data) == small.report
    with pytest.raises(AtlasError, match=r"fields this version .* does not know \(colour\)"):
        BuildReport.from_dict({**data, "colour": "red"}, where="x.gpkg")
    with pytest.raises(AtlasError, match="expected an object with 'la' and 'la_name'"):
        BuildReport.from_dict(["not", "a", "report"])


def test_report_labels_and_levels(small):
    assert small.report.geography_labels() == {"ward": "Wards (2023)"}
    assert small.report.geography_levels() == {"ward": "ward"}


def test_saved_atlas_reads_back_its_typed_report(small, tmp_path):
    small.report.warn("one thing")
    path = store.save(small, tmp_path)
    again = store.load(path)
    assert isinstance(again.report, BuildReport)
    assert again.report == dataclasses.replace(small.report)
    assert json.loads(path.with_suffix(".report.json").read_text())["warnings"] == ["one thing"]


def test_point_markers_keep_a_specs_own_and_give_the_others_distinct_ones(small):
    from atlas.classify import POINT_MARKERS, point_markers

    points = gpd.GeoDataFrame({"name": ["x"]}, geometry=gpd.points_from_xy([0.5], [0.5]), crs="EPSG:27700")
    small.points = {"gps": points, "shops": points, "parks": points}
    small.report.points = {"gps": {"marker": "^", "colour": "#D55E00"}, "shops": {}, "parks": {"marker": ""}}
    markers = point_markers(small)
    assert markers["gps"] == ("^", "#D55E00")
    assert len(set(markers.values())) == 3 and all(m in POINT_MARKERS for m in (markers["shops"], markers["parks"]))
