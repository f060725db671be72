"""Spatial weights, global Moran's I and LISA (issue 3)."""

from __future__ import annotations

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from atlas.errors import AtlasError, StatisticError
from atlas.stats import CLUSTERS, lisa, lisa_counts, moran, spatial_weights
from atlas.stats.moran import NO_DATA, NO_NEIGHBOURS, NOT_SIGNIFICANT
from atlas.stats.weights import neighbour_pairs

LUTON_I = 0.410  # English Atlas of Inequality, Moran's I of the IoD2019 Income score, Luton


def grid(nx: int, ny: int, gap: float = 0.5, size: float = 100.0, island: bool = False) -> gpd.GeoDataFrame:
    """Squares ``size`` m wide separated by ``gap`` m (like generalised boundaries), codes A0, A1 ..."""
    boxes, codes = [], []
    for j in range(ny):
        for i in range(nx):
            x, y = 400_000 + i * (size + gap), 200_000 + j * (size + gap)
            boxes.append(box(x, y, x + size, y + size))
            codes.append(f"A{len(codes)}")
    if island:
        boxes.append(box(390_000, 190_000, 390_100, 190_100))
        codes.append("ISLAND")
    return gpd.GeoDataFrame(geometry=boxes, index=pd.Index(codes, name="code"), crs="EPSG:27700")


@pytest.fixture(scope="module")
def luton_areas(luton):
    return luton.table("lsoa11")


@pytest.fixture(scope="module")
def luton_weights(luton_areas):
    return spatial_weights(luton_areas)


# -- weights -------------------------------------------------------------------------------------

def test_luton_weights_with_1m_snapping_have_no_islands(luton_weights):
    assert luton_weights.n == 121
    assert luton_weights.islands == []
    assert luton_weights.snap_tolerance_m == 1.0
    assert luton_weights.mean_neighbours == pytest.approx(5.40, abs=0.01)
    assert luton_weights.w.transform.upper() == "R"
    assert np.allclose(np.asarray(luton_weights.w.sparse.sum(axis=1)).ravel(), 1.0)
    assert "1 m snapping tolerance" in luton_weights.describe()


def test_luton_neighbours_are_the_lsoas_within_twice_the_tolerance(luton_areas, luton_weights):
    """Independent route: a geopandas distance join (no buffering) at 2 m finds the same neighbours."""
    near = gpd.sjoin(luton_areas[["geometry"]], luton_areas[["geometry"]], predicate="dwithin", distance=2.0)
    near = near[near.index != near["code_right"]]
    expected = near.groupby(level=0)["code_right"].apply(sorted).to_dict()
    assert {c: sorted(v) for c, v in luton_weights.neighbours.items() if v} == expected
    assert luton_weights.mean_neighbours == pytest.approx(len(near) / 121)


def test_strict_contiguity_finds_no_luton_neighbours(luton_areas):
    strict = spatial_weights(luton_areas, snap_tolerance_m=0)
    assert len(strict.islands) == 121


def test_snapping_tolerance_joins_gaps_up_to_twice_the_buffer():
    frame = grid(2, 1, gap=1.5)
    assert spatial_weights(frame, 1.0).islands == []
    assert spatial_weights(frame, 0.5).islands == ["A0", "A1"]
    assert spatial_weights(grid(2, 1, gap=2.5), 1.0).islands == ["A0", "A1"]


def test_queen_contiguity_counts_corner_neighbours():
    w = spatial_weights(grid(3, 3, gap=0.5))
    assert sorted(w.neighbours["A4"]) == ["A0", "A1", "A2", "A3", "A5", "A6", "A7", "A8"]
    assert sorted(w.neighbours["A0"]) == ["A1", "A3", "A4"]


def test_strict_queen_with_touching_squares():
    w = spatial_weights(grid(2, 2, gap=0.0), snap_tolerance_m=0)
    assert sorted(w.neighbours["A0"]) == ["A1", "A2", "A3"]


def test_islands_are_reported():
    w = spatial_weights(grid(3, 3, island=True))
    assert w.islands == ["ISLAND"]


def test_fast_neighbour_pairs_equal_libpysal(luton_areas, luton_weights):
    left, right = neighbour_pairs(luton_areas.geometry.to_numpy(), 1.0)
    codes = luton_areas.index.to_numpy()
    fast = {tuple(sorted(p)) for p in zip(codes[left], codes[right])}
    reference = {tuple(sorted((a, b))) for a, ns in luton_weights.neighbours.items() for b in ns}
    assert fast == reference


