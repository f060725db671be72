"""Hot spots, bivariate Moran/LISA, smoothed rates, funnel limits (issue 17), against esda called directly."""

from __future__ import annotations

import math

import esda
import numpy as np
import pandas as pd
import pytest
from esda.smoothing import Empirical_Bayes
from scipy.stats import norm

from atlas.analysis.analyses import bivariate_summary, funnel_summary, hot_spot_summary, smoothed_summary
from atlas.classify import BIVARIATE_COLOURS, bivariate_classes
from atlas.errors import StatisticError
from atlas.stats import spatial_weights
from atlas.stats.bivariate import lisa_bv, moran_bv
from atlas.stats.funnel import funnel_points, proportion_limits
from atlas.stats.hotspots import BINS, hot_spots
from atlas.stats.smoothing import eb_smoothed, lisa_rate, moran_rate

SEED = 12345
PERMUTATIONS = 999
RATE = "c21_bad_health_pct"


@pytest.fixture(scope="module")
def areas(luton):
    return luton.table("lsoa21")


@pytest.fixture(scope="module")
def weights(areas):
    return spatial_weights(areas)


def _reference_w(weights, areas):
    """The same weights esda sees: the areas in code order (they all have values here)."""
    return weights.subset(sorted(areas.index.astype(str)))


# -- Gi* ------------------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:Gi\\* requested:UserWarning")  # esda's note on the self-weight it assumes
def test_gi_star_equals_esda_g_local_on_the_same_weights_and_seed(areas, weights):
    ours = hot_spots(areas["income25_score"], weights, permutations=PERMUTATIONS, seed=SEED)
    w = _reference_w(weights, areas)
    y = areas["income25_score"].reindex(w.ids).to_numpy(dtype=float)
    state = np.random.get_state()
    reference = esda.G_Local(y, w.w, transform="R", permutations=PERMUTATIONS, star=True, seed=SEED, n_jobs=1)
    np.random.set_state(state)
    ours = ours.reindex(w.ids)
    assert np.allclose(ours["z"], reference.Zs)
    assert np.allclose(ours["gi"], reference.Gs)
    # esda's p is float32; ours the exact fraction (count of as extreme + 1) / (permutations + 1) it stands for
    exact = np.round(np.asarray(reference.p_sim, dtype=float) * (PERMUTATIONS + 1)) / (PERMUTATIONS + 1)
    assert np.array_equal(ours["p_sim"].to_numpy(), exact)
    assert np.allclose(ours["p_sim"].to_numpy(), reference.p_sim, atol=1e-7)
    # the bins, worked out here from esda's z and p
    expected = []
    for z, p in zip(reference.Zs, reference.p_sim):
        level = 99 if p < 0.01 else 95 if p < 0.05 else 90 if p < 0.10 else None
        expected.append("Not significant" if level is None else
                        f"{'Hot' if z > 0 else 'Cold'} spot ({level}% confidence)")
    assert ours["bin"].tolist() == expected
    assert set(ours["bin"]) <= set(BINS)
    assert (ours["bin"] != "Not significant").sum() > 0


def test_gi_star_leaves_global_random_state_alone_and_repeats(areas, weights):
    np.random.seed(7)
    before = np.random.get_state()[1].copy()
    first = hot_spots(areas["income25_score"], weights, seed=SEED)
    assert np.array_equal(np.random.get_state()[1], before)
    second = hot_spots(areas["income25_score"].sample(frac=1, random_state=1), weights, seed=SEED)
    pd.testing.assert_frame_equal(first, second)


def test_gi_star_fdr_is_never_looser(areas, weights):
    plain = hot_spots(areas["income25_score"], weights, seed=SEED)
    fdr = hot_spots(areas["income25_score"], weights, seed=SEED, fdr=True)
    assert (fdr["bin"] != "Not significant").sum() <= (plain["bin"] != "Not significant").sum()
    assert all(fdr.attrs["cutoffs"][lvl] <= cut for lvl, cut in ((99, 0.01), (95, 0.05), (90, 0.10)))


def test_gi_star_refuses_negative_constant_and_missing_values(areas, weights):
    with pytest.raises(StatisticError, match="negative values"):
        hot_spots(areas["health25_score"], weights)
    with pytest.raises(StatisticError, match="same value"):
        hot_spots(pd.Series(1.0, index=areas.index), weights)
    with pytest.raises(StatisticError, match="at least 3 areas"):
        hot_spots(pd.Series(np.nan, index=areas.index), weights)


