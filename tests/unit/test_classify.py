"""atlas.classify: classes, colours and number formats of choropleth maps, on values made here."""

from __future__ import annotations

import mapclassify
import numpy as np
import pandas as pd
import pytest
from matplotlib import colormaps
from matplotlib.colors import to_hex, to_rgb

from atlas.classify import (
    CATEGORY_COLOURS,
    DECILE_COLOURS,
    HOTSPOT_COLOURS,
    LISA_COLOURS,
    MISSING_COLOUR,
    MISSING_LABEL,
    SEQUENTIAL_PALETTES,
    categorical,
    classify,
    decile_label,
    format_value,
    hotspot_styles,
    layer_decimals,
    lisa_styles,
    polarity_sentence,
    whole_numbers,
)
from atlas.errors import AtlasError


def series(values) -> pd.Series:
    values = list(values)
    return pd.Series(values, index=[f"E0100{i:04d}" for i in range(len(values))], dtype=float)


def luminance(colour: str) -> float:
    """WCAG relative luminance of a hex colour (0 black, 1 white)."""
    def linear(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# -- schemes and k ---------------------------------------------------------------------------------

def test_quantiles_of_one_to_ten_in_five_classes():
    # numpy's linear percentiles of 1..10 at 20, 40, 60, 80, 100%: 1 + 9p
    classes = classify(series(range(1, 11)), scheme="quantiles", k=5)
    assert classes.bins == pytest.approx([2.8, 4.6, 6.4, 8.2, 10.0])
    assert list(classes.index) == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert classes.labels == ["1.0 to 2.8", "2.8 to 4.6", "4.6 to 6.4", "6.4 to 8.2", "8.2 to 10.0"]
    assert classes.scheme == "Quantiles"
    assert len(classes.colours) == 5


def test_natural_breaks_find_three_clear_groups():
    classes = classify(series([1, 1.1, 1.2, 5, 5.1, 5.2, 9, 9.1, 9.2]), scheme="natural_breaks", k=3)
    assert classes.bins == pytest.approx([1.2, 5.2, 9.2])
    assert list(classes.index) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert classes.scheme == "Natural breaks (Fisher-Jenks)"


def test_equal_interval_splits_the_range_evenly():
    classes = classify(series(range(0, 11)), scheme="equal_interval", k=5)
    assert classes.bins == pytest.approx([2, 4, 6, 8, 10])
    # upper bounds are inclusive: 2 is in the first class, 2.0 to 4.0 holds 3 and 4
    assert list(classes.index) == [0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert classes.labels[0] == "0.0 to 2.0"


@pytest.mark.filterwarnings("ignore:Numba not installed:UserWarning")
@pytest.mark.parametrize("scheme, mapclassify_class", [
    ("quantiles", mapclassify.Quantiles), ("natural_breaks", mapclassify.FisherJenks),
    ("equal_interval", mapclassify.EqualInterval),
])
@pytest.mark.parametrize("k", [2, 4, 7, 9])
def test_each_scheme_gives_k_classes_with_mapclassify_bins(scheme, mapclassify_class, k):
    values = np.random.default_rng(k).gamma(2.0, 10.0, size=60)
    classes = classify(series(values), scheme=scheme, k=k)
    expected = mapclassify_class(values, k=k)
    assert classes.bins == pytest.approx(list(expected.bins))
    assert len(classes.labels) == len(classes.colours) == k
    # each value in the first class whose upper bound it does not exceed
    assert list(classes.index) == [int(np.argmax(v <= expected.bins)) for v in values]


@pytest.mark.parametrize("k", [1, 10, 0])
def test_k_outside_two_to_nine_is_refused(k):
    with pytest.raises(AtlasError, match=f"between 2 and 9 \\(got {k}\\)"):
        classify(series(range(10)), k=k)


def test_unknown_scheme_and_palette_are_refused_with_the_choices():
    with pytest.raises(AtlasError, match="Unknown classification 'jenks'.*quantiles, natural_breaks, equal_interval"):
        classify(series(range(10)), scheme="jenks")
    with pytest.raises(AtlasError, match="Unknown palette 'Rainbow'.*YlOrRd"):
        classify(series(range(10)), palette="Rainbow")


# -- ties, constant column, missing values ---------------------------------------------------------

def test_tied_values_merge_classes_and_say_so():
    # three distinct values allow at most three classes; the tertiles of [1 x 6, 2, 3] are 1, 1 and 3,
    # so two classes remain: the ones, and everything above 1 up to 3
    classes = classify(series([1, 1, 1, 1, 1, 1, 2, 3]), scheme="quantiles", k=5)
    assert classes.bins == [1.0, 3.0]
    assert list(classes.index) == [0, 0, 0, 0, 0, 0, 1, 1]
    assert classes.labels == ["1.0", "1.0 to 3.0"]  # a class of one value is named by it, not "1.0 to 1.0"
    assert len(classes.colours) == 2
    assert classes.scheme == "Quantiles (2 classes: tied values merged the others)"


def test_a_constant_column_is_one_class():
    values = series([4, 4, 4, np.nan])
    classes = classify(values, decimals=2)
    assert classes.labels == ["all areas: 4.00"]
    assert list(classes.index) == [0, 0, 0, -1]
    assert classes.bins == [4.0]
    assert len(classes.colours) == 1
    assert "one class" in classes.scheme


def test_missing_values_are_no_data_in_grey():
    values = series([1, 2, np.nan, 4, 5, 6])
    values.iloc[1] = np.nan
    classes = classify(values, k=2)
    assert list(classes.index[classes.index == -1].index) == [values.index[1], values.index[2]]
    fills = classes.colour_of()
    assert list(fills.index) == list(values.index)
    assert (fills[values.isna()] == MISSING_COLOUR).all()
    assert MISSING_COLOUR not in set(fills[values.notna()])
    assert classes.legend()[-1] == (MISSING_LABEL, MISSING_COLOUR)
    assert (MISSING_LABEL, MISSING_COLOUR) not in classes.legend(include_missing=False)


def test_no_data_is_not_in_the_legend_when_nothing_is_missing():
    classes = classify(series(range(10)), k=3)
    assert [label for label, _ in classes.legend()] == classes.labels


def test_text_that_is_not_a_number_counts_as_missing():
    values = pd.Series(["1", "2", "c", "4"], index=list("abcd"))
    classes = classify(values, k=2)
    assert classes.index["c"] == -1
    assert (classes.index.drop("c") >= 0).all()


def test_every_value_missing_is_refused():
    with pytest.raises(AtlasError, match="Every value of this layer is missing"):
        classify(series([np.nan, np.nan]))


# -- deciles ----------------------------------------------------------------------------------------

def test_decile_labels_say_which_end_is_deprived():
    assert decile_label(1) == "1: most deprived 10% nationally"
    assert decile_label(10) == "10: least deprived 10% nationally"
    assert [decile_label(d) for d in range(2, 10)] == [str(d) for d in range(2, 10)]


def test_deciles_are_ten_fixed_categories():
    values = series([1, 10, 5, np.nan, 11, 2.5, 0])
    classes = classify(values, kind="decile", scheme="not used for deciles", k=99)
    assert classes.labels == [decile_label(d) for d in range(1, 11)]
    assert classes.colours == DECILE_COLOURS
    assert classes.bins == [float(d) for d in range(1, 11)]
    # 11, 2.5 and 0 are not deciles: shown as no data, like a missing value
    assert list(classes.index) == [0, 9, 4, -1, -1, -1, -1]
    assert classes.scheme == "National deciles (categorical)"
    assert luminance(DECILE_COLOURS[0]) < luminance(DECILE_COLOURS[4])  # decile 1 the dark end


def test_deciles_keep_their_colours_when_some_are_absent():
    only_low = classify(series([1, 2, 3]), kind="decile")
    only_high = classify(series([8, 9, 10]), kind="decile")
    assert only_low.colours == only_high.colours == DECILE_COLOURS
    assert list(only_high.colour_of()) == DECILE_COLOURS[7:]


# -- palettes and polarity ----------------------------------------------------------------------------

def test_darker_means_worse_so_higher_is_better_reverses_the_palette():
    values = series(range(20))
    worse = classify(values, k=5, palette="Blues", higher_is="worse")
    better = classify(values, k=5, palette="Blues", higher_is="better")
    assert better.colours == worse.colours[::-1]
    assert better.bins == worse.bins and better.labels == worse.labels
    lights = [luminance(c) for c in worse.colours]
    assert lights == sorted(lights, reverse=True)  # higher values darker when higher is worse
    assert luminance(better.colours[0]) < luminance(better.colours[-1])  # low values darker when higher is better


@pytest.mark.parametrize("higher_is, palette", [("worse", "YlOrRd"), ("better", "YlGnBu"), ("neutral", "Purples")])
def test_the_default_palette_follows_the_polarity(higher_is, palette):
    values = series(range(12))
    assert classify(values, higher_is=higher_is).colours == classify(values, higher_is=higher_is,
                                                                      palette=palette).colours


def test_colours_come_from_the_named_colorbrewer_map():
    classes = classify(series(range(12)), k=4, palette="Greens", higher_is="neutral")
    lookup = colormaps["Greens"]
    greens = {to_hex(c) for c in lookup(np.arange(lookup.N))}  # every colour of the map's lookup table
    assert set(classes.colours) <= greens
    assert len(set(classes.colours)) == 4


def test_every_offered_palette_is_a_sequential_colormap():
    for name in SEQUENTIAL_PALETTES:
        cmap = colormaps[name]
        assert luminance(to_hex(cmap(0.12))) > luminance(to_hex(cmap(0.95))), name


# -- categories ---------------------------------------------------------------------------------------

def test_categories_are_sorted_and_coloured_in_turn():
    values = pd.Series(["Beta PCN", "Alpha PCN", None, "Beta PCN"], index=["P1", "P2", "P3", "P4"])
    classes = categorical(values)
    assert classes.labels == ["Alpha PCN", "Beta PCN"]
    assert list(classes.index) == [1, 0, -1, 1]
    assert classes.colours == CATEGORY_COLOURS[:2]
    many = categorical(pd.Series([f"C{i:02d}" for i in range(11)]))
    assert many.colours[9] == CATEGORY_COLOURS[0] and many.colours[10] == CATEGORY_COLOURS[1]


# -- numbers -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, decimals, units, text", [
    (1234.567, 1, None, "1,234.6"),
    (1234.567, 0, "", "1,235"),
    (-1234.5, 2, "per 1,000", "-1,234.50"),
    (12.345, 1, "%", "12.3%"),
    (12.345, 1, " % ", "12.3%"),
    (0.5, 3, "years", "0.500"),
    (np.float32(2.25), 2, None, "2.25"),
    (7, 1, None, "7.0"),
    (1_000_000, 0, None, "1,000,000"),
])
def test_format_value(value, decimals, units, text):
    assert format_value(value, decimals, units) == text


