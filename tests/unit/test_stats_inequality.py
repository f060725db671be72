"""atlas.stats.inequality: 20:20 and 10:10 counts, area Gini, slope index of inequality, local quantiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from inequality.gini import Gini
from scipy.stats import norm

from atlas.errors import StatisticError
from atlas.stats import AreaGini, area_gini, local_quantiles, slope_index, ten_ten, twenty_twenty

# -- 20:20 and 10:10 ----------------------------------------------------------------------------------

DECILES = [1, 1, 1, 2, 2, 3, 5, 8, 9, 10, 10, np.nan]  # 11 areas with a decile, one without


def test_twenty_twenty_counts_deciles_one_two_and_nine_ten():
    result = twenty_twenty(DECILES)
    # most deprived 20%: 1, 1, 1, 2, 2 (5 areas); least deprived 20%: 9, 10, 10 (3 areas)
    assert result == {"least": 3, "most": 5, "share": 2 / 11, "n": 11, "missing": 1, "label": "3 : 5"}


def test_ten_ten_counts_deciles_one_and_ten():
    assert ten_ten(DECILES) == {"least": 2, "most": 3, "share": 1 / 11, "n": 11, "missing": 1, "label": "2 : 3"}


def test_deciles_may_come_as_a_series_of_text_or_floats():
    series = pd.Series(["1", "10", "10.0", None, "x"], index=list("abcde"))
    result = twenty_twenty(series)
    assert (result["least"], result["most"], result["n"], result["missing"]) == (2, 1, 3, 2)


@pytest.mark.parametrize("bad, example", [([1, 2, 11], "11"), ([0, 3], "0"), ([1.5, 2], "1.5"), ([-1], "-1")])
def test_values_that_are_not_deciles_are_refused(bad, example):
    with pytest.raises(StatisticError, match=f"whole numbers from 1 to 10; Testshire have 1 other value\\(s\\), "
                                             f"e.g. {example}"):
        twenty_twenty(bad, name="Testshire")


def test_no_decile_at_all_is_refused():
    with pytest.raises(StatisticError, match="No area of Testshire has a national decile: no 20:20 index"):
        ten_ten([np.nan, None], name="Testshire")


# -- area Gini --------------------------------------------------------------------------------------------

def gini_by_definition(x, p=None) -> float:
    """G = sum_i sum_j p_i p_j |x_i - x_j| / (2 P^2 mean), mean weighted by p (p = 1 when not given)."""
    x = np.asarray(x, dtype=float)
    p = np.ones_like(x) if p is None else np.asarray(p, dtype=float)
    total = p.sum()
    mean = (p * x).sum() / total
    return float((p[:, None] * p[None, :] * np.abs(x[:, None] - x[None, :])).sum() / (2 * total ** 2 * mean))


def test_gini_by_hand():
    # ordered pairs of 1, 2, 3, 4 differ by 20 in all; n^2 = 16, mean 2.5: G = 20 / (2 * 16 * 2.5) = 0.25
    assert area_gini([1, 2, 3, 4]).gini == pytest.approx(0.25)
    assert area_gini([7, 7, 7]).gini == 0.0
    # everything in one of n areas: G = (n - 1) / n
    assert area_gini([0, 0, 0, 12]).gini == pytest.approx(3 / 4)


def test_unweighted_gini_is_the_inequality_packages():
    values = np.random.default_rng(5).lognormal(size=40)
    result = area_gini(values)
    assert result.gini == pytest.approx(Gini(values).g, rel=1e-12)
    assert result.gini == pytest.approx(gini_by_definition(values), rel=1e-12)
    assert result.n == 40 and not result.population_weighted and result.left_out == []


def test_weighted_gini_is_the_gini_of_residents():
    values = np.array([0.05, 0.10, 0.20, 0.40, 0.30, 0.12])
    population = np.array([3, 1, 4, 1, 5, 9])
    result = area_gini(values, population)
    assert result.population_weighted
    assert result.gini == pytest.approx(gini_by_definition(values, population), rel=1e-12)
    assert result.gini == pytest.approx(Gini(np.repeat(values, population)).g, rel=1e-12)
    # non-integer populations: the definition still holds
    fractional = population * 1.37
    assert area_gini(values, fractional).gini == pytest.approx(gini_by_definition(values, fractional), rel=1e-12)


def test_populations_are_aligned_on_the_codes_and_missing_values_left_out():
    values = pd.Series([10.0, 20.0, np.nan, 40.0, 5.0], index=["a", "b", "c", "d", "e"])
    population = pd.Series([100, 50, 70, 200, np.nan], index=["e", "d", "c", "b", "a"])  # another order
    result = area_gini(values, population)
    assert result.left_out == ["a", "c"]  # a has no population, c no value
    assert result.n == 3
    assert result.gini == pytest.approx(gini_by_definition([20.0, 40.0, 5.0], [200, 50, 100]), rel=1e-12)


def test_the_gini_says_what_it_is_not():
    result = area_gini([1, 2, 3])
    assert isinstance(result, AreaGini)
    assert result.label == "area Gini"
    assert "not the household-income Gini" in result.note
    assert result.as_dict()["gini"] == result.gini


@pytest.mark.parametrize("values, population, message", [
    ([1, 2], None, "at least 3 areas with a value, and there are 2"),
    ([1, np.nan, np.nan], None, "and there is 1"),
    ([1, -2, 3], None, "values of 0 or more, and 1 area\\(s\\) have negative values"),
    ([0, 0, 0], None, "every value is 0"),
    ([1, 2, 3], [1, -1, 1], "Populations must be 0 or more"),
    ([1, 2, 3], [0, 0, 0], "every population is 0"),
    ([1, 2, 3], [1, 2], "2 populations were given for 3 values"),
])
def test_the_gini_refuses_what_it_cannot_compute(values, population, message):
    with pytest.raises(StatisticError, match=message):
        area_gini(values, population)


# -- slope index of inequality -------------------------------------------------------------------------------

POPULATION = np.array([1200, 900, 1500, 1100, 800, 1000, 1300, 700, 1600, 900], dtype=float)


def relative_ranks(population: np.ndarray) -> np.ndarray:
    """Midpoint of each group's share of the cumulative population, most deprived first."""
    share = population / population.sum()
    return np.cumsum(share) - share / 2


