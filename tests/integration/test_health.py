"""Health figures (issue 5): QOF prevalence per practice and PCN, life expectancy, the gap, trends."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from atlas import comparators
from atlas.health import life_expectancy_gap, pcn_table, published_gap
from atlas.stats import rates
from atlas.trends import district_series

from ..conftest import LUTON


def _wilson(x: float, n: float, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval, written out from its textbook formula."""
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


# -- QOF obesity -----------------------------------------------------------------------------------------

def test_luton_practice_obesity_prevalence_matches_the_published_totals(luton):
    practices = luton.points["gp_practices"]
    ob = practices["qof_ob"]
    assert len(practices) == 25 and ob.notna().all()
    assert ob.between(6, 23).all(), ob.describe()
    assert practices["qof_ob_numerator"].sum() == 20822
    assert practices["qof_ob_denominator"].sum() == 201624
    bench = next(e for e in luton.report.points["gp_practices"]["layers"] if e["layer"] == "qof_ob")["benchmarks"]
    district = next(b for b in bench if b["area"] == "district")
    assert district["numerator"] == 20822 and district["denominator"] == 201624
    assert round(district["value"], 2) == 10.33
    england = next(b for b in bench if b["area"] == "england")
    assert england["areas"] > 6000 and 5 < england["value"] < 20


def test_practice_intervals_are_wilson_intervals_and_comparisons_follow_them(luton):
    practices = luton.points["gp_practices"]
    row = practices.loc["E81063"]   # Conway Medical Centre
    lower, upper = _wilson(row["qof_ob_numerator"], row["qof_ob_denominator"])
    assert row["qof_ob_lower"] == pytest.approx(lower * 100)
    assert row["qof_ob_upper"] == pytest.approx(upper * 100)
    assert row["qof_ob_lower"] < row["qof_ob"] < row["qof_ob_upper"]
    for _, p in practices.iterrows():
        if p["qof_ob_lower"] > 10.3271436:
            assert p["qof_ob_vs_district"] == "Worse"
        elif p["qof_ob_upper"] < 10.3271436:
            assert p["qof_ob_vs_district"] == "Better"
        else:
            assert p["qof_ob_vs_district"] == "Similar"
    meta = luton.layer("qof_ob", "points:gp_practices")
    assert meta["has_interval"] and "Luton 10.3 (20,822 / 201,624)" in meta["method"]
    assert "Wilson" in meta["method"] and "England" in meta["method"]


def test_other_qof_registers_come_from_the_same_spec_pattern_without_judgement(luton):
    practices = luton.points["gp_practices"]
    for register in ("dm", "hyp", "chd", "dem", "dep", "ast", "copd", "ckd"):
        assert practices[f"qof_{register}"].between(0, 100).all()
        assert set(practices[f"qof_{register}_vs_england"]) <= {"Higher", "Similar", "Lower"}
    assert practices["list_size"].gt(1000).all()


def test_obesity_aggregates_to_primary_care_networks_as_summed_registers_over_lists(luton):
    table = pcn_table(luton, "qof_ob", "gp_practices")
    assert len(table) == 7 and table["practices"].sum() == 25
    assert table["numerator"].sum() == 20822 and table["denominator"].sum() == 201624
    phoenix = table.loc["U27128"]
    practices = luton.points["gp_practices"]
    members = practices[practices["pcn_code"] == "U27128"]
    assert phoenix["value"] == pytest.approx(members["qof_ob_numerator"].sum() / members["qof_ob_denominator"].sum() * 100)
    low, high = _wilson(phoenix["numerator"], phoenix["denominator"])
    assert (phoenix["lower"], phoenix["upper"]) == pytest.approx((low * 100, high * 100))
    luton_rate = 20822 / 201624 * 100
    for code, network in table.iterrows():
        low, high = (100 * v for v in _wilson(network["numerator"], network["denominator"]))
        expected = "Worse" if low > luton_rate else "Better" if high < luton_rate else "Similar"
        assert network["vs_district"] == expected, code


def test_a_practice_without_network_or_register_gets_a_group_without_data_not_an_error(luton):
    # As Bedford's Y06153 (an extended-access hub, prescribing setting 4): in no network, no QOF row.
    practices = luton.points["gp_practices"].copy()
    new = practices.index[0]
    practices.loc[new, ["pcn_code", "pcn_name", "qof_ob_numerator", "qof_ob_denominator"]] = None
    table = pcn_table(dataclasses.replace(luton, points={**luton.points, "gp_practices": practices}), "qof_ob", "gp_practices")
    alone = table.loc["(no network)"]
    assert alone["name"] == "(no network)" and alone["practices"] == 1
    assert pd.isna(alone[["numerator", "denominator", "value", "lower", "upper"]]).all()  # no data, never 0
    assert alone["vs_district"] == alone["vs_england"] == "Not compared"
    others = practices.drop(new)
    assert table["numerator"].sum() == others["qof_ob_numerator"].sum() and table["practices"].sum() == 25


# -- life expectancy ---------------------------------------------------------------------------------------

def test_luton_has_21_msoas_with_life_expectancy_one_without_a_female_value(luton):
    msoas = luton.table("msoa11")
    assert len(msoas) == 21
    assert msoas["le_male"].notna().all() and msoas["le_persons"].notna().all()
    women = msoas["le_female"]
    assert women.isna().sum() == 1 and women.index[women.isna()].tolist() == ["E02003260"]  # Luton 003
    assert women.dropna().between(81, 90).all()
    entry = next(e for e in luton.report.layers if e["layer"] == "le_female" and e["geography"] == "msoa11")
    assert entry["matched"] == 21 and entry["missing_value_codes"] == ["E02003260"]
    assert msoas.loc["E02003260", "le_female_vs_england"] == "Not compared"
    assert (msoas["le_female_lower"] < msoas["le_female"]).sum() == 20