@pytest.mark.parametrize("bad, message", [(-1.0, "0 or more"), (float("nan"), "0 or more")])
def test_bad_tolerance_is_refused(bad, message):
    with pytest.raises(StatisticError, match=message):
        spatial_weights(grid(2, 2), bad)


def test_repeated_codes_and_missing_geometry_are_refused():
    frame = grid(2, 2)
    with pytest.raises(StatisticError, match="repeat"):
        spatial_weights(frame.set_axis(["A", "A", "B", "C"]))
    frame.loc["A0", "geometry"] = None
    with pytest.raises(StatisticError, match="no geometry"):
        spatial_weights(frame)


def test_lon_lat_frames_are_reprojected_so_the_tolerance_is_metres():
    frame = grid(2, 1, gap=1.5)
    assert spatial_weights(frame.to_crs("EPSG:4326"), 1.0).islands == []


# -- global Moran's I ------------------------------------------------------------------------------

def test_luton_income_moran_reproduces_the_published_figure(luton_areas, luton_weights):
    result = moran(luton_areas["income19_score"], luton_weights)
    assert abs(result.I - LUTON_I) < 0.005
    assert result.n == 121 and result.islands == [] and result.left_out == []
    assert result.permutations == 999 and result.snap_tolerance_m == 1.0
    assert result.expected_I == pytest.approx(-1 / 120)
    assert result.p_sim == pytest.approx(0.001)
    assert result.z > 5


def test_moran_is_repeatable_and_leaves_the_global_random_state_alone(luton_areas, luton_weights):
    np.random.seed(99)
    expected_next = np.random.random()
    np.random.seed(99)
    first = moran(luton_areas["income19_score"], luton_weights)
    assert np.random.random() == expected_next
    second = moran(luton_areas["income19_score"], luton_weights)
    assert first == second


def test_moran_agrees_with_esda():
    """Same I as esda exactly; the vectorised permutation test agrees with esda's up to Monte Carlo error."""
    frame = grid(6, 5)
    w = spatial_weights(frame)
    rng = np.random.default_rng(3)
    values = pd.Series(rng.normal(size=len(frame)) + np.arange(len(frame)) * 0.02, index=frame.index)
    ours = moran(values, w, permutations=9999, seed=42)
    state = np.random.get_state()
    np.random.seed(42)
    reference = esda.Moran(values.to_numpy(), w.w, permutations=9999)
    np.random.set_state(state)
    assert ours.I == pytest.approx(reference.I, rel=1e-12)
    assert ours.expected_I == pytest.approx(reference.EI)
    assert 0.01 < reference.p_sim < 0.5  # a p-value where the comparison means something
    assert abs(ours.p_sim - reference.p_sim) < 0.02
    assert ours.z == pytest.approx(reference.z_sim, abs=0.1)


def test_results_do_not_depend_on_the_order_of_the_rows(luton_areas):
    shuffled = luton_areas.sample(frac=1.0, random_state=1)
    a = moran(luton_areas["income19_score"], spatial_weights(luton_areas))
    b = moran(shuffled["income19_score"], spatial_weights(shuffled))
    assert a.I == pytest.approx(b.I, rel=1e-12) and a.p_sim == b.p_sim and a.z == pytest.approx(b.z)
    la = lisa(luton_areas["income19_score"], spatial_weights(luton_areas))
    lb = lisa(shuffled["income19_score"], spatial_weights(shuffled))
    assert la["cluster"].equals(lb["cluster"].reindex(la.index))


def test_large_sets_use_the_fast_pairs_with_the_same_result(luton_areas, luton_weights, monkeypatch):
    from atlas.stats import weights as weights_module
    monkeypatch.setattr(weights_module, "LIBPYSAL_LIMIT", 10)
    fast = spatial_weights(luton_areas)
    assert {k: sorted(v) for k, v in fast.neighbours.items()} == \
        {k: sorted(v) for k, v in luton_weights.neighbours.items()}


def test_moran_signs_on_synthetic_patterns():
    frame = grid(6, 6)
    w = spatial_weights(frame, snap_tolerance_m=1.0)
    i, j = np.arange(36) % 6, np.arange(36) // 6
    gradient = pd.Series(i + j, index=frame.index, dtype=float)
    assert moran(gradient, w).I > 0.5
    # rook-style checkerboard is not negative under queen weights, stripes are
    stripes = pd.Series((i % 2).astype(float), index=frame.index)
    assert moran(stripes, w).I < -0.2