def test_relative_rank_is_the_midpoint_of_the_cumulative_population_share():
    ranks = relative_ranks(np.array([1.0, 1.0, 2.0]))  # shares 1/4, 1/4, 1/2
    assert ranks == pytest.approx([1 / 8, 3 / 8, 3 / 4])
    result = slope_index([1, 2, 3, 4, 5], [1, 1, 2, 2, 4], se=[0.1] * 5, simulations=1000)
    assert result.relative_rank == pytest.approx(relative_ranks(np.array([1, 1, 2, 2, 4.0])))
    assert result.groups == 5


def test_a_linear_gradient_gives_its_slope_exactly():
    rank = relative_ranks(POPULATION)
    values = 70.0 + 12.0 * rank  # e.g. life expectancy rising by 12 years from most to least deprived
    result = slope_index(values, POPULATION, se=np.zeros(10), simulations=1000, seed=1)
    assert result.sii == pytest.approx(12.0)
    assert result.lower == pytest.approx(12.0) and result.upper == pytest.approx(12.0)  # no sampling error
    assert result.rii == pytest.approx(82.0 / 70.0)  # fitted value at rank 1 over that at rank 0
    reversed_polarity = slope_index(values, POPULATION, se=np.zeros(10), simulations=1000, multiplier=-1)
    assert reversed_polarity.sii == pytest.approx(-12.0)
    assert reversed_polarity.rii == pytest.approx(70.0 / 82.0)


def test_the_slope_is_the_population_weighted_least_squares_slope():
    rank = relative_ranks(POPULATION)
    values = 60 + 10 * rank + np.array([0.8, -1.1, 0.3, 0.9, -0.4, -0.7, 1.2, -0.2, 0.1, -0.6])
    share = POPULATION / POPULATION.sum()
    rbar, ybar = (share * rank).sum(), (share * values).sum()
    slope = (share * (rank - rbar) * (values - ybar)).sum() / (share * (rank - rbar) ** 2).sum()
    assert slope_index(values, POPULATION, se=np.ones(10), simulations=1000).sii == pytest.approx(slope)


def test_the_interval_matches_the_normal_theory_interval_of_a_linear_estimator():
    """The slope is linear in the values, so with normal errors its 95% interval is slope +- 1.96 sd."""
    rank = relative_ranks(POPULATION)
    values = 70.0 + 12.0 * rank
    se = np.linspace(0.5, 1.5, 10)
    share = POPULATION / POPULATION.sum()
    rbar = (share * rank).sum()
    coefficients = share * (rank - rbar) / (share * (rank - rbar) ** 2).sum()
    sd = np.sqrt((coefficients ** 2 * se ** 2).sum())
    result = slope_index(values, POPULATION, se=se, confidence=(0.95, 0.998), seed=3)  # 100,000 simulations
    for level in (0.95, 0.998):
        lo, hi = result.intervals[level]
        half = norm.ppf(0.5 + level / 2) * sd
        assert lo == pytest.approx(12.0 - half, abs=0.03 * half)
        assert hi == pytest.approx(12.0 + half, abs=0.03 * half)
    assert (result.lower, result.upper) == result.intervals[0.95]
    assert result.simulations == 100_000 and result.seed == 3
    assert result.as_dict()["intervals"]["99.8%"] == list(result.intervals[0.998])
    assert slope_index(values, POPULATION, se=se, seed=3).intervals[0.95] == result.intervals[0.95]  # repeatable