@pytest.mark.parametrize("missing_value", [None, np.nan, pd.NA, float("nan")])
def test_format_value_of_a_missing_value(missing_value):
    assert format_value(missing_value) == "no data"
    assert format_value(missing_value, missing="-") == "-"
    assert format_value(missing_value, missing=None) is None


@pytest.mark.parametrize("meta, decimals", [
    ({"decimals": 2}, 2), ({"decimals": "3"}, 3), ({"decimals": 2.0}, 2), ({"decimals": 0}, 0),
    ({"decimals": "two"}, 1), ({"decimals": float("nan")}, 1), ({"decimals": [1]}, 1),
])
def test_layer_decimals_reads_the_metadata_and_falls_back_to_one(meta, decimals):
    assert layer_decimals(meta) == decimals


def test_legend_labels_use_the_layers_decimals():
    # not whole numbers (a rate shown without decimals): continuous classes, median 3,250.1
    classes = classify(series([1000.2, 2500, 4000.2, 5500]), k=2, decimals=0)
    assert classes.labels == ["1,000 to 3,250", "3,250 to 5,500"]


# -- whole numbers: unique values or integer breaks ------------------------------------------------

def test_a_few_counts_get_one_class_per_value():
    # GP practices in a ward: mostly 0, some 1, one 3. Quantiles would give "0 to 0 / 0 to 1"
    classes = classify(series([0, 0, 0, 0, 0, 1, 1, 0, 3, np.nan]), kind="count", k=5, decimals=0)
    assert classes.labels == ["0", "1", "3"]
    assert list(classes.index) == [0, 0, 0, 0, 0, 1, 1, 0, 2, -1]
    assert classes.bins == [0.0, 1.0, 3.0]
    assert classes.scheme == "Unique values (3 whole numbers)"
    assert len(classes.colours) == 3


