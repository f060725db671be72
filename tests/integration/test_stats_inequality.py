"""20:20 and 10:10 indices, area Gini, slope index of inequality (issue 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from inequality.gini import Gini

from atlas.errors import StatisticError
from atlas.stats import area_gini, local_quantiles, slope_index, ten_ten, twenty_twenty

# -- 20:20 ---------------------------------------------------------------------------------------

def test_luton_twenty_twenty_reproduces_the_published_10_to_34(luton):
    result = twenty_twenty(luton.values("income19_decile", "lsoa11"))
    assert (result["least"], result["most"], result["n"]) == (10, 34, 121)
    assert round(result["share"], 3) == 0.198
    assert result["label"] == "10 : 34"


def test_ten_ten_counts_the_extreme_deciles_only():
    deciles = pd.Series([1, 1, 2, 5, 9, 10, 10, 10, np.nan])
    assert ten_ten(deciles) == {"least": 3, "most": 2, "share": 1 / 8, "n": 8, "missing": 1, "label": "3 : 2"}
    assert twenty_twenty(deciles)["least"] == 4 and twenty_twenty(deciles)["most"] == 3


@pytest.mark.parametrize("bad", [[1, 2, 11], [0, 3], [1.5, 2]])
def test_decile_values_are_checked(bad):
    with pytest.raises(StatisticError, match="whole numbers from 1 to 10"):
        twenty_twenty(bad)


def test_no_deciles_at_all_is_an_error():
    with pytest.raises(StatisticError, match="no 20:20"):
        twenty_twenty([np.nan, np.nan], name="Test district")


# -- area Gini -------------------------------------------------------------------------------------

def test_gini_by_hand():
    # sum over ordered pairs |xi - xj| = 20; G = 20 / (2 n^2 mean) = 20 / (2 * 16 * 2.5)
    assert area_gini([1, 2, 3, 4]).gini == pytest.approx(0.25)
    assert area_gini([5, 5, 5]).gini == pytest.approx(0.0)


def test_unweighted_gini_is_pysal():
    values = np.random.default_rng(1).gamma(2.0, size=50)
    assert area_gini(values).gini == pytest.approx(Gini(values).g)
    assert not area_gini(values).population_weighted


def test_weighted_gini_equals_the_gini_of_residents():
    values = np.array([0.05, 0.10, 0.20, 0.40, 0.30])
    population = np.array([3, 1, 4, 1, 5])
    result = area_gini(values, population)
    assert result.population_weighted
    assert result.gini == pytest.approx(Gini(np.repeat(values, population)).g)
    assert result.label == "area Gini"
    assert "not the household-income Gini" in result.note


def test_gini_aligns_series_and_reports_left_out_areas():
    values = pd.Series([0.1, 0.2, np.nan, 0.4, 0.3], index=list("abcde"))
    population = pd.Series([np.nan, 10, 10, 10, 10], index=list("edcba"))  # 'e' has no population
    result = area_gini(values, population)
    assert result.left_out == ["c", "e"]
    assert result.gini == pytest.approx(Gini(np.array([0.1, 0.2, 0.4])).g)


@pytest.mark.parametrize("values, message", [([1, 2], "at least 3"), ([1, -2, 3], "negative"),
                                             ([0, 0, 0], "every value is 0")])
def test_gini_edge_cases(values, message):
    with pytest.raises(StatisticError, match=message):
        area_gini(values)


# -- slope index of inequality -------------------------------------------------------------------

POPS = np.array([7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534], dtype=float)


def test_relative_rank_is_the_midpoint_of_cumulative_population_share():
    result = slope_index(np.linspace(70, 80, 10), POPS, se=np.full(10, 0.5), simulations=1000)
    share = POPS / POPS.sum()
    assert result.relative_rank[0] == pytest.approx(share[0] / 2)
    assert result.relative_rank[1] == pytest.approx(share[0] + share[1] / 2)


def test_sii_of_a_straight_line_is_its_slope():
    share = POPS / POPS.sum()
    rank = np.cumsum(share) - share / 2
    values = 72.0 + 9.0 * rank  # exactly linear in relative rank
    result = slope_index(values, POPS, se=np.full(10, 0.01), simulations=2000)
    assert result.sii == pytest.approx(9.0, rel=1e-10)
    assert result.rii == pytest.approx(81.0 / 72.0)
    lower, upper = result.intervals[0.95]
    assert lower < 9.0 < upper and upper - lower < 0.2


def test_sii_is_the_population_weighted_regression_slope():
    values = np.array([75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3])
    result = slope_index(values, POPS, se=np.full(10, 1.5), simulations=1000)
    share = POPS / POPS.sum()
    x = np.cumsum(share) - share / 2
    xm, ym = (share * x).sum(), (share * values).sum()
    slope = (share * (x - xm) * (values - ym)).sum() / (share * (x - xm) ** 2).sum()
    assert result.sii == pytest.approx(slope, rel=1e-10)


def test_simulated_interval_agrees_with_the_analytical_one():
    values = np.array([75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3])
    se = np.array([1.64, 1.58, 1.51, 1.78, 1.7, 1.56, 1.37, 1.4, 2.43, 1.57])
    result = slope_index(values, POPS, se=se, confidence=(0.95, 0.998), simulations=100_000, seed=5)
    share = POPS / POPS.sum()
    x = np.cumsum(share) - share / 2
    xm = (share * x).sum()
    coef = share * (x - xm) / (share * (x - xm) ** 2).sum()  # slope = coef @ values
    sd = np.sqrt((coef ** 2 * se ** 2).sum())
    lower, upper = result.intervals[0.95]
    assert lower == pytest.approx(result.sii - 1.959964 * sd, abs=0.03 * sd * 1.96)
    assert upper == pytest.approx(result.sii + 1.959964 * sd, abs=0.03 * sd * 1.96)
    wide = result.intervals[0.998]
    assert wide[0] < lower and wide[1] > upper
    assert "100,000 simulations" in result.method and "seed 5" in result.method


def test_confidence_limits_give_the_same_interval_as_the_standard_error():
    values = np.array([75.9, 78.3, 83.8, 83.6, 80.5, 81.1, 81.7, 84.2, 80.6, 86.3])
    se = np.full(10, 1.5)
    z = 1.959963984540054
    by_se = slope_index(values, POPS, se=se, simulations=5000, seed=1)
    by_ci = slope_index(values, POPS, lower=values - z * se, upper=values + z * se, simulations=5000, seed=1)
    assert by_ci.intervals[0.95] == pytest.approx(by_se.intervals[0.95])


def test_sii_is_repeatable_with_its_seed():
    values = np.linspace(0.2, 0.1, 5)
    kwargs = dict(se=np.full(5, 0.1), value_type="rate", simulations=2000)
    assert slope_index(values, POPS[:5], seed=3, **kwargs) == slope_index(values, POPS[:5], seed=3, **kwargs)


def test_sii_sorts_a_series_by_group_number():
    values = pd.Series([80.0, 78.0, 76.0, 74.0, 72.0], index=[5, 4, 3, 2, 1])
    result = slope_index(values, pd.Series(1000.0, index=[1, 2, 3, 4, 5]), se=np.full(5, 0.2), simulations=1000)
    assert result.sii > 0  # group 1 (most deprived) has the lowest value


@pytest.mark.parametrize("kwargs, message", [
    (dict(values=[1, 2, 3, 4], population=[1, 1, 1, 1], se=[1, 1, 1, 1]), "5 to 100"),
    (dict(values=[1, 2, 3, 4, 5], population=[1, 1, 0, 1, 1], se=[1] * 5), "population"),
    (dict(values=[1, 2, np.nan, 4, 5], population=[1] * 5, se=[1] * 5), "no value"),
    (dict(values=[1, 2, 3, 4, 5], population=[1] * 5), "standard error"),
    (dict(values=[10, 20, 30, 40, 50], population=[1] * 5, se=[1] * 5, value_type="proportion"), "between 0 and 1"),
])
def test_sii_input_errors(kwargs, message):
    with pytest.raises(StatisticError, match=message):
        slope_index(simulations=1000, **kwargs)


def test_local_quantiles_split_by_population_most_deprived_first():
    score = pd.Series([50.0, 40, 30, 20, 10, np.nan], index=list("abcdef"))
    groups = local_quantiles(score, k=5)
    assert groups.loc[list("abcde")].tolist() == [1, 2, 3, 4, 5]
    assert groups.isna().loc["f"]
    weighted = local_quantiles(score, pd.Series([400.0, 100, 100, 100, 100, 0], index=list("abcdef")), k=2)
    assert weighted.loc[list("abcde")].tolist() == [1, 2, 2, 2, 2]
