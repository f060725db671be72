"""atlas.stats.moran: global Moran's I and LISA on synthetic grids, against esda called directly and by hand."""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from atlas.errors import AtlasError, StatisticError
from atlas.stats import CLUSTERS, MoranResult, lisa, lisa_counts, moran, spatial_weights
from atlas.stats.moran import (
    HIGH_HIGH,
    LOW_LOW,
    NO_DATA,
    NO_NEIGHBOURS,
    NOT_SIGNIFICANT,
    check_computable,
    moran_i,
    permutation_test,
)

QUADRANT_NAMES = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}  # esda's numbering of the quadrants


def grid(nx: int, ny: int, gap: float = 0.5, prefix: str = "G") -> gpd.GeoDataFrame:
    """``nx`` by ``ny`` squares of 100 m, ``gap`` m apart; codes G00, G01 ... (sorted as made)."""
    boxes = [box(400_000 + i * (100 + gap), 200_000 + j * (100 + gap), 400_100 + i * (100 + gap),
                 200_100 + j * (100 + gap)) for j in range(ny) for i in range(nx)]
    return gpd.GeoDataFrame(geometry=boxes, index=[f"{prefix}{k:02d}" for k in range(nx * ny)], crs="EPSG:27700")


def gradient(frame: gpd.GeoDataFrame, nx: int, slope: float, seed: int) -> pd.Series:
    """Values rising from the bottom-left corner, plus normal noise."""
    k = np.arange(len(frame))
    noise = np.random.default_rng(seed).normal(size=len(frame))
    return pd.Series(slope * (k % nx + k // nx) + noise, index=frame.index)


def esda_seeded(cls, *args, global_seed: int, **kwargs):
    """An esda statistic with NumPy's global generator seeded, the caller's state restored afterwards."""
    state = np.random.get_state()
    np.random.seed(global_seed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return cls(*args, **kwargs)
    finally:
        np.random.set_state(state)


@pytest.fixture(scope="module")
def square():
    frame = grid(6, 6)
    return frame, spatial_weights(frame)


# -- global Moran's I -----------------------------------------------------------------------------------

def test_moran_of_a_chain_by_hand():
    # values 1..4 along a chain: z = (-1.5, -0.5, 0.5, 1.5), z'z = 5; the row-standardised lag of z is
    # (-0.5, -0.5, 0.5, 0.5), so z'Wz = 2 and I = n / S0 * z'Wz / z'z = 4 / 4 * 2 / 5 = 0.4
    frame = grid(4, 1)
    result = moran(pd.Series([1.0, 2.0, 3.0, 4.0], index=frame.index), spatial_weights(frame), permutations=0)
    assert result.I == pytest.approx(0.4)
    assert result.expected_I == pytest.approx(-1 / 3)
    assert result.n == 4 and result.islands == [] and result.left_out == []
    assert np.isnan(result.p_sim) and np.isnan(result.z)  # no permutations asked for


def test_moran_equals_esda_on_a_grid(square):
    frame, w = square
    values = gradient(frame, 6, slope=1.0, seed=7)
    ours = moran(values, w, permutations=999, seed=11)
    reference = esda_seeded(esda.Moran, values.to_numpy(), w.w, transformation="r", permutations=999,
                            global_seed=11)
    assert ours.I == pytest.approx(reference.I, rel=1e-12)
    assert ours.expected_I == pytest.approx(reference.EI, rel=1e-12)
    assert ours.p_norm == pytest.approx(reference.p_norm, rel=1e-9)
    # a strong gradient: no permutation reaches the observed I, in esda's test or ours
    assert reference.p_sim == pytest.approx(1 / 1000)
    assert ours.p_sim == pytest.approx(1 / 1000)
    assert ours.permutations == 999 and ours.seed == 11 and ours.n == 36
    assert ours.mean_neighbours == pytest.approx(w.mean_neighbours)
    assert isinstance(ours, MoranResult) and ours.as_dict()["I"] == ours.I


def test_the_permutation_test_agrees_with_esdas_up_to_monte_carlo_error(square):
    frame, w = square
    values = gradient(frame, 6, slope=0.06, seed=3)
    ours = moran(values, w, permutations=4999, seed=1)
    reference = esda_seeded(esda.Moran, values.to_numpy(), w.w, transformation="r", permutations=4999,
                            global_seed=1)
    assert 0.02 < reference.p_sim < 0.45  # a p-value where the comparison means something
    assert abs(ours.p_sim - reference.p_sim) < 0.03  # both estimates have a standard error under 0.007
    assert ours.z == pytest.approx(reference.z_sim, abs=0.15)


def test_moran_i_helper_is_esdas_formula(square):
    frame, w = square
    values = gradient(frame, 6, slope=0.1, seed=4).to_numpy()
    assert moran_i(values, w.w.sparse.tocsr()) == pytest.approx(esda.Moran(values, w.w, permutations=0).I)


def test_moran_is_repeatable_independent_of_row_order_and_leaves_global_random_state_alone(square):
    frame, w = square
    values = gradient(frame, 6, slope=0.06, seed=3)
    np.random.seed(2024)
    expected_next = np.random.random()
    np.random.seed(2024)
    first = moran(values, w, permutations=499, seed=8)
    assert np.random.random() == expected_next
    assert moran(values, w, permutations=499, seed=8) == first
    shuffled = frame.sample(frac=1.0, random_state=5)
    other = moran(values.reindex(shuffled.index), spatial_weights(shuffled), permutations=499, seed=8)
    assert other.I == pytest.approx(first.I, rel=1e-12)
    assert other.p_sim == first.p_sim


def test_an_array_is_taken_in_the_order_of_the_weights(square):
    frame, w = square
    values = gradient(frame, 6, slope=0.3, seed=7)
    assert moran(values.to_numpy(), w, permutations=0).I == pytest.approx(moran(values, w, permutations=0).I)
    with pytest.raises(StatisticError, match="35 values were given for the 36 areas of Grid"):
        moran(values.to_numpy()[:-1], w, name="Grid")


def test_missing_values_are_left_out_listed_and_the_weights_rebuilt(square):
    frame, w = square
    values = gradient(frame, 6, slope=0.3, seed=7)
    values[["G00", "G07", "G20"]] = np.nan
    values["G30"] = np.inf
    result = moran(values, w, permutations=0)
    assert result.n == 32
    assert result.left_out == ["G00", "G07", "G20", "G30"]
    kept = frame.drop(["G00", "G07", "G20", "G30"])  # the weights of the areas with values, from their shapes
    reference = esda.Moran(values[kept.index].to_numpy(), spatial_weights(kept).w, permutations=0)
    assert result.I == pytest.approx(reference.I, rel=1e-12)


# -- permutation test and ties ---------------------------------------------------------------------------

def test_ties_with_the_observed_i_count_as_reaching_it():
    """Along a chain, reversing sorted values gives exactly the same I; such ties count, whatever the rounding.

    Of the 24 orders of four sorted values, two (as observed, and reversed) reach the observed (largest)
    I, so the pseudo p-value is about (999 / 12 + 1) / 1000; an observed I off by rounding (1e-13) gives
    the same replicates the same count, while a real difference (1e-6) leaves no replicate at or above it.
    """
    frame = grid(4, 1)
    w = spatial_weights(frame)
    y = np.array([0.1, 0.7, 1.3, 1.9]) * np.pi
    matrix = w.w.sparse.tocsr()
    observed = moran(pd.Series(y, index=frame.index), w, permutations=0).I
    exact = permutation_test(y, matrix, observed, 999, seed=12345)
    assert 0.05 < exact.p_sim < 0.12  # (83 +- 4.5 sd of 8.7 + 1) / 1000
    for rounded in (observed * (1 + 1e-13), observed * (1 - 1e-13)):
        assert permutation_test(y, matrix, rounded, 999, seed=12345).p_sim == exact.p_sim
    above = permutation_test(y, matrix, observed + 1e-6, 999, seed=12345)
    assert above.p_sim == pytest.approx(1 / 1000)


def test_when_every_replicate_ties_the_p_value_follows_esdas_rule():
    # three areas, each the neighbour of the other two: every order of the values gives I = -1 / (n - 1),
    # so all 99 replicates tie; esda's rule takes the smaller tail, min(99, 99 - 99) = 0: p = (0 + 1) / 100
    frame = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(0, 100, 200, 200)],
                             index=["A", "B", "C"], crs="EPSG:27700")
    w = spatial_weights(frame)
    assert all(len(v) == 2 for v in w.neighbours.values())
    result = moran(pd.Series([1.0, 5.0, 2.0], index=w.ids), w, permutations=99)
    assert result.I == pytest.approx(-0.5)
    assert result.p_sim == pytest.approx(1 / 100)


def test_the_permutation_distribution_is_centred_on_the_expectation(square):
    frame, w = square
    values = gradient(frame, 6, slope=0.0, seed=9).to_numpy()
    test = permutation_test(values, w.w.sparse.tocsr(), 0.0, 2000, seed=3)
    assert test.mean == pytest.approx(-1 / 35, abs=0.01)  # E[I] = -1 / (n - 1)
    assert permutation_test(values, w.w.sparse.tocsr(), 0.0, 2000, seed=3) == test
    assert np.isnan(permutation_test(values, w.w.sparse.tocsr(), 0.0, 0, seed=3).p_sim)


# -- refused -----------------------------------------------------------------------------------------------

def test_fewer_than_three_areas_with_values_is_refused(square):
    frame, w = square
    values = pd.Series(np.nan, index=frame.index)
    values[["G00", "G01"]] = [1.0, 2.0]
    with pytest.raises(StatisticError, match="Moran's I cannot be computed for Grid town: it needs at least 3 "
                                             "areas with a value, and there are 2"):
        moran(values, w, name="Grid town")
    with pytest.raises(StatisticError, match="and there is 1"):
        lisa(values.where(values.index == "G00"), w)


def test_constant_values_are_refused(square):
    frame, w = square
    with pytest.raises(StatisticError, match="every area has the same value \\(0.25\\)"):
        moran(pd.Series(0.25, index=frame.index), w)
    with pytest.raises(StatisticError, match="Local Moran's I \\(LISA\\).*same value"):
        lisa(pd.Series(0.25, index=frame.index), w)


def test_no_area_with_a_neighbour_is_refused():
    frame = grid(3, 1, gap=10)
    w = spatial_weights(frame)
    assert w.islands == list(frame.index)
    values = pd.Series([1.0, 2.0, 3.0], index=frame.index)
    with pytest.raises(StatisticError, match="no area has a neighbour within the 1 m snapping tolerance"):
        moran(values, w)
    with pytest.raises(StatisticError, match="no area has a neighbour"):
        lisa(values, w)


def test_values_for_unknown_or_repeated_areas_are_refused(square):
    frame, w = square
    extra = pd.Series(1.0, index=[*frame.index, "ZZ99"])
    with pytest.raises(StatisticError, match="1 value\\(s\\) are for areas not in the weights of these areas: ZZ99"):
        moran(extra, w)
    repeated = pd.Series(1.0, index=[*frame.index, "G03"])
    with pytest.raises(StatisticError, match="Values repeat for 1 area\\(s\\) of these areas: G03"):
        moran(repeated, w)


def test_check_computable_says_why_and_is_an_atlas_error():
    with pytest.raises(AtlasError, match="Statistic X cannot be computed for Y"):
        check_computable(np.array([1.0, 2.0]), 0, 1.0, "Y", "Statistic X")
    check_computable(np.array([1.0, 2.0, 3.0]), 2, 1.0, None, "Moran's I")  # one area has a neighbour: fine


# -- LISA --------------------------------------------------------------------------------------------------

def test_lisa_equals_esda_moran_local_with_the_same_seed(square):
    frame, w = square
    values = gradient(frame, 6, slope=0.3, seed=7)
    table = lisa(values, w, permutations=999, seed=5)
    reference = esda_seeded(esda.Moran_Local, values.to_numpy(), w.w, transformation="r", permutations=999,
                            seed=5, global_seed=0)
    assert list(table.index) == list(frame.index)
    assert table["local_i"].to_numpy() == pytest.approx(np.asarray(reference.Is))
    assert table["p_sim"].to_numpy() == pytest.approx(np.asarray(reference.p_sim))
    quadrant = pd.Series(reference.q, index=frame.index).map(QUADRANT_NAMES)
    assert (table["quadrant"] == quadrant).all()
    significant = np.asarray(reference.p_sim) < 0.05
    expected = np.where(significant, quadrant, "Not significant")
    assert list(table["cluster"]) == list(expected)
    assert list(table["significant"]) == list(significant)
    assert 0 < significant.sum() < len(frame)
    assert table.attrs["alpha"] == 0.05 and table.attrs["permutations"] == 999 and table.attrs["seed"] == 5


def test_local_i_by_hand_on_a_chain():
    # esda's local I: (n - 1) z_i lag(z)_i / z'z; values 1..4: z'z = 5, lag(z) = (-0.5, -0.5, 0.5, 0.5)
    frame = grid(4, 1)
    table = lisa(pd.Series([1.0, 2.0, 3.0, 4.0], index=frame.index), spatial_weights(frame), permutations=9)
    z, lag = np.array([-1.5, -0.5, 0.5, 1.5]), np.array([-0.5, -0.5, 0.5, 0.5])
    assert table["local_i"].to_numpy() == pytest.approx(3 * z * lag / 5)
    assert list(table["quadrant"]) == [LOW_LOW, LOW_LOW, HIGH_HIGH, HIGH_HIGH]


def test_the_false_discovery_rate_threshold_is_esdas(square):
    frame, w = square
    values = gradient(frame, 6, slope=0.3, seed=7)
    plain = lisa(values, w, permutations=999, seed=5)
    strict = lisa(values, w, permutations=999, seed=5, fdr=True)
    assert strict.attrs["p_threshold"] == pytest.approx(esda.fdr(plain["p_sim"].to_numpy(), 0.05))
    assert strict.attrs["fdr"] is True
    assert list(strict["significant"]) == list(plain["p_sim"] < strict.attrs["p_threshold"])
    assert strict["significant"].sum() <= plain["significant"].sum()


def test_islands_are_no_neighbours_and_missing_values_no_data():
    far = grid(1, 1, prefix="Z")
    far["geometry"] = far.translate(-5_000, 0)
    frame = pd.concat([grid(4, 4), far])
    w = spatial_weights(frame)
    assert w.islands == ["Z00"]
    values = pd.Series(np.r_[np.linspace(0, 1, 16), 9.0], index=frame.index)
    values[["G01", "G04", "G05"]] = np.nan  # G00's only neighbours
    table = lisa(values, w, permutations=99, seed=1)
    assert table.loc["Z00", "cluster"] == NO_NEIGHBOURS
    assert table.loc["G00", "cluster"] == NO_NEIGHBOURS  # its neighbours have no value
    assert (table.loc[["G01", "G04", "G05"], "cluster"] == NO_DATA).all()
    assert table.loc[["Z00", "G00", "G01"], "p_sim"].isna().all()
    assert not table.loc[["Z00", "G00", "G01"], "significant"].any()
    assert table.attrs["left_out"] == ["G01", "G04", "G05"]
    counts = lisa_counts(table)
    assert list(counts) == list(CLUSTERS)
    assert counts[NO_DATA] == 3 and counts[NO_NEIGHBOURS] == 2 and sum(counts.values()) == 17


def test_lisa_is_repeatable_whatever_the_row_order_and_leaves_global_random_state_alone(square):
    frame, w = square
    values = gradient(frame, 6, slope=0.3, seed=7)
    state = np.random.get_state()
    table = lisa(values, w, permutations=199, seed=2)
    after = np.random.get_state()
    assert all(np.array_equal(a, b) for a, b in zip(state[1:2], after[1:2])) and state[2] == after[2]
    shuffled = frame.sample(frac=1.0, random_state=3)
    other = lisa(values.reindex(shuffled.index), spatial_weights(shuffled), permutations=199, seed=2)
    assert list(other.index) == list(shuffled.index)
    assert other.reindex(table.index)["cluster"].equals(table["cluster"])
    assert other.reindex(table.index)["p_sim"].equals(table["p_sim"])


def test_lisa_counts_list_every_category():
    table = pd.DataFrame({"cluster": [HIGH_HIGH, HIGH_HIGH, NOT_SIGNIFICANT]})
    assert lisa_counts(table) == {"High-High": 2, "Low-Low": 0, "High-Low": 0, "Low-High": 0,
                                  "Not significant": 1, "No neighbours": 0, "No data": 0}


@pytest.mark.parametrize("alpha", [0, 1, 5, -0.1])
def test_lisa_refuses_a_significance_level_outside_zero_to_one(square, alpha):
    frame, w = square
    with pytest.raises(StatisticError, match=f"between 0 and 1 \\(got {alpha}\\)"):
        lisa(gradient(frame, 6, 0.3, 7), w, alpha=alpha)


def test_lisa_needs_permutations(square):
    frame, w = square
    with pytest.raises(StatisticError, match="need a permutation test"):
        lisa(gradient(frame, 6, 0.3, 7), w, permutations=0)