def test_missing_values_are_left_out_and_reported(luton_areas, luton_weights):
    values = luton_areas["income19_score"].copy()
    values.iloc[:3] = np.nan
    result = moran(values, luton_weights)
    assert result.n == 118
    assert result.left_out == list(values.index[:3])


def test_constant_values_get_a_clear_error():
    w = spatial_weights(grid(3, 3))
    with pytest.raises(StatisticError, match="same value"):
        moran(pd.Series(0.2, index=w.ids), w, name="Test district (E00000000), LSOA (2011)")


def test_fewer_than_three_areas_get_a_clear_error():
    w = spatial_weights(grid(2, 1))
    with pytest.raises(StatisticError, match="at least 3 areas .* there are 2") as info:
        moran(pd.Series([0.1, 0.2], index=w.ids), w, name="Somewhere (E06000053), LSOA (2011)")
    assert "E06000053" in str(info.value)
    assert isinstance(info.value, AtlasError)


def test_no_neighbours_at_all_gets_a_clear_error():
    w = spatial_weights(grid(3, 1, gap=50))
    with pytest.raises(StatisticError, match="no area has a neighbour"):
        moran(pd.Series([0.1, 0.2, 0.3], index=w.ids), w)


def test_values_for_unknown_areas_are_refused():
    w = spatial_weights(grid(2, 2))
    with pytest.raises(StatisticError, match="not in the weights"):
        moran(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=w.ids + ["Z9"]), w)
    with pytest.raises(StatisticError, match="repeat"):
        moran(pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=w.ids + ["A0"]), w)


# -- LISA ------------------------------------------------------------------------------------------

def test_luton_lisa_labels_every_area_repeatably(luton_areas, luton_weights):
    state = np.random.get_state()
    table = lisa(luton_areas["income19_score"], luton_weights)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b for a, b in zip(state, after))
    assert list(table.index) == list(luton_areas.index)
    assert set(table["cluster"]) <= set(CLUSTERS)
    counts = lisa_counts(table)
    assert sum(counts.values()) == 121
    assert counts["High-High"] > 0 and counts["Low-Low"] > 0
    significant = table[table["significant"]]
    assert (significant["p_sim"] < 0.05).all()
    assert (significant["cluster"] == significant["quadrant"]).all()
    assert table.equals(lisa(luton_areas["income19_score"], luton_weights))


def test_fdr_is_stricter(luton_areas, luton_weights):
    plain = lisa(luton_areas["income19_score"], luton_weights)
    strict = lisa(luton_areas["income19_score"], luton_weights, fdr=True)
    assert strict.attrs["p_threshold"] <= 0.05
    assert strict["significant"].sum() <= plain["significant"].sum()
    assert (strict.loc[strict["significant"], "p_sim"] < strict.attrs["p_threshold"]).all()


def test_islands_are_never_significant():
    frame = grid(4, 4, island=True)
    w = spatial_weights(frame)
    values = pd.Series(np.r_[np.linspace(0, 1, 16), 5.0], index=frame.index)
    raw = esda.Moran_Local(values.to_numpy(), w.w, permutations=99, seed=1)
    assert raw.p_sim[-1] < 0.05  # esda 2.9 reports the island as significant ...
    table = lisa(values, w, permutations=99, seed=1)
    assert table.loc["ISLAND", "cluster"] == NO_NEIGHBOURS  # ... we never do
    assert not table.loc["ISLAND", "significant"]
    assert np.isnan(table.loc["ISLAND", "p_sim"])


def test_missing_values_are_no_data_and_may_create_islands():
    frame = grid(3, 3)
    w = spatial_weights(frame)
    values = pd.Series(np.linspace(0, 1, 9), index=frame.index)
    values[["A1", "A3", "A4"]] = np.nan  # A0's only neighbours
    table = lisa(values, w, permutations=99)
    assert (table.loc[["A1", "A3", "A4"], "cluster"] == NO_DATA).all()
    assert table.loc["A0", "cluster"] == NO_NEIGHBOURS
    assert set(table["cluster"]) <= {NO_DATA, NO_NEIGHBOURS, NOT_SIGNIFICANT, "High-High", "Low-Low",
                                     "High-Low", "Low-High"}


def test_lisa_edge_cases_raise_clear_errors():
    w = spatial_weights(grid(3, 3))
    with pytest.raises(StatisticError, match="same value"):
        lisa(pd.Series(1.0, index=w.ids), w)
    with pytest.raises(StatisticError, match="significance level"):
        lisa(pd.Series(np.arange(9.0), index=w.ids), w, alpha=5)