def test_seven_distinct_whole_numbers_are_still_unique_values_and_eight_are_not():
    seven = classify(series([0, 1, 2, 3, 4, 5, 6] * 3), kind="count", decimals=0)
    assert seven.labels == [str(v) for v in range(7)]
    eight = classify(series(list(range(8)) * 3), kind="count", decimals=0, k=4)
    assert len(eight.labels) < 8


def test_many_counts_get_integer_breaks_that_neither_overlap_nor_leave_a_class_empty():
    values = np.array([0] * 30 + [1] * 20 + [2] * 12 + [3] * 8 + [4] * 5 + [6] * 3 + [9, 12, 15])
    classes = classify(series(values), kind="count", scheme="quantiles", k=5, decimals=0)
    # numpy's percentiles worked out here, each rounded down: a class up to 2.8 holds the whole numbers to 2
    upper = sorted({float(np.floor(b)) for b in np.percentile(values, [20, 40, 60, 80])} | {15.0})
    used = [u for u in upper if ((values <= u) & (values > max([x for x in upper if x < u], default=-1))).any()]
    assert classes.bins == used
    lows = [0.0] + [u + 1 for u in used[:-1]]
    assert classes.labels == [f"{lo:,.0f}" if lo == hi else f"{lo:,.0f} to {hi:,.0f}" for lo, hi in zip(lows, used)]
    assert classes.labels[0] == "0" and classes.labels[-1].endswith("to 15")
    assert len(set(classes.labels)) == len(classes.labels)
    counts = np.bincount(classes.index.to_numpy(), minlength=len(classes.labels))
    assert (counts > 0).all()
    # each value is in the class whose whole-number range holds it
    for value, cls in zip(values, classes.index):
        assert lows[cls] <= value <= used[cls]


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_integer_breaks_of_every_scheme_are_whole_and_contiguous(scheme):
    values = np.random.default_rng(3).poisson(4, 200)
    classes = classify(series(values), kind="count", scheme=scheme, k=5, decimals=0)
    assert all(float(b).is_integer() for b in classes.bins)
    assert classes.bins[-1] == values.max()
    assert classes.labels[0].startswith(str(values.min()))
    assert (np.bincount(classes.index.to_numpy(), minlength=len(classes.bins)) > 0).all()
    assert "whole-number breaks" in classes.scheme