def test_life_expectancy_stays_on_msoas_and_says_why(luton):
    on = set(luton.layers.loc[luton.layers["layer"] == "le_female", "geography"])
    assert on == {"msoa11"}
    meta = luton.layer("le_female", "msoa11")
    assert "do not nest in wards" in meta["description"]
    assert "weighted by the file's column 'Population'" in meta["method"] and "approximation" in meta["method"]
    assert meta["has_interval"] and meta["higher_is"] == "better"
    benchmark = next(b for b in luton.report.benchmarks if b["layer"] == "le_female")["benchmarks"]
    assert [b["label"] for b in benchmark] == ["Luton", "England"]
    assert benchmark[0]["areas"] == 20  # Luton 003 has no female value: left out of the mean
    assert 6000 < benchmark[1]["areas"] <= 6791  # English MSOAs only (the file also holds Welsh ones)


def test_benchmark_of_a_published_value_is_its_person_years_weighted_mean(source_dir, luton):
    raw = pd.read_csv(source_dir / "health" / "REQ3292_LifeExpectancy_2011MSOAs_England_2016_to_2020.csv")
    men = raw[(raw["Sex"] == "Males") & raw["Code"].isin(luton.table("msoa11").index)]
    expected = np.average(men["Life Expectancy at birth (in years)"], weights=men["Population"])
    found = next(b for b in luton.report.benchmarks if b["layer"] == "le_male")["benchmarks"][0]
    assert found["value"] == pytest.approx(expected)


def test_life_expectancy_gap_by_local_deprivation_quintile(luton):
    gap = life_expectancy_gap(luton, simulations=2000)
    assert "quintiles" in gap.grouping and "IMD 2019" in gap.grouping
    for sex in ("women", "men"):
        groups = gap.groups[gap.groups["sex"] == sex].set_index("group")
        assert groups.index.tolist() == [1, 2, 3, 4, 5]
        assert groups.loc[1, "imd_min"] > groups.loc[5, "imd_max"]    # group 1 is the most deprived
        assert (groups["lower"] < groups["value"]).all() and (groups["value"] < groups["upper"]).all()
        assert groups["value"].between(70, 92).all()
        sii = gap.sii[sex]
        assert sii["lower"] < sii["sii"] < sii["upper"]
        assert gap.gap[sex] > 0                                         # least deprived live longer
    assert gap.sii["men"]["sii"] > gap.sii["women"]["sii"]
    assert gap.missing["women"] == ["E02003260"]
    # Luton 003's female value is missing: its group averages the others and says so.
    assert gap.groups.query("sex == 'women'")["msoas"].sum() == 20
    assert gap.groups.query("sex == 'men'")["msoas"].sum() == 21


def test_published_figures_are_shown_beside_ours_with_their_period(luton):
    published = published_gap(LUTON)
    assert published["period"] == "2018-20"
    gap = life_expectancy_gap(luton, simulations=2000)
    table = gap.comparison_table().set_index("sex")
    assert table.loc["women", "published_most_deprived"] == 80.2
    assert table.loc["women", "published_least_deprived"] == 85.6
    assert table.loc["men", "published_most_deprived"] == 72.7
    assert table.loc["men", "published_least_deprived"] == 79.4
    assert table.loc["men", "published_gap"] == pytest.approx(6.7)
    assert "2016 to 2020" in gap.note and "2018-20" in gap.note and "not the exact years" in gap.note
    assert published_gap("E06000055") is None


# -- district-level trends ------------------------------------------------------------------------------

def test_activity_and_weight_trends_are_district_level_against_england_and_neighbours():
    series = district_series(LUTON)
    active = series[series["series"] == "active_adults"]
    luton_first = active[(active["role"] == "district") & (active["period"] == "2015/16")]["value"]
    england_first = active[(active["role"] == "England") & (active["period"] == "2015/16")]["value"]
    assert luton_first.tolist() == [61.8] and england_first.tolist() == [66.1]
    neighbours = set(active.loc[active["role"] == "neighbour", "area_name"])
    assert neighbours == {"Central Bedfordshire", "North Hertfordshire"}
    assert {"active_adults", "inactive_adults", "overweight_adults"} <= set(series["series"])
    periods = active.loc[active["role"] == "district", "period"].tolist()
    assert periods == sorted(periods) and len(periods) == 10
    year6 = series[(series["series"] == "obese_year6") & (series["role"] == "district")]
    assert year6.set_index("period").loc["2024/25", "value"] == 25.5
    assert year6["value"].isna().sum() == 1  # 2020/21 was not published (COVID-19): no data, not zero


def test_benchmark_comparison_without_polarity_says_higher_or_lower():
    values = pd.DataFrame({"lower": [1.0, 5.0, np.nan], "upper": [2.0, 7.0, np.nan]}, index=list("abc"))
    bench = comparators.Benchmark("district", "Somewhere", 3.0, None, None, 3, "test")
    assert comparators.classify_against(values, bench, "neutral").tolist() == ["Lower", "Higher", "Not compared"]
    assert comparators.classify_against(values, bench, "worse").tolist() == ["Better", "Worse", "Not compared"]
    england = comparators.Benchmark("england", "England", 6.0, None, None, 9, "test")
    added = comparators.add_comparisons(values, [bench, england], "worse")
    assert added["vs_district"].tolist() == ["Better", "Worse", "Not compared"]
    assert added["vs_england"].tolist() == ["Better", "Similar", "Not compared"] and "vs_england" not in values
    lower, upper = rates.proportion_interval([5, 0, 3], [10, 0, 2])
    assert np.isnan(lower[1]) and np.isnan(upper[2]) and lower[0] == pytest.approx(_wilson(5, 10)[0])
