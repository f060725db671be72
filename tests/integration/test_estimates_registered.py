"""Registered patients against residents (atlas.registered) and the district extract of the patients file.

Synthetic frames check the arithmetic by hand; the real files check Luton's figures against sums
written here with plain pandas from the raw patient file, the census file and the ONS lookup.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas import estimates, registered, small_area
from atlas.errors import SpecError
from atlas.specs import Catalogue, EstimateSpec

PATIENTS = "health/gp-reg-pat-prac-lsoa-all_2023-07.csv.gz"
CENSUS = "population/census2021_lsoa21/census2021-ts001-lsoa.csv.gz"
LOOKUP = ("deprivation/lookups/LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_Lookup_for_"
          "England_and_Wales_(Version_2).csv.gz")
LUTON = "E06000032"


# -- synthetic ---------------------------------------------------------------------------------------

def _shares():
    table = pd.DataFrame({"P": ["A", "A", "A", "B", "B", "C"],
                          "L": ["L1", "L2", "NO2011", "L1", "L3", "L9"],
                          "N": [30, 10, 5, 20, 40, 7]})
    return estimates.patient_shares(table, "P", "L", "N", ["NO2011"])


def test_registered_patients_and_residents_of_a_small_frame_by_hand():
    shares = _shares()
    patients = estimates.registered_patients(shares)
    assert patients.to_dict() == {"L1": 50.0, "L2": 10.0, "L3": 40.0, "L9": 7.0}  # NO2011 left out
    # 2011 -> 2021: L1 unchanged (N1); L2 split into N2a and N2b; L3 and L4 merged into N34
    links = pd.DataFrame({"old": ["L1", "L2", "L2", "L3", "L4"], "new": ["N1", "N2a", "N2b", "N34", "N34"]})
    census = pd.Series({"N1": 40.0, "N2a": 6.0, "N2b": 9.0, "N34": 100.0})
    weights = pd.Series({"L1": 1.0, "L2": 1.0, "L3": 30.0, "L4": 10.0})  # L3 holds 3/4 of the merged area
    residents, unshared = registered.residents_on_old_areas(census, links, weights)
    assert unshared == []
    assert residents.to_dict() == pytest.approx({"L1": 40.0, "L2": 15.0, "L3": 75.0, "L4": 25.0})
    table = registered.registered_table(patients, residents, ["L1", "L2", "L3", "L4"]).set_index("code")
    assert table.loc["L4", "registered_patients"] != table.loc["L4", "registered_patients"]  # no row: no value
    ratio = table["registered_patients"] / table["usual_residents"] * 100
    assert ratio["L1"] == pytest.approx(125.0) and ratio["L2"] == pytest.approx(10 / 15 * 100)
    assert ratio["L3"] == pytest.approx(40 / 75 * 100)


def test_a_merged_area_without_weights_is_shared_equally_and_listed():
    links = pd.DataFrame({"old": ["L3", "L4"], "new": ["N34", "N34"]})
    residents, unshared = registered.residents_on_old_areas(pd.Series({"N34": 100.0}), links, None)
    assert residents.to_dict() == {"L3": 50.0, "L4": 50.0} and unshared == ["N34"]


def test_the_district_extract_keeps_whole_practices_and_every_total():
    shares = _shares()
    found = estimates.practices_in(shares, ["L2"])
    assert set(found.rows["practice"]) == {"A"}
    assert found.rows["share"].sum() == pytest.approx(1.0)  # A's shares of its whole list
    assert list(found.totals.index) == list(shares.totals.index)
    ready = estimates.prepare(shares, {"r": pd.DataFrame({"numerator": [8.0, 6.0, 1.0], "denominator": [40, 60, 7]},
                                                         index=["A", "B", "C"])})
    whole = estimates.estimate(shares, ready, ["L2"]).register
    assert estimates.estimate(found, ready, ["L2"]).register.equals(whole)


def test_the_extract_is_written_once_and_read_back_the_same(tmp_path):
    source = tmp_path / "source"
    (source / "health").mkdir(parents=True)
    pd.DataFrame({"PRACTICE_CODE": ["A", "A", "B", "B", "C"], "LSOA_CODE": ["E1", "E2", "E1", "E3", "E9"],
                  "NUMBER_OF_PATIENTS": [30, 10, 20, 40, 7]}).to_csv(source / "health" / "p.csv", index=False)
    spec = EstimateSpec(id="t", title="t", registers="x", register_column="G", file="health/p.csv",
                        practice="PRACTICE_CODE", area="LSOA_CODE", patients="NUMBER_OF_PATIENTS",
                        geography="lsoa11", period="p", publisher="p", licence="l", attribution="a",
                        spec_file="t.toml")
    first = small_area.read_shares(spec, source, {"E2"}, tmp_path / "cache")
    folders = list((tmp_path / "cache").iterdir())
    assert len(folders) == 1 and not folders[0].name.endswith(".tmp")
    again = small_area.read_shares(spec, source, {"E2"}, tmp_path / "cache")
    assert list(again.rows["practice"]) == ["A", "A"] and again.rows["share"].tolist() == [0.75, 0.25]
    assert again.rows[["practice", "area", "patients", "share"]].equals(first.rows[["practice", "area", "patients",
                                                                                      "share"]])
    assert list(again.totals.index) == ["A", "B", "C"] and again.report["rows"] == 5


def test_a_registered_source_naming_no_estimate_is_refused(tmp_path):
    root = tmp_path / "specs"
    (root / "boundaries").mkdir(parents=True)
    (root / "layers").mkdir()
    catalogue_root = Catalogue.load().boundaries["lsoa11"].spec_file
    from atlas.specs import SPEC_ROOT
    (root / "boundaries" / "lsoa11.toml").write_bytes((SPEC_ROOT / catalogue_root).read_bytes())
    (root / "layers" / "r.toml").write_text(
        '[source]\nid = "r"\ntitle = "t"\ncomputed = "registered_patients"\nestimate = "nope"\n'
        'population = "pop"\ngeography = "lsoa11"\nperiod = "p"\npublisher = "p"\nlicence = "l"\n'
        'attribution = "a"\n\n[[indicator]]\nid = "r_n"\nlabel = "n"\ncolumn = "registered_patients"\n'
        'kind = "count"\nunits = "patients"\nhigher_is = "neutral"\ndescription = "d"\n')
    with pytest.raises(SpecError, match="estimate 'nope' names no \\[estimate\\] spec"):
        Catalogue.load(root)


# -- real files --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def raw(source_dir):
    patients = pd.read_csv(source_dir / PATIENTS, dtype={"LSOA_CODE": str},
                           usecols=["LSOA_CODE", "NUMBER_OF_PATIENTS"])
    census = pd.read_csv(source_dir / CENSUS).set_index("geography code")["Residence type: Total; measures: Value"]
    lookup = pd.read_csv(source_dir / LOOKUP, dtype=str)
    return patients.groupby("LSOA_CODE")["NUMBER_OF_PATIENTS"].sum(), census, lookup


def test_luton_registered_patients_and_residents_match_the_raw_files(raw, luton):
    by_lsoa, census, lookup = raw
    lsoa11 = set(lookup.loc[lookup["LAD22CD"] == LUTON, "LSOA11CD"])
    table = luton.table("lsoa11")
    assert set(table.index) == lsoa11 and len(lsoa11) == 121
    expected = by_lsoa.reindex(sorted(lsoa11)).sum()
    got = table["gp_registered_patients"].sum()
    print(f"Luton: {got:,.0f} registered patients live in its 121 LSOAs (file: {expected:,.0f})")
    assert got == expected == 265_315
    # LSOA 2021: the residents moved to 2011 and back are the census figures, area by area
    lsoa21 = luton.table("lsoa21")
    assert np.allclose(lsoa21["census21_residents_registered"], census.reindex(lsoa21.index), rtol=0, atol=1e-6)
    assert lsoa21["gp_registered_patients"].sum() == pytest.approx(expected)
    residents = census.reindex(lsoa21.index).sum()
    ratio = luton.table("ward2023")
    assert ratio["gp_registered_patients"].sum() == pytest.approx(expected)
    assert ratio["census21_residents_registered"].sum() == pytest.approx(residents)
    print(f"Luton: {expected / residents * 100:.1f} registered per 100 residents ({residents:,.0f} residents)")


def test_the_ratio_of_an_unchanged_lsoa_is_its_patients_over_its_census_residents(raw, luton):
    by_lsoa, census, lookup = raw
    luton_rows = lookup[lookup["LAD22CD"] == LUTON]
    once = lookup["LSOA21CD"].map(lookup["LSOA21CD"].value_counts()) == 1
    unchanged = sorted(luton_rows.loc[(luton_rows["LSOA11CD"] == luton_rows["LSOA21CD"]) & once, "LSOA11CD"])
    code = unchanged[0]
    expected = by_lsoa[code] / census[code] * 100
    value = luton.table("lsoa11").at[code, "gp_registered_per_100_residents"]
    print(f"{code}: {by_lsoa[code]:,.0f} registered / {census[code]:,.0f} residents = {value:.1f} per 100")
    assert value == pytest.approx(expected)


def test_the_layers_say_what_they_are_and_reach_every_geography(luton):
    rows = luton.layers[luton.layers["layer"] == "gp_registered_per_100_residents"]
    assert set(rows["geography"]) >= {"lsoa11", "lsoa21", "ward2023", "msoa11", "msoa21"}
    for _, row in rows.iterrows():
        assert "July 2023" in row["period"] and "21 March 2021" in row["period"] and "LSOA 2011" in row["period"]
        assert "Above 100: more registrations than residents" in row["method"]
        assert "list inflation" in row["method"] and "students" in row["method"] and "border" in row["method"]
    msoa21 = luton.table("msoa21")
    ratio = msoa21["gp_registered_per_100_residents"]
    assert np.allclose(ratio, msoa21["gp_registered_per_100_residents_numerator"]
                       / msoa21["gp_registered_per_100_residents_denominator"] * 100)
    # the population weight of LSOA 2011 is still IoD2019's (the residents layer is a count, not a population)
    lsoa11 = luton.layers_on("lsoa11")
    assert lsoa11.loc[lsoa11["kind"] == "population", "layer"].iloc[0] == "iod19_population"
