"""The statistics panel: summarise(atlas, layer, geography) (issue 3)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from atlas.analysis import summarise
from atlas.errors import AtlasError
from atlas.model import LAYER_COLUMNS, Atlas


def test_luton_income_summary(luton):
    summary = summarise(luton, "income19_score", "lsoa11")
    json.dumps(summary)  # the panel and profiles can serialise it
    assert summary["n_areas"] == 121 and summary["missing"] == []
    moran = summary["moran"]
    assert moran["available"] and abs(moran["I"] - 0.410) < 0.005
    assert "Moran's I = 0.410" in moran["reading"] and "clustered" in moran["reading"]
    lisa = summary["lisa"]
    assert sum(lisa["counts"].values()) == 121 and len(lisa["areas"]) == 121
    assert "High-High" in lisa["reading"]
    tt = summary["twenty_twenty"]
    assert (tt["least"], tt["most"]) == (10, 34) and "10 : 34" in tt["reading"]
    assert summary["ten_ten"]["available"]
    gini = summary["gini"]
    assert gini["available"] and gini["label"] == "area Gini" and gini["population_weighted"]
    assert "not the household-income Gini" in gini["reading"]
    assert "1 m snapping tolerance" in summary["weights"]["description"]


def test_twenty_twenty_is_the_income_domain_index_whatever_the_layer(luton):
    summary = summarise(luton, "imd19_decile", "lsoa11")  # IMD deciles would give 5 : 33
    assert (summary["twenty_twenty"]["least"], summary["twenty_twenty"]["most"]) == (10, 34)
    assert summary["twenty_twenty"]["source"].startswith("Income 2019: national decile")
    assert not summary["gini"]["available"] and "not meaningful" in summary["gini"]["message"]


def test_ward_summary_uses_the_wards_own_weights(luton):
    summary = summarise(luton, "income19_score", "ward2023")
    assert summary["n_areas"] == 20 and summary["moran"]["n"] == 20
    assert summary["twenty_twenty"]["source"].endswith("LSOA (2011)")  # the district's index, from LSOAs


def test_unknown_layer_is_an_atlas_error(luton):
    with pytest.raises(AtlasError, match="not available"):
        summarise(luton, "no_such_layer", "lsoa11")


def _toy_atlas(values: dict[str, list]) -> Atlas:
    """A three- or two-area atlas with the given layers (synthetic, made here)."""
    n = len(next(iter(values.values())))
    codes = [f"E0100000{i}" for i in range(n)]
    frame = gpd.GeoDataFrame({"name": codes, **values},
                             geometry=[box(i * 100.5, 0, i * 100.5 + 100, 100) for i in range(n)],
                             index=pd.Index(codes, name="code"), crs="EPSG:27700")
    rows = [{**{c: "" for c in LAYER_COLUMNS}, "layer": layer, "geography": "lsoa11", "label": layer,
             "kind": "rate", "geography_label": "LSOA (2011)"} for layer in values]
    return Atlas("E00000000", "Toyshire", {"lsoa11": frame}, pd.DataFrame(rows, columns=LAYER_COLUMNS),
                 pd.DataFrame(), {})


def test_constant_layer_gets_messages_not_numbers():
    toy = _toy_atlas({"flat": [0.2, 0.2, 0.2, 0.2]})
    summary = summarise(toy, "flat", "lsoa11")
    json.dumps(summary)
    assert not summary["moran"]["available"] and "same value" in summary["moran"]["message"]
    assert "Toyshire (E00000000)" in summary["moran"]["message"]
    assert not summary["lisa"]["available"]
    assert summary["gini"]["available"] and summary["gini"]["gini"] == 0
    assert not summary["twenty_twenty"]["available"] and "income19_decile" in summary["twenty_twenty"]["message"]


def test_two_areas_and_missing_values_get_messages():
    two = summarise(_toy_atlas({"x": [0.1, 0.3]}), "x", "lsoa11")
    assert "at least 3 areas" in two["moran"]["message"] and "at least 3" in two["gini"]["message"]
    gappy = summarise(_toy_atlas({"x": [0.1, np.nan, 0.3, 0.5, np.nan]}), "x", "lsoa11")
    assert gappy["missing"] == ["E01000001", "E01000004"]
    assert gappy["moran"]["available"] and gappy["moran"]["n"] == 3
    assert any("without a value were left out" in note for note in gappy["moran"]["notes"])
    assert gappy["lisa"]["counts"]["No data"] == 2
