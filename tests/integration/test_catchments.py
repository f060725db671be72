"""Catchments of Luton's practices and networks against the raw patients-by-LSOA file, and the
patient-weighted PCN footprint in profiles."""

from __future__ import annotations

import pandas as pd
import pytest

from atlas import catchments, profiles, store

PATIENTS = "health/gp-reg-pat-prac-lsoa-all_2023-07.csv.gz"
HATTERS = "U79932"


@pytest.fixture(scope="module")
def patients(source_dir):
    table = pd.read_csv(source_dir / PATIENTS, dtype={"PRACTICE_CODE": str, "LSOA_CODE": str},
                        usecols=["PRACTICE_CODE", "LSOA_CODE", "NUMBER_OF_PATIENTS"])
    return table[table["LSOA_CODE"] != "NO2011"]


def test_every_luton_practice_catchment_sums_to_one_and_matches_the_file(luton, patients):
    practices = luton.points["gp_practices"]
    assert len(practices) == 25
    for code in practices.index:
        table = catchments.catchment_table(luton, [code])
        assert table["share"].sum() == pytest.approx(1.0)
        raw = patients[patients["PRACTICE_CODE"] == code].set_index("LSOA_CODE")["NUMBER_OF_PATIENTS"]
        expected = raw / raw.sum()
        pd.testing.assert_series_equal(table["share"].sort_index(), expected.sort_index(), check_names=False,
                                       check_index_type=False)


def test_network_catchment_sums_its_practices(luton, patients):
    members = catchments.practices_of(luton, HATTERS)
    assert len(members) == 6
    table = catchments.catchment_table(luton, members)
    raw = patients[patients["PRACTICE_CODE"].isin(members)].groupby("LSOA_CODE")["NUMBER_OF_PATIENTS"].sum()
    assert table["patients"].sum() == raw.sum() and table["share"].sum() == pytest.approx(1)
    assert table.loc[table["in_district"], "name"].notna().all()


def _plurality(luton, patients) -> pd.Series:
    """Independently: in each Luton LSOA, the Luton network with most registered residents."""
    networks = luton.points["gp_practices"]["pcn_code"].astype(str)
    lsoas = set(luton.table("lsoa11").index)
    rows = patients[patients["LSOA_CODE"].isin(lsoas) & patients["PRACTICE_CODE"].isin(networks.index)]
    rows = rows.assign(network=rows["PRACTICE_CODE"].map(networks))
    by = rows.groupby(["LSOA_CODE", "network"])["NUMBER_OF_PATIENTS"].sum().unstack(fill_value=0)
    return by.idxmax(axis=1)


def test_hatters_health_footprint_covers_where_most_of_its_patients_live(luton, patients):
    footprint = catchments.network_footprint(luton, HATTERS)
    plurality = _plurality(luton, patients)
    assert footprint == sorted(plurality.index[plurality == HATTERS])
    table = catchments.catchment_table(luton, catchments.practices_of(luton, HATTERS))
    local = table[table["in_district"]].sort_values("patients", ascending=False)
    assert set(local.index[:10]) <= set(footprint)  # its ten biggest LSOAs
    held = table.loc[table.index.isin(footprint), "share"].sum()
    assert 0.45 < held and len(footprint) < len(luton.table("lsoa11")) / 3
    # every Luton network's footprint together cover the district once
    everyone = [c for n in profiles.networks(luton) for c in catchments.network_footprint(luton, n)]
    assert sorted(everyone) == sorted(plurality.index) and len(everyone) == len(set(everyone))


def test_pcn_profile_uses_the_patient_weighted_footprint(luton):
    profile = profiles.build_profile(luton, "Hatters Health PCN")
    assert profile.area.members["lsoa11"] == catchments.network_footprint(luton, HATTERS)
    assert "patient-weighted" in profile.area.rule and profile.area.rule in profile.notes
    nearest = profiles.find_area(luton, HATTERS, footprint="nearest")
    assert "nearest GP practice" in nearest.rule


def test_catchments_survive_the_geopackage(luton, luton_path):
    loaded = store.load(luton_path)
    assert len(loaded.catchments) == len(luton.catchments) > 0
    assert loaded.catchments["patients"].sum() == luton.catchments["patients"].sum()


def test_profiles_say_the_estimates_are_estimates_without_judgement(luton):
    profile = profiles.build_profile(luton, "Hatters Health PCN")
    rows = profile.table("indicators").data.set_index("layer")
    ob = rows.loc["qof_ob_est"]
    assert ob["vs_authority"] in ("", None) or pd.isna(ob["vs_authority"])
    lsoas = luton.table("lsoa11").loc[profile.area.members["lsoa11"]]
    assert ob["area"] == pytest.approx(lsoas["qof_ob_est_numerator"].sum() / lsoas["qof_ob_est_denominator"].sum() * 100)
    note = next(n for n in profile.notes if n.startswith("Small-area estimates"))
    assert "July 2023" in note and "31 March 2023" in note and "no sampling interval" in note
