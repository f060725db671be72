"""Gi* bins at their cut-offs: esda's float32 p-values are read as the exact fractions they are."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from atlas.stats import spatial_weights
from atlas.stats.hotspots import exact_p, hot_spots


def test_exact_p_recovers_the_fraction_of_a_float32_p_value():
    p = np.array([1 / 100, 5 / 100, 1 / 1000, 10 / 1000], dtype=np.float32)
    assert float(p[0]) < 0.01  # the float32 value read as float64 passes a cut-off it only equals
    np.testing.assert_array_equal(exact_p(p[:2], 99), [0.01, 0.05])
    np.testing.assert_array_equal(exact_p(p[2:], 999), [0.001, 0.01])


def test_a_p_value_equal_to_a_cut_off_is_not_below_it():
    cells = [shapely.box(i, j, i + 1, j + 1) for i in range(20) for j in range(20)]
    codes = [f"A{k:03d}" for k in range(400)]
    weights = spatial_weights(gpd.GeoDataFrame(geometry=cells, index=pd.Index(codes), crs="EPSG:27700"), 0.01)
    table = hot_spots(pd.Series(np.linspace(0, 10, 400), index=codes), weights, permutations=99)
    at_cut = table["p_sim"] == 0.01  # no permutation as extreme: the smallest p 99 permutations can give
    assert at_cut.sum() > 10
    assert table.loc[at_cut, "bin"].str.contains("95% confidence").all()
    for level, cut in ((99, 0.01), (95, 0.05)):
        strongest = table["p_sim"] < cut
        assert table.loc[strongest, "bin"].str.contains(f"{level}% confidence").all() or not strongest.any()
