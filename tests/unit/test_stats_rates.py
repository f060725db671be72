"""atlas.stats.rates: intervals and Better / Similar / Worse, against formulas written here with scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2, norm

from atlas.errors import StatisticError
from atlas.stats import byar_interval, compare, compare_count, rate_interval, standardised_ratio, wilson_interval
from atlas.stats.rates import proportion_interval


def z_of(confidence: float) -> float:
    return float(norm.ppf(1 - (1 - confidence) / 2))


def wilson(x: float, n: float, confidence: float) -> tuple[float, float]:
    """Wilson score interval: centre (p + z^2 / 2n) / (1 + z^2 / n), half-width z sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n)."""
    z, p = z_of(confidence), x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(centre - half, 0.0), min(centre + half, 1.0)


def byar(o: float, confidence: float) -> tuple[float, float]:
    z = z_of(confidence)
    return (o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3,
            (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3)


def exact_poisson(o: float, confidence: float) -> tuple[float, float]:
    """Garwood's exact limits: chi2(alpha/2; 2O) / 2 and chi2(1 - alpha/2; 2O + 2) / 2 (lower 0 for O = 0)."""
    alpha = 1 - confidence
    lower = chi2.ppf(alpha / 2, 2 * o) / 2 if o > 0 else 0.0
    return lower, chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2


# -- Wilson ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize("x, n", [(0, 50), (1, 7), (20, 100), (125, 1000), (499, 500), (50, 50), (3, 3000)])
def test_wilson_interval_matches_the_formula(x, n, confidence):
    assert wilson_interval(x, n, confidence) == pytest.approx(wilson(x, n, confidence), rel=1e-9, abs=1e-12)


def test_wilson_interval_of_arrays_is_elementwise():
    x, n = np.array([0, 20, 50]), np.array([50, 100, 50])
    lower, upper = wilson_interval(x, n)
    expected = [wilson(a, b, 0.95) for a, b in zip(x, n)]
    assert lower == pytest.approx([e[0] for e in expected]) and upper == pytest.approx([e[1] for e in expected])
    assert isinstance(wilson_interval(20, 100)[0], float)


@pytest.mark.parametrize("x, n", [(11, 10), (1, 0), (-1, 10), (0, -5)])
def test_impossible_proportions_are_refused(x, n):
    with pytest.raises(StatisticError, match="0 <= numerator <= denominator"):
        wilson_interval(x, n)


@pytest.mark.parametrize("confidence", [0, 1, 95, -0.5])
def test_a_confidence_level_outside_zero_to_one_is_refused(confidence):
    with pytest.raises(StatisticError, match="between 0 and 1, e.g. 0.95"):
        wilson_interval(1, 10, confidence)
    with pytest.raises(StatisticError, match="between 0 and 1"):
        byar_interval(12, confidence)


def test_proportion_interval_is_nan_where_there_is_no_proportion():
    lower, upper = proportion_interval([5, 3, 12, -1], [10, 0, 10, 10])
    assert (lower[0], upper[0]) == pytest.approx(wilson(5, 10, 0.95))
    assert np.isnan(lower[1:]).all() and np.isnan(upper[1:]).all()


# -- Byar and exact Poisson ----------------------------------------------------------------------------------

@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize("count", [10, 11, 37, 100, 2500])
def test_byar_interval_from_ten_up(count, confidence):
    assert byar_interval(count, confidence) == pytest.approx(byar(count, confidence), rel=1e-9)


@pytest.mark.parametrize("confidence", [0.95, 0.998])
@pytest.mark.parametrize("count", [0, 1, 2, 5, 9])
def test_exact_poisson_limits_under_ten(count, confidence):
    assert byar_interval(count, confidence) == pytest.approx(exact_poisson(count, confidence), rel=1e-7, abs=1e-12)


def test_the_change_of_method_at_ten_for_an_array():
    lower, upper = byar_interval(np.array([9, 10]))
    assert (lower[0], upper[0]) == pytest.approx(exact_poisson(9, 0.95))
    assert (lower[1], upper[1]) == pytest.approx(byar(10, 0.95))


@pytest.mark.parametrize("count", [-1, np.nan])
def test_a_negative_or_missing_count_is_refused(count):
    with pytest.raises(StatisticError, match="count must be 0 or more"):
        byar_interval(count)


