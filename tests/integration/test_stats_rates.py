"""Confidence intervals and Better/Similar/Worse, checked against figures worked by hand (issue 3)."""

from __future__ import annotations

import numpy as np
import pytest

from atlas.errors import StatisticError
from atlas.stats import byar_interval, compare, compare_count, rate_interval, standardised_ratio, wilson_interval


def test_byar_interval_of_100_is_the_published_81_36_to_121_63():
    lower, upper = byar_interval(100)
    assert (round(lower, 2), round(upper, 2)) == (81.36, 121.63)


def test_byar_by_hand_at_99_8_percent():
    z = 3.090232306167813  # the normal quantile for 99.8% two-sided
    o = 50
    lower, upper = byar_interval(o, 0.998)
    assert lower == pytest.approx(o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3)
    assert upper == pytest.approx((o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3)


@pytest.mark.parametrize("count, lower, upper", [
    # exact Poisson 95% limits (Garwood), tabulated e.g. in Fingertips' technical guidance
    (0, 0.0, 3.6889), (1, 0.0253, 5.5716), (5, 1.6235, 11.6683), (9, 4.1154, 17.0848),
])
def test_exact_poisson_limits_under_ten(count, lower, upper):
    lo, hi = byar_interval(count)
    assert lo == pytest.approx(lower, abs=1e-4) and hi == pytest.approx(upper, abs=1e-4)


def test_byar_takes_over_at_ten():
    lo, hi = byar_interval(np.array([9, 10]))
    byar10 = 10 * (1 - 1 / 90 - 1.959964 / (3 * np.sqrt(10))) ** 3
    assert lo[1] == pytest.approx(byar10, rel=1e-6)
    assert lo[0] == pytest.approx(4.1154, abs=1e-4)


def test_wilson_interval_by_hand():
    lower, upper = wilson_interval(20, 100)
    # centre (0.2 + 1.92/100) / 1.0384 = 0.2111; half-width 1.96 sqrt(0.0016 + 0.000096) / 1.0384 = 0.0777
    assert (round(lower, 4), round(upper, 4)) == (0.1334, 0.2888)
    lo0, hi0 = wilson_interval(0, 50)
    assert lo0 == 0 and hi0 == pytest.approx(3.8415 / 53.8415, abs=1e-4)
    lo_all, hi_all = wilson_interval(50, 50)
    assert hi_all == pytest.approx(1.0) and lo_all == pytest.approx(50 / 53.8415, abs=1e-4)


def test_wilson_refuses_impossible_proportions():
    with pytest.raises(StatisticError):
        wilson_interval(11, 10)
    with pytest.raises(StatisticError):
        wilson_interval(1, 0)


def test_rates_and_standardised_ratios_scale_the_count_limits():
    rate, lo, hi = rate_interval(100, 50_000, per=100_000)
    assert rate == pytest.approx(200.0)
    assert (round(lo, 1), round(hi, 1)) == (162.7, 243.3)
    ratio, lo, hi = standardised_ratio(100, 80)
    assert ratio == pytest.approx(125.0)
    assert (round(lo, 1), round(hi, 1)) == (101.7, 152.0)


def test_compare_uses_the_interval_and_the_polarity():
    # higher is worse (e.g. a mortality rate): interval above the benchmark is Worse
    assert compare(110, 130, 100, "worse") == "Worse"
    assert compare(80, 95, 100, "worse") == "Better"
    assert compare(95, 105, 100, "worse") == "Similar"
    assert compare(100, 105, 100, "worse") == "Similar"  # benchmark on the limit
    assert compare(110, 130, 100, "better") == "Better"
    assert compare(110, 130, 100, "neutral") == "Higher"
    assert compare(80, 95, 100, "neutral") == "Lower"
    assert compare(np.nan, 95, 100) == "Not compared"
    assert list(compare(np.array([80, 95]), np.array([95, 105]), 100)) == ["Better", "Similar"]
    with pytest.raises(StatisticError):
        compare(1, 2, 3, "up")


def test_the_two_fingertips_levels_can_disagree():
    # 125 in 1,000 against 10%: worse at 95%, similar at 99.8%
    result = compare_count(125, 1000, 10.0, kind="proportion", higher_is="worse", per=100)
    assert result["value"] == pytest.approx(12.5)
    assert result["95%"]["comparison"] == "Worse"
    assert result["99.8%"]["comparison"] == "Similar"
    lo, hi = wilson_interval(125, 1000, 0.998)
    assert result["99.8%"]["lower"] == pytest.approx(lo * 100)
