"""Small-area QOF estimates against the real files: conservation, Luton's plausibility and district figure,
the larger areas, and the catchments of Luton's practices and networks.

Every expected figure is computed here from the raw files with plain pandas (merges and group sums),
not through atlas.estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas import small_area
from atlas.specs import Catalogue

QOF = "health/qof_PREVALENCE_2223.csv.gz"
PATIENTS = "health/gp-reg-pat-prac-lsoa-all_2023-07.csv.gz"
SPEC_ID = "qof_2022_23_lsoa_estimates"


@pytest.fixture(scope="module")
def raw(source_dir):
    qof = pd.read_csv(source_dir / QOF, dtype={"PRACTICE_CODE": str, "GROUP_CODE": str})
    patients = pd.read_csv(source_dir / PATIENTS, dtype={"PRACTICE_CODE": str, "LSOA_CODE": str},
                           usecols=["PRACTICE_CODE", "LSOA_CODE", "NUMBER_OF_PATIENTS"])
    known = patients[patients["LSOA_CODE"] != "NO2011"]
    totals = known.groupby("PRACTICE_CODE")["NUMBER_OF_PATIENTS"].sum().rename("TOTAL")
    return qof, known, totals


@pytest.fixture(scope="module")
def england(source_dir):
    catalogue = Catalogue.load()
    return small_area.run(catalogue.estimates[SPEC_ID], catalogue, source_dir, None)


def _valid(qof, totals):
    """QOF rows of practices with patients in some LSOA, whose register is within its (non-empty) list."""
    ok = (qof["PRACTICE_LIST_SIZE"] > 0) & (qof["REGISTER"] <= qof["PRACTICE_LIST_SIZE"]) & (qof["REGISTER"] >= 0)
    return qof[ok & qof["PRACTICE_CODE"].isin(totals[totals > 0].index)]


def _register_id(catalogue, group):
    return next(i.id for i in catalogue.indicators.values()
                if i.source.id == "qof_2022_23_prevalence" and i.numerator and i.where.get("GROUP_CODE") == group)


def test_every_register_in_the_qof_file_is_estimated(raw, england):
    qof, _, _ = raw
    assert qof["GROUP_CODE"].nunique() == 21
    assert len(england.registers) == 21 and england.report["registers_in_file_not_estimated"] == []
    assert england.report["patients"]["unknown_area_rows"] == 4241


def test_conservation_over_england(raw, england):
    """Sum of R over every LSOA = national register total of the practices matched to the patient file."""
    qof, _, totals = raw
    catalogue = Catalogue.load()
    matched = _valid(qof, totals).groupby("GROUP_CODE")[["REGISTER", "PRACTICE_LIST_SIZE"]].sum()
    for group, row in matched.iterrows():
        rid = _register_id(catalogue, group)
        assert england.result.register[rid].sum() == pytest.approx(row["REGISTER"], rel=1e-9), group
        assert england.result.list[rid].sum() == pytest.approx(row["PRACTICE_LIST_SIZE"], rel=1e-9), group
    # England's benchmark is the national QOF total over every practice, matched or not
    national = qof[qof["GROUP_CODE"] == "OB"][["REGISTER", "PRACTICE_LIST_SIZE"]].sum()
    assert england.national.loc["qof_ob", "register"] == national["REGISTER"]
    assert england.national.loc["qof_ob", "list"] == national["PRACTICE_LIST_SIZE"]


def _luton_expected(qof, known, totals, lsoas, group):
    """R and L over Luton's LSOAs: every practice's register times its share of patients living in Luton."""
    in_luton = known[known["LSOA_CODE"].isin(lsoas)].groupby("PRACTICE_CODE")["NUMBER_OF_PATIENTS"].sum()
    rows = _valid(qof[qof["GROUP_CODE"] == group], totals).set_index("PRACTICE_CODE")
    share = (in_luton / totals).reindex(rows.index).fillna(0)
    return float((rows["REGISTER"] * share).sum()), float((rows["PRACTICE_LIST_SIZE"] * share).sum())


def test_conservation_within_luton_includes_practices_outside_luton(raw, luton):
    qof, known, totals = raw
    lsoas = set(luton.table("lsoa11").index)
    frame = luton.table("lsoa11")
    for group, layer in (("OB", "qof_ob_est"), ("DM", "qof_dm_est"), ("DEM", "qof_dem_est")):
        register, size = _luton_expected(qof, known, totals, lsoas, group)
        assert frame[f"{layer}_numerator"].sum() == pytest.approx(register, rel=1e-9)
        assert frame[f"{layer}_denominator"].sum() == pytest.approx(size, rel=1e-9)
    practices_serving = known.loc[known["LSOA_CODE"].isin(lsoas), "PRACTICE_CODE"].nunique()
    assert practices_serving > len(luton.points["gp_practices"])  # practices beyond Luton's 25 contribute


def test_luton_obesity_is_plausible_and_its_district_figure_sits_beside_the_practices(raw, luton):
    qof, known, totals = raw
    values = luton.values("qof_ob_est", "lsoa11")
    assert values.notna().all() and len(values) == 121
    assert values.between(3, 25).all()
    register, size = _luton_expected(qof, known, totals, set(values.index), "OB")
    district = register / size * 100
    report = luton.report.estimates[SPEC_ID]["district_vs_practices"]["qof_ob_est"]
    assert report["district_estimate"] == pytest.approx(district, rel=1e-9)
    practices = qof[(qof["GROUP_CODE"] == "OB") & qof["PRACTICE_CODE"].isin(luton.points["gp_practices"].index)]
    assert practices["REGISTER"].sum() == 20822 and practices["PRACTICE_LIST_SIZE"].sum() == 201624
    assert report["district_practices"] == pytest.approx(100 * 20822 / 201624)
    print(f"\nLuton obesity (QOF 2022-23): estimate over its 121 LSOAs {district:.2f}% "
          f"({register:,.0f} / {size:,.0f}); its 25 practices 10.33% (20,822 / 201,624)")
    assert abs(district - 10.33) < 1.0


def test_without_cross_border_registration_the_estimate_is_the_practices_figure(raw, luton):
    """Keep only Luton's practices and their patients living in Luton: the estimate is exactly 20,822 / 201,624,
    so what separates the two figures is registration across the border."""
    from atlas import estimates

    qof, known, _ = raw
    lsoas = set(luton.table("lsoa11").index)
    practices = set(luton.points["gp_practices"].index)
    inside = known[known["LSOA_CODE"].isin(lsoas) & known["PRACTICE_CODE"].isin(practices)]
    shares = estimates.patient_shares(inside, "PRACTICE_CODE", "LSOA_CODE", "NUMBER_OF_PATIENTS")
    ob = qof[qof["GROUP_CODE"] == "OB"].set_index("PRACTICE_CODE")
    registers = {"ob": ob[["REGISTER", "PRACTICE_LIST_SIZE"]].set_axis(["numerator", "denominator"], axis=1)}
    result = estimates.estimate(shares, registers, lsoas)
    assert result.register["ob"].sum() == pytest.approx(20822)
    assert result.list["ob"].sum() == pytest.approx(201624)


def test_larger_areas_sum_r_and_l_and_compare_with_district_and_england(luton):
    lsoa = luton.table("lsoa11")
    for geography in ("lsoa21", "msoa11", "msoa21", "ward2013", "ward2023"):
        frame = luton.table(geography)
        assert frame["qof_ob_est"].notna().all(), geography
        assert frame["qof_ob_est_numerator"].sum() == pytest.approx(lsoa["qof_ob_est_numerator"].sum(), rel=1e-9)
        recomputed = frame["qof_ob_est_numerator"] / frame["qof_ob_est_denominator"] * 100
        np.testing.assert_allclose(frame["qof_ob_est"], recomputed)
        meta = luton.layer("qof_dm_est", geography)
        assert "Estimated" in meta["method"] and not meta["has_interval"]
    entries = [e for e in luton.report.benchmarks if e["layer"] == "qof_ob_est" and e["geography"] == "ward2023"]
    district, england = entries[0]["benchmarks"]
    assert district["label"] == "Luton" and england["label"] == "England"
    assert district["value"] == pytest.approx(lsoa["qof_ob_est_numerator"].sum()
                                              / lsoa["qof_ob_est_denominator"].sum() * 100)
    assert "vs_england" not in " ".join(luton.table("lsoa11").columns[luton.table("lsoa11").columns.str.startswith(
        "qof_ob_est")])


def test_practices_of_either_file_missing_from_the_other_are_reported(raw, england):
    qof, _, totals = raw
    in_qof = set(qof["PRACTICE_CODE"])
    missing = sorted(in_qof - set(totals[totals > 0].index))
    assert england.report["n_registers_without_patients"] == len(missing)
    assert [p["code"] for p in england.report["registers_without_patients"]] == missing
    extra = set(totals[totals > 0].index) - in_qof
    assert england.report["n_patients_without_registers"] == len(extra)
