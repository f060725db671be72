"""atlas.aggregate: small areas to larger ones on tiny frames, every figure worked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas.aggregate import (
    RULES,
    by_rule,
    coverage,
    coverage_layer,
    coverage_of,
    coverage_text,
    decile_shares,
    method_text,
    ratio_of_sums,
    total,
    weighted_mean,
)

CHILDREN = ["c1", "c2", "c3", "c4", "c5", "c6"]


@pytest.fixture
def frame() -> pd.DataFrame:
    """Six small areas in two wards (W1: c1-c3, W2: c4-c6), one value missing in W2."""
    return pd.DataFrame({
        "score": [10.0, 20.0, 40.0, 5.0, np.nan, 8.0],
        "people": [100.0, 300.0, 100.0, 200.0, 50.0, 100.0],
        "pct_numerator": [10.0, 30.0, 20.0, 5.0, 7.0, 0.0],
        "pct_denominator": [100.0, 200.0, 100.0, 50.0, 70.0, 30.0],
        "decile": [1, 2, 5, 10, 1, np.nan],
    }, index=CHILDREN)


@pytest.fixture
def parent() -> pd.Series:
    return pd.Series(["W1", "W1", "W1", "W2", "W2", "W2"], index=CHILDREN)


def test_weighted_mean_by_hand(frame, parent):
    result = weighted_mean(frame["score"], parent, frame["people"])
    # W1: (10 * 100 + 20 * 300 + 40 * 100) / 500 = 22; W2 leaves c5 out: (5 * 200 + 8 * 100) / 300 = 6
    assert result.columns["value"].to_dict() == pytest.approx({"W1": 22.0, "W2": 6.0})
    assert result.incomplete == ["W2"]
    assert result.shares is None


def test_unweighted_mean_is_the_plain_mean(frame, parent):
    result = weighted_mean(frame["score"], parent, None)
    assert result.columns["value"].to_dict() == pytest.approx({"W1": 70 / 3, "W2": 6.5})


def test_a_child_with_no_or_zero_weight_is_left_out_and_its_parent_listed(frame, parent):
    weights = frame["people"].copy()
    weights["c1"] = 0.0
    weights["c6"] = np.nan
    result = weighted_mean(frame["score"], parent, weights)
    assert result.columns["value"].to_dict() == pytest.approx({"W1": (6000 + 4000) / 400, "W2": 5.0})
    assert result.incomplete == ["W1", "W2"]


def test_a_parent_with_no_usable_child_has_no_value(parent):
    values = pd.Series([1.0, 2.0, 3.0, np.nan, np.nan, np.nan], index=CHILDREN)
    result = weighted_mean(values, parent, None)
    assert result.columns.loc["W1", "value"] == pytest.approx(2.0)
    assert np.isnan(result.columns.loc["W2", "value"])


def test_children_without_a_parent_are_not_counted(frame):
    parent = pd.Series(["W1", "W1", None, "W2", "W2", "W2"], index=CHILDREN)
    result = weighted_mean(frame["score"], parent, frame["people"])
    assert list(result.columns.index) == ["W1", "W2"]
    assert result.columns.loc["W1", "value"] == pytest.approx((1000 + 6000) / 400)


def test_sum_by_hand_and_missing_when_any_child_is(frame, parent):
    result = total(frame["people"], parent)
    assert result.columns["value"].to_dict() == {"W1": 500.0, "W2": 350.0}
    assert result.incomplete == []
    partial = total(frame["score"], parent)
    assert partial.columns.loc["W1", "value"] == 70.0
    assert np.isnan(partial.columns.loc["W2", "value"])  # a partial total would look like a real one
    assert partial.incomplete == ["W2"]


def test_ratio_of_sums_by_hand(frame, parent):
    result = ratio_of_sums(frame["pct_numerator"], frame["pct_denominator"], parent, scale=100)
    # W1: 60 / 400 = 15%; W2: 12 / 150 = 8% (not the mean of 10%, 10% and 0%)
    assert result.columns["value"].to_dict() == pytest.approx({"W1": 15.0, "W2": 8.0})
    assert result.columns["numerator"].to_dict() == {"W1": 60.0, "W2": 12.0}
    assert result.columns["denominator"].to_dict() == {"W1": 400.0, "W2": 150.0}
    assert result.incomplete == []


def test_ratio_of_sums_with_no_denominator_or_a_missing_count(parent):
    numerator = pd.Series([1.0, 2.0, 3.0, 4.0, np.nan, 1.0], index=CHILDREN)
    denominator = pd.Series([0.0, 0.0, 0.0, 10.0, 10.0, 10.0], index=CHILDREN)
    result = ratio_of_sums(numerator, denominator, parent, scale=1.0)
    assert np.isnan(result.columns.loc["W1", "value"])  # nothing to divide by
    assert np.isnan(result.columns.loc["W2", "value"])  # c5's numerator is missing
    assert result.incomplete == ["W2"]


def test_decile_shares_by_hand(frame, parent):
    result = decile_shares(frame["decile"], parent, frame["people"])
    shares = result.shares.set_index(["code", "decile"])
    # W1: deciles 1 (100 people), 2 (300) and 5 (100) of 500; W2: 10 (200) and 1 (50) of 250, c6 has no decile
    assert shares["population"].to_dict() == {("W1", 1): 100.0, ("W1", 2): 300.0, ("W1", 5): 100.0,
                                              ("W2", 1): 50.0, ("W2", 10): 200.0}
    assert shares["areas"].to_dict() == {("W1", 1): 1, ("W1", 2): 1, ("W1", 5): 1, ("W2", 1): 1, ("W2", 10): 1}
    assert shares["share"].to_dict() == pytest.approx({("W1", 1): 0.2, ("W1", 2): 0.6, ("W1", 5): 0.2,
                                                       ("W2", 1): 0.2, ("W2", 10): 0.8})
    # value: percentage of residents in national deciles 1 and 2
    assert result.columns["value"].to_dict() == pytest.approx({"W1": 80.0, "W2": 20.0})
    assert result.incomplete == ["W2"]


def test_decile_shares_unweighted_count_areas(parent):
    deciles = pd.Series([1, 3, 3, 9, 9, 10], index=CHILDREN)
    result = decile_shares(deciles, parent, None)
    assert result.columns["value"].to_dict() == pytest.approx({"W1": 100 / 3, "W2": 0.0})
    assert result.incomplete == []


def test_a_parent_with_no_decile_at_all_has_no_value(parent):
    deciles = pd.Series([1, 2, 3, np.nan, np.nan, np.nan], index=CHILDREN)
    result = decile_shares(deciles, parent, None)
    assert np.isnan(result.columns.loc["W2", "value"])
    assert result.columns.loc["W1", "value"] == pytest.approx(200 / 3)


def test_by_rule_dispatches_each_rule(frame, parent):
    assert RULES == ("weighted_mean", "sum", "ratio_of_sums", "decile_share")
    weights = frame["people"]
    assert by_rule("weighted_mean", frame, "score", parent, weights).columns.equals(
        weighted_mean(frame["score"], parent, weights).columns)
    assert by_rule("sum", frame, "people", parent).columns["value"].to_dict() == {"W1": 500.0, "W2": 350.0}
    assert by_rule("ratio_of_sums", frame, "pct", parent, scale=100).columns["value"].to_dict() == \
        pytest.approx({"W1": 15.0, "W2": 8.0})
    assert by_rule("decile_share", frame, "decile", parent, weights).columns["value"].to_dict() == \
        pytest.approx({"W1": 80.0, "W2": 20.0})
    with pytest.raises(ValueError, match="No aggregation rule 'median'; the rules are weighted_mean, sum"):
        by_rule("median", frame, "score", parent)


def test_method_text_says_how_a_layer_was_aggregated():
    assert method_text("weighted_mean", "LSOA (2011)", "population (2019)", "best-fit lookup") == (
        "population-weighted mean of LSOA (2011) values (weighted by population (2019)); "
        "LSOA (2011) areas assigned by best-fit lookup")
    assert method_text("decile_share", "LSOA", None, "centroid").startswith(
        "share of residents (unweighted) in LSOA areas in national deciles 1-2")
    assert method_text("sum", "OA", None, "lookup") == "sum of OA values; OA areas assigned by lookup"


# -- coverage: residents of the assigned small areas against the larger area's own -----------------------

def test_coverage_by_hand():
    assigned = pd.Series({"W1": 1580.0, "W2": 950.0, "W3": 1120.0, "W4": 500.0})
    reference = pd.Series({"W1": 3880.0, "W2": 1000.0, "W3": 1000.0, "W4": 0.0})
    table = coverage(assigned, reference)
    # 1580 / 3880 = 40.72%; 95% is within 10%; 112% is 12% off; a reference of 0 gives no share
    assert table["share"].round(2).to_dict() == pytest.approx({"W1": 40.72, "W2": 95.0, "W3": 112.0, "W4": np.nan},
                                                              nan_ok=True)
    assert table["differs"].to_dict() == {"W1": True, "W2": False, "W3": True, "W4": False}
    assert coverage(assigned, reference, tolerance=0.15)["differs"]["W3"] == np.False_


def test_coverage_of_reads_the_columns_a_build_writes_and_is_none_without_them():
    frame = pd.DataFrame({"coverage_small": [50.0], "coverage_small_assigned": [50.0],
                          "coverage_small_reference": [100.0]}, index=["W1"])
    assert coverage_layer("small") == "coverage_small"
    found = coverage_of(frame, "small")
    assert found.loc["W1", "share"] == 50.0 and bool(found.loc["W1", "differs"])
    assert coverage_of(frame, "other") is None


def test_coverage_text_says_the_figures_and_when_they_are_off():
    assert coverage_text(40.72, 1580, 3880) == ("41% (1,580 of 3,880 residents): more than 10% off, so its figures "
                                                "describe a different population")
    assert coverage_text(95.0, 950, 1000) == "95% (950 of 1,000 residents)"
    assert coverage_text(np.nan, 1, 0) is None