# -- bivariate ------------------------------------------------------------------------------------
def test_bivariate_moran_and_lisa_equal_esda(areas, weights):
    x, y = areas["income25_score"], areas[RATE]
    w = _reference_w(weights, areas)
    xs, ys = x.reindex(w.ids).to_numpy(float), y.reindex(w.ids).to_numpy(float)
    state = np.random.get_state()
    np.random.seed(SEED)
    ref = esda.Moran_BV(xs, ys, w.w, transformation="r", permutations=PERMUTATIONS)
    ref_local = esda.Moran_Local_BV(xs, ys, w.w, transformation="r", permutations=PERMUTATIONS, seed=SEED)
    np.random.set_state(state)
    ours = moran_bv(x, y, weights, permutations=PERMUTATIONS, seed=SEED)
    assert ours.I == pytest.approx(ref.I)
    assert ours.p_sim == pytest.approx(ref.p_sim)
    assert ours.correlation == pytest.approx(np.corrcoef(xs, ys)[0, 1])
    local = lisa_bv(x, y, weights, permutations=PERMUTATIONS, seed=SEED).reindex(w.ids)
    assert np.allclose(local["local_i"], ref_local.Is)
    assert np.array_equal(local["p_sim"].to_numpy(), np.asarray(ref_local.p_sim, dtype=float))
    quadrants = {1: "High-High", 2: "Low-High", 3: "Low-Low", 4: "High-Low"}
    expected = [quadrants[q] if p < 0.05 else "Not significant" for q, p in zip(ref_local.q, ref_local.p_sim)]
    assert local["cluster"].tolist() == expected


def test_bivariate_classes_are_terciles_of_each_indicator(areas):
    x, y = areas["income25_score"], areas[RATE]
    classes = bivariate_classes(x, y)
    assert set(classes) <= set(BIVARIATE_COLOURS)
    # independent terciles: rank-based thirds agree with mapclassify's quantile classes on the count per third
    for which, values in ((0, x), (2, y)):
        thirds = classes.str[which].astype(int)
        upper = values.groupby(thirds).max()
        assert upper.is_monotonic_increasing
        assert thirds.value_counts().min() >= len(values) // 3 - 1


def test_bivariate_pair_on_different_geographies_is_refused_with_why(luton):
    entry = bivariate_summary(luton, "income25_score", "lsoa21", "le_male", "msoa11")
    assert not entry["available"]
    assert "different geographies" in entry["message"] and "lsoa21" in entry["message"]


def test_bivariate_with_a_constant_indicator_says_so(areas, weights):
    with pytest.raises(StatisticError, match="same value.*second indicator"):
        moran_bv(areas["income25_score"], pd.Series(3.0, index=areas.index), weights)


def test_bivariate_summary_reads_in_words(luton):
    entry = bivariate_summary(luton, "income25_score", "lsoa21", RATE, "lsoa21")
    assert entry["available"]
    assert entry["reading"].startswith(f"Bivariate Moran's I = {entry['moran']['I']:.3f}")
    assert len(entry["classes"]) == 125


# -- smoothing ------------------------------------------------------------------------------------
def test_eb_smoothed_rates_and_moran_rate_equal_esda(areas, weights):
    e, b = areas[f"{RATE}_numerator"], areas[f"{RATE}_denominator"]
    ours = eb_smoothed(e, b)
    reference = np.asarray(Empirical_Bayes(e.to_numpy(float), b.to_numpy(float)).r).ravel()
    assert np.allclose(ours["smoothed"].to_numpy(), reference)
    assert np.allclose(ours["raw"], e / b)
    w = _reference_w(weights, areas)
    es, bs = e.reindex(w.ids).to_numpy(float), b.reindex(w.ids).to_numpy(float)
    state = np.random.get_state()
    np.random.seed(SEED)
    ref = esda.Moran_Rate(es, bs, w.w, adjusted=True, transformation="r", permutations=PERMUTATIONS)
    ref_local = esda.Moran_Local_Rate(es, bs, w.w, adjusted=True, transformation="r", permutations=PERMUTATIONS,
                                      seed=SEED)
    np.random.set_state(state)
    result = moran_rate(e, b, weights, permutations=PERMUTATIONS, seed=SEED)
    assert result.I == pytest.approx(ref.I)
    assert result.p_sim == pytest.approx(ref.p_sim)
    local = lisa_rate(e, b, weights, permutations=PERMUTATIONS, seed=SEED).reindex(w.ids)
    assert np.allclose(local["local_i"], ref_local.Is)
    assert np.array_equal(local["p_sim"].to_numpy(), np.asarray(ref_local.p_sim, dtype=float))