def test_whole_numbers_need_a_count_kind_or_no_decimals_and_integral_values():
    assert whole_numbers(series([0, 1, 2]), "count", 1)
    assert whole_numbers(series([0, 1, 2]), "rate", 0)
    assert not whole_numbers(series([0, 1, 2]), "score", 1)
    assert not whole_numbers(series([0, 1.5, 2]), "count", 0)


# -- LISA and hot-spot colours follow the polarity ---------------------------------------------------

def test_high_high_is_red_only_where_high_is_worse():
    worse, better, neutral = lisa_styles("worse"), lisa_styles("better"), lisa_styles("neutral")
    assert worse["High-High"] == ("High-High: high values (worse) near high values", LISA_COLOURS["High-High"])
    assert better["High-High"] == ("High-High: high values (better) near high values", LISA_COLOURS["Low-Low"])
    assert better["Low-Low"] == ("Low-Low: low values (worse) near low values", LISA_COLOURS["High-High"])
    assert better["High-Low"][0] == "High-Low: a high value (better) among low values"
    assert worse["Low-High"][0] == "Low-High: a low value (better) among high values"
    assert neutral["High-High"][0] == "High-High: high values near high values"
    red = LISA_COLOURS["High-High"]
    assert red not in {colour for _, colour in neutral.values()}
    assert better["Not significant"] == worse["Not significant"]


def red_share(colour: str) -> float:
    r, g, b = to_rgb(colour)
    return r - b


def test_hot_spots_are_blue_where_high_is_better_and_keep_their_confidence_order():
    worse, better = hotspot_styles("worse"), hotspot_styles("better")
    assert worse["Hot spot (99% confidence)"] == ("Hot spot (99% confidence): high values (worse)",
                                                  HOTSPOT_COLOURS["Hot spot (99% confidence)"])
    assert better["Hot spot (99% confidence)"] == ("Hot spot (99% confidence): high values (better)",
                                                   HOTSPOT_COLOURS["Cold spot (99% confidence)"])
    assert better["Cold spot (90% confidence)"][1] == HOTSPOT_COLOURS["Hot spot (90% confidence)"]
    for level in (90, 95, 99):
        assert red_share(better[f"Hot spot ({level}% confidence)"][1]) < 0   # blue
        assert red_share(better[f"Cold spot ({level}% confidence)"][1]) > 0   # red
    neutral = hotspot_styles("neutral")
    assert neutral["Cold spot (99% confidence)"][0] == "Cold spot (99% confidence): low values"
    hot = [luminance(neutral[f"Hot spot ({c}% confidence)"][1]) for c in (99, 95, 90)]
    assert hot == sorted(hot)   # darker for more confidence


def test_the_polarity_sentence_names_the_colour_of_each_end():
    assert polarity_sentence("better", "High-High clusters", "Low-Low ones") == (
        "High values are better for this indicator: High-High clusters are drawn blue, Low-Low ones red.")
    assert polarity_sentence("worse").startswith("High values are worse for this indicator: High-High clusters "
                                                 "and hot spots are drawn red")
    assert "neither better nor worse" in polarity_sentence("neutral")