def test_confidence_limits_give_the_standard_error():
    rank = relative_ranks(POPULATION)
    values = 70.0 + 12.0 * rank
    se = np.full(10, 0.8)
    z = norm.ppf(0.975)
    from_se = slope_index(values, POPULATION, se=se, seed=4)
    from_limits = slope_index(values, POPULATION, lower=values - z * se, upper=values + z * se, seed=4)
    assert from_limits.intervals[0.95] == pytest.approx(from_se.intervals[0.95], rel=1e-9)


def test_a_series_of_groups_is_taken_in_the_order_of_its_index():
    values = pd.Series([5.0, 4.0, 3.0, 2.0, 1.0], index=[5, 4, 3, 2, 1])  # group 1 (most deprived) has 1.0
    population = pd.Series([1.0] * 5, index=[1, 2, 3, 4, 5])
    result = slope_index(values, population, se=[0.0] * 5, simulations=1000)
    assert result.sii == pytest.approx(5.0)  # values 1..5 at ranks 0.1..0.9: slope 1 / 0.2 = 5


@pytest.mark.parametrize("kwargs, message", [
    ({"values": [1, 2, 3, 4], "population": [1, 1, 1, 1]}, "5 to 100 deprivation groups"),
    ({"values": [1, 2, np.nan, 4, 5]}, "group\\(s\\) 3 have no value"),
    ({"population": [1, 1, 0, 1, 1]}, "group\\(s\\) 3 have a missing, zero or negative population"),
    ({"values": [0.1, 0.2, 0.3, 0.4, 1.2], "value_type": "proportion"}, "strictly between 0 and 1"),
    ({"values": [0.0, 0.2, 0.3, 0.4, 0.5], "value_type": "rate"}, "rates must be above 0"),
    ({"value_type": "odds"}, "value_type must be one of normal, rate, proportion"),
    ({"simulations": 999}, "at least 1,000 simulations"),
    ({"confidence": 0.4}, "Confidence levels must be between 0.5 and 1"),
    ({"se": None}, "needs each group's standard error, or its 95% confidence limits"),
    ({"se": [0.1, -0.1, 0.1, 0.1, 0.1]}, "group\\(s\\) 2 have a missing or negative standard error"),
    ({"population": [1, 1, 1]}, "5 values but 3 populations"),
])
def test_the_slope_index_refuses_what_it_cannot_compute(kwargs, message):
    arguments = {"values": [1, 2, 3, 4, 5], "population": [1, 1, 1, 1, 1], "se": [0.1] * 5, "simulations": 1000,
                 **kwargs}
    with pytest.raises(StatisticError, match=message):
        slope_index(**arguments)


# -- local quantiles ---------------------------------------------------------------------------------------------

def test_local_quintiles_of_equal_areas_pair_them_by_deprivation():
    scores = pd.Series([10.0, 9, 8, 7, 6, 5, 4, 3, 2, 1], index=list("abcdefghij"))  # higher = more deprived
    groups = local_quantiles(scores, k=5)
    # midpoints (i + 0.5) / 10 of the areas in order of deprivation fall in fifths two by two
    assert list(groups) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert str(groups.dtype) == "Int64"


def test_local_quantiles_follow_the_population_and_leave_missing_areas_out():
    scores = pd.Series([3.0, np.nan, 1.0, 2.0], index=["x", "y", "z", "w"])
    population = pd.Series([100, 50, 300, 100], index=["x", "y", "z", "w"])
    groups = local_quantiles(scores, population, k=2)
    # order by deprivation: x (100), w (100), z (300) of 500; midpoints 0.1, 0.3, 0.7: halves 1, 1, 2
    assert groups.drop("y").to_dict() == {"x": 1, "z": 2, "w": 1}
    assert pd.isna(groups["y"]) and list(groups.index) == ["x", "y", "z", "w"]


def test_local_quantiles_need_enough_areas():
    with pytest.raises(StatisticError, match="3 areas cannot be split into 5 deprivation groups"):
        local_quantiles(pd.Series([1.0, 2.0, 3.0]), k=5)