def test_rates_and_ratios_scale_the_counts_limits():
    rate, lower, upper = rate_interval(100, 50_000, per=100_000)
    lo, hi = byar(100, 0.95)
    assert (rate, lower, upper) == pytest.approx((200.0, lo * 2, hi * 2))
    rate, lower, upper = rate_interval(4, 2_000, per=1_000, confidence=0.998)
    lo, hi = exact_poisson(4, 0.998)
    assert (rate, lower, upper) == pytest.approx((2.0, lo / 2, hi / 2))
    ratio, lower, upper = standardised_ratio(30, 24.0)
    lo, hi = byar(30, 0.95)
    assert (ratio, lower, upper) == pytest.approx((125.0, lo / 24 * 100, hi / 24 * 100))
    with pytest.raises(StatisticError, match="denominator above 0"):
        rate_interval(3, 0)
    with pytest.raises(StatisticError, match="expected count above 0"):
        standardised_ratio(3, 0)


# -- Better / Similar / Worse ------------------------------------------------------------------------------------

def expected_comparison(lower: float, upper: float, benchmark: float, higher_is: str) -> str:
    if lower > benchmark:
        return {"worse": "Worse", "better": "Better", "neutral": "Higher"}[higher_is]
    if upper < benchmark:
        return {"worse": "Better", "better": "Worse", "neutral": "Lower"}[higher_is]
    return "Similar"


@pytest.mark.parametrize("higher_is", ["worse", "better", "neutral"])
@pytest.mark.parametrize("lower, upper, benchmark", [(110, 130, 100), (80, 95, 100), (95, 105, 100),
                                                     (100, 105, 100), (95, 100, 100)])
def test_compare_by_the_interval_and_the_polarity(lower, upper, benchmark, higher_is):
    assert compare(lower, upper, benchmark, higher_is) == expected_comparison(lower, upper, benchmark, higher_is)


def test_compare_arrays_and_missing_values():
    result = compare(np.array([110, 80, np.nan]), np.array([130, 95, 99]), 100)
    assert list(result) == ["Worse", "Better", "Not compared"]
    assert compare(1, 2, np.nan) == "Not compared"
    with pytest.raises(StatisticError, match="higher_is must be 'worse', 'better' or 'neutral'"):
        compare(1, 2, 3, "up")


@pytest.mark.parametrize("count, n, benchmark, higher_is", [
    (125, 1000, 10.0, "worse"),  # above England at 95%, not at 99.8%
    (75, 1000, 10.0, "worse"),  # below at 95% only
    (160, 1000, 10.0, "better"),  # above at both levels
    (100, 1000, 10.0, "worse"),  # on the benchmark
    (3, 20, 10.0, "neutral"),  # small numbers
])
def test_compare_count_of_a_proportion_at_both_fingertips_levels(count, n, benchmark, higher_is):
    result = compare_count(count, n, benchmark, kind="proportion", higher_is=higher_is, per=100)
    assert result["value"] == pytest.approx(count / n * 100)
    for level, key in ((0.95, "95%"), (0.998, "99.8%")):
        lo, hi = (v * 100 for v in wilson(count, n, level))
        assert (result[key]["lower"], result[key]["upper"]) == pytest.approx((lo, hi))
        assert result[key]["comparison"] == expected_comparison(lo, hi, benchmark, higher_is)


def test_the_two_levels_disagree_where_the_benchmark_lies_between_their_limits():
    result = compare_count(125, 1000, 10.0, kind="proportion", higher_is="worse", per=100)
    assert (result["95%"]["comparison"], result["99.8%"]["comparison"]) == ("Worse", "Similar")
    lo95, lo998 = wilson(125, 1000, 0.95)[0] * 100, wilson(125, 1000, 0.998)[0] * 100
    assert lo998 < 10.0 < lo95


@pytest.mark.parametrize("count, population, benchmark", [(45, 10_000, 300.0), (8, 10_000, 30.0), (300, 90_000, 300.0)])
def test_compare_count_of_a_rate_uses_byar_or_exact_limits(count, population, benchmark):
    result = compare_count(count, population, benchmark, kind="rate", higher_is="worse", per=100_000)
    assert result["value"] == pytest.approx(count / population * 100_000)
    limits = exact_poisson if count < 10 else byar
    for level, key in ((0.95, "95%"), (0.998, "99.8%")):
        lo, hi = (v / population * 100_000 for v in limits(count, level))
        assert (result[key]["lower"], result[key]["upper"]) == pytest.approx((lo, hi))
        assert result[key]["comparison"] == expected_comparison(lo, hi, benchmark, "worse")


def test_compare_count_refuses_an_unknown_kind():
    with pytest.raises(StatisticError, match="kind must be 'proportion', 'rate' or 'ratio'"):
        compare_count(1, 10, 5.0, kind="odds")