def test_small_counts_are_flagged_unstable():
    e = pd.Series([2.0, 40.0, 80.0, 9.0], index=list("abcd"))
    b = pd.Series([10.0, 800.0, 800.0, 100.0], index=list("abcd"))
    table = eb_smoothed(e, b)
    assert table.index[table["unstable"]].tolist() == ["a", "d"]
    # the small areas move further towards the overall rate than the large ones
    overall = e.sum() / b.sum()
    assert table.attrs["overall"] == pytest.approx(overall)
    moved = (table["raw"] - table["smoothed"]) / (table["raw"] - overall)  # share of the way to the overall rate
    assert 0 < moved["c"] < moved["d"] < moved["a"] < 1


def test_smoothing_a_layer_without_counts_says_why(luton):
    entry = smoothed_summary(luton, "income25_score", "lsoa21")
    assert not entry["available"]
    assert "no numerator and denominator" in entry["message"]


def test_smoothed_summary_on_a_census_percentage(luton):
    entry = smoothed_summary(luton, RATE, "lsoa21")
    assert entry["available"] and entry["scale"] == 100
    assert "Rate-aware Moran's I" in entry["reading"]
    assert len(entry["smoothed"]) == 125


# -- funnel limits --------------------------------------------------------------------------------
def _phe_limit(probability, n, p, side):
    """PHEindicatormethods' published expression for a proportion funnel limit (sigma_adjustment), as printed."""
    z = norm.ppf(probability)
    first = p * (n / z ** 2 + 1)
    adj = math.sqrt((-8 * p * (n / z ** 2 + 1)) ** 2
                    - 64 * (1 / z ** 2 + 1 / n) * p * (n * (p * (n / z ** 2 + 2) - 1) + z ** 2 * (p - 1)))
    last = 1 / z ** 2 + 1 / n
    return ((first - adj / 8) if side == "low" else (first + adj / 8)) / last / n


def test_funnel_limits_at_p_010_n_5000_match_the_published_formula():
    # worked out by hand: half-width z * sqrt(0.1 * 0.9 / 5000) = z * 0.00424264
    assert proportion_limits(0.10, 5000, 0.95) == pytest.approx((0.0916846, 0.1083154), abs=1e-7)
    assert proportion_limits(0.10, 5000, 0.998) == pytest.approx((0.0868893, 0.1131107), abs=1e-7)
    for level, probability in ((0.95, 0.975), (0.998, 0.999)):
        lower, upper = proportion_limits(0.10, 5000, level)
        assert lower == pytest.approx(_phe_limit(probability, 5000, 0.10, "low"), rel=1e-9)
        assert upper == pytest.approx(_phe_limit(probability, 5000, 0.10, "high"), rel=1e-9)


def test_a_point_outside_the_funnel_is_one_whose_wilson_interval_excludes_the_target():
    from atlas.stats import wilson_interval
    n = pd.Series([5000.0] * 4, index=list("abcd"))
    x = pd.Series([455.0, 460.0, 540.0, 545.0], index=list("abcd"))
    table = funnel_points(x, n, 0.10)
    for code in x.index:
        lower, upper = wilson_interval(x[code], n[code], 0.95)
        assert (table.loc[code, "position"] == "Within 95% limits") == (lower <= 0.10 <= upper)


def test_practice_funnel_has_district_and_england_targets(luton):
    entry = funnel_summary(luton, "qof_dm", "points:gp_practices", highlight=("pcn_name", "Titan PCN"))
    assert entry["available"]
    assert set(entry["targets"]) == {"Luton", "England"}
    points = entry["points"]
    assert len(points) == 25 and points["highlight"].any()
    assert entry["targets"]["Luton"] == pytest.approx(points["numerator"].sum() / points["denominator"].sum() * 100)


def test_funnel_of_a_layer_without_counts_says_why(luton):
    entry = funnel_summary(luton, "imd25_score", "lsoa21")
    assert not entry["available"] and "numerator and denominator" in entry["message"]


def test_hot_spot_summary_of_an_all_missing_layer_says_why(luton):
    built = luton.with_layer("lsoa21", "empty_test", pd.DataFrame({"value": np.nan}, index=luton.table("lsoa21").index),
                             {"label": "Empty", "kind": "score"})
    entry = hot_spot_summary(built, "empty_test", "lsoa21")
    assert not entry["available"] and "no value in any area" in entry["message"]
