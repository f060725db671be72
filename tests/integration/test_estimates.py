"""Small-area estimates (atlas.estimates) on small synthetic frames, each figure worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas import estimates


def _patients(rows):
    return pd.DataFrame(rows, columns=["PRACTICE_CODE", "LSOA_CODE", "NUMBER_OF_PATIENTS"])


def _registers(rows):
    """practice -> (register, list)"""
    return pd.DataFrame({"numerator": [r for r, _ in rows.values()], "denominator": [n for _, n in rows.values()]},
                        index=pd.Index(list(rows), name="code"))


def _shares(rows, unknown=("NO2011",)):
    return estimates.patient_shares(_patients(rows), "PRACTICE_CODE", "LSOA_CODE", "NUMBER_OF_PATIENTS", unknown)


def test_two_practices_shared_between_two_lsoas_by_hand():
    # P1: 30 patients in A, 10 in B (shares 0.75, 0.25); P2: 20 in B (share 1); 5 of P1's have no LSOA.
    shares = _shares([("P1", "A", 30), ("P1", "B", 10), ("P1", "NO2011", 5), ("P2", "B", 20)])
    result = estimates.estimate(shares, {"ob": _registers({"P1": (8, 40), "P2": (2, 100)})})
    assert result.register.loc["A", "ob"] == pytest.approx(8 * 0.75)
    assert result.register.loc["B", "ob"] == pytest.approx(8 * 0.25 + 2)
    assert result.list.loc["A", "ob"] == pytest.approx(40 * 0.75)
    assert result.list.loc["B", "ob"] == pytest.approx(40 * 0.25 + 100)
    assert result.prevalence().loc["B", "ob"] == pytest.approx(100 * 4 / 110)
    assert shares.report["unknown_area_rows"] == 1 and shares.report["unknown_area_patients"] == 5
    # every register is conserved: summed over the areas it equals the practices' total
    assert result.register["ob"].sum() == pytest.approx(10)
    assert result.report["registers"]["ob"]["register_apportioned"] == 10


def test_no2011_rows_are_left_out_of_the_shares():
    shares = _shares([("P1", "A", 30), ("P1", "NO2011", 70)])
    row = shares.rows.set_index("area").loc["A"]
    assert row["share"] == 1.0 and row["patients"] == 30
    assert "NO2011" not in set(shares.rows["area"])


def test_a_practice_with_no_patients_in_any_lsoa_is_listed_and_never_divided_by():
    shares = _shares([("P1", "A", 10), ("P0", "NO2011", 4), ("PZ", "B", 0)])
    assert shares.report["zero_practices"] == ["P0", "PZ"]
    assert set(shares.rows["practice"]) == {"P1"}
    result = estimates.estimate(shares, {"dm": _registers({"P1": (1, 10), "P0": (3, 4), "PZ": (2, 5)})})
    assert np.isfinite(result.register.to_numpy()).all()
    assert {p["code"] for p in result.report["registers_without_patients"]} == {"P0", "PZ"}
    listed = next(p for p in result.report["registers_without_patients"] if p["code"] == "P0")
    assert listed["registers"] == {"dm": 3.0}
    assert result.register.loc["A", "dm"] == 1


def test_a_register_larger_than_its_list_is_left_out_of_that_register_and_reported():
    shares = _shares([("P1", "A", 10), ("P2", "A", 10)])
    registers = {"ld": _registers({"P1": (50, 20), "P2": (2, 10)}), "ob": _registers({"P1": (5, 20), "P2": (2, 10)})}
    result = estimates.estimate(shares, registers)
    left = result.report["registers"]["ld"]["left_out"]
    assert left == [{"code": "P1", "register": 50.0, "list": 20.0, "why": "register larger than its list"}]
    assert result.register.loc["A", "ld"] == 2 and result.list.loc["A", "ld"] == 10
    assert result.register.loc["A", "ob"] == 7  # the other register keeps P1


def test_an_empty_list_is_left_out_not_divided_by():
    shares = _shares([("P1", "A", 10)])
    result = estimates.estimate(shares, {"ob": _registers({"P1": (0, 0)})})
    assert result.report["registers"]["ob"]["left_out"][0]["why"] == "list is zero"
    assert result.list.loc["A", "ob"] == 0
    assert np.isnan(result.prevalence().loc["A", "ob"])


def test_suppressed_counts_are_counted_and_left_out():
    shares = _shares([("P1", "A", "30"), ("P1", "B", "*"), ("P1", "C", "10"), ("P2", "A", "c")])
    assert shares.report["suppressed_rows"] == 2
    assert shares.report["suppressed_practices"] == ["P1", "P2"]
    assert shares.report["zero_practices"] == ["P2"]
    by_area = shares.rows.set_index("area")["share"]
    assert by_area["A"] == pytest.approx(0.75) and by_area["C"] == pytest.approx(0.25)


def test_practices_missing_from_either_file_are_listed():
    shares = _shares([("P1", "A", 10), ("P9", "A", 5)])
    result = estimates.estimate(shares, {"ob": _registers({"P1": (1, 10), "P7": (4, 9)})})
    assert [p["code"] for p in result.report["registers_without_patients"]] == ["P7"]
    assert result.report["patients_without_registers"] == [{"code": "P9", "patients": 5.0}]
    assert result.register.loc["A", "ob"] == 1


def test_a_district_gets_its_share_of_practices_across_its_border():
    # P_out has 1/4 of its patients in A (in the district) and 3/4 in Z (outside).
    shares = _shares([("P_in", "A", 10), ("P_out", "A", 5), ("P_out", "Z", 15)])
    result = estimates.estimate(shares, {"ob": _registers({"P_in": (2, 10), "P_out": (8, 20)})}, areas=["A"])
    assert list(result.register.index) == ["A"]
    assert result.register.loc["A", "ob"] == pytest.approx(2 + 8 / 4)
    assert result.list.loc["A", "ob"] == pytest.approx(10 + 20 / 4)


def test_national_totals_sum_every_practice():
    totals = estimates.national_totals({"ob": _registers({"P1": (1, 10), "P2": (3, 30)})})
    assert totals.loc["ob", "register"] == 4 and totals.loc["ob", "list"] == 40


def test_converting_counts_sums_merges_and_shares_splits_by_population():
    values = pd.DataFrame({"r": [10.0, 20.0, 30.0]}, index=["a", "b", "c"])
    links = pd.DataFrame({"old": ["a", "b", "c", "c"], "new": ["X", "X", "Y", "Z"]})
    out, unshared = estimates.convert_counts(values, links, pd.Series({"X": 1.0, "Y": 100.0, "Z": 300.0}))
    assert out.loc["X", "r"] == 30 and out.loc["Y", "r"] == pytest.approx(7.5) and out.loc["Z", "r"] == 22.5
    assert out["r"].sum() == pytest.approx(values["r"].sum()) and unshared == []
    out, unshared = estimates.convert_counts(values, links, pd.Series({"X": 1.0}))
    assert unshared == ["c"] and out.loc["Y", "r"] == 15


def test_catchment_shares_sum_to_one_and_main_group_takes_the_largest():
    shares = _shares([("P1", "A", 30), ("P1", "B", 10), ("P2", "B", 20), ("P3", "A", 5)])
    one = estimates.catchment(shares, ["P1"])
    assert one["share"].sum() == pytest.approx(1) and one.loc["A", "share"] == 0.75
    both = estimates.catchment(shares, ["P1", "P2"])
    assert both.loc["B", "patients"] == 30
    main = estimates.main_group(shares, pd.Series({"P1": "N1", "P2": "N2", "P3": "N2"}))
    assert main.loc["A", "group"] == "N1" and main.loc["A", "share"] == pytest.approx(30 / 35)
    assert main.loc["B", "group"] == "N2" and main.loc["B", "registered"] == 30
    assert estimates.catchment(shares, ["nope"]).empty
