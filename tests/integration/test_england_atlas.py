"""England and region atlases on every geography (issue 18, deliver 1).

The slow tests build England (E92000001) and East of England (E12000006) from the real files and check
them against counts and joins worked out here from the raw files (pyogrio and pandas, not the atlas's
readers): every area of the districts' own files (an area in two files counted once), the IoD values on
both LSOA vintages, districts and upper-tier authorities as geographies, and an upper tier's value
against a population-weighted mean worked out here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

import atlas
from atlas.specs import Catalogue

ENGLAND, EAST = "E92000001", "E12000006"
OUTLINES = "boundaries/LAD_MAY_2025_UK_BSC_V2"
LOOKUP = ("boundaries/Ward_to_Local_Authority_District_to_County_to_Region_to_Country_(May_2023)_"
          "Lookup_in_United_Kingdom.csv.gz")
IOD2019 = "deprivation/iod2019_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
IOD2025 = "deprivation/iod2025_lsoa21/humaniverse_IMD/imd2025_england_lsoa21.csv.gz"
PATIENTS = "health/gp-reg-pat-prac-lsoa-all_2023-07.csv.gz"
PER_DISTRICT = {  # geography -> folder of its per-district files, code column (wards: WD25CD or WD22CD)
    "lsoa21": ("boundaries/lsoa2021_england_by_lad", "LSOA21CD"),
    "msoa21": ("boundaries/msoa2021_england_by_lad", "MSOA21CD"),
    "msoa11": ("boundaries/msoa2011_england_by_lad", "MSOA11CD"),
    "ward2023": ("boundaries/wards2025_england_by_lad", None),
}


@pytest.fixture(scope="module")
def built(source_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("england_atlases")
    cache: dict = {}

    def get(code):
        if code not in cache:
            cache[code] = atlas.build(code, source_dir=source_dir, out_dir=folder, write=False)
        return cache[code]
    return get


def english_districts(source_dir: Path) -> set:
    shapefile = next((source_dir / OUTLINES).glob("*.shp"))
    codes = pyogrio.read_dataframe(shapefile, columns=["LAD25CD"], read_geometry=False)["LAD25CD"]
    return {c for c in codes if c[:3] in ("E06", "E07", "E08", "E09")}


def region_districts(source_dir: Path, region: str) -> set:
    raw = pd.read_csv(source_dir / LOOKUP, encoding="utf-8-sig", usecols=["LAD23CD", "RGN23CD"])
    return set(raw.loc[raw["RGN23CD"] == region, "LAD23CD"]) & english_districts(source_dir)


def file_codes(source_dir: Path, geography: str, districts: set) -> set:
    """Codes of every area of the districts' own files whose LADCD_ACTIVE is one of them (once each)."""
    folder, column = PER_DISTRICT[geography]
    codes: set = set()
    for district in sorted(districts):
        path = f"/vsigzip/{source_dir / folder / district}.geojson.gz"
        code = column or ("WD25CD" if "WD25CD" in pyogrio.read_info(path)["fields"] else "WD22CD")
        table = pyogrio.read_dataframe(path, columns=[code, "LADCD_ACTIVE"], read_geometry=False)
        codes |= set(table.loc[table["LADCD_ACTIVE"].isin(districts), code])
    return codes


def upper_tiers(source_dir: Path, districts: set) -> dict:
    """District -> its county (E10) in the raw lookup, or the district itself."""
    raw = pd.read_csv(source_dir / LOOKUP, encoding="utf-8-sig", usecols=["LAD23CD", "CTY23CD"]).drop_duplicates()
    county = dict(zip(raw["LAD23CD"], raw["CTY23CD"]))
    return {d: county[d] if str(county.get(d, "")).startswith("E10") else d for d in districts}


@pytest.mark.slow
def test_england_holds_every_area_of_every_geography_with_iod_values(built, source_dir):
    england = built(ENGLAND)
    districts = english_districts(source_dir)
    assert len(districts) == 296
    iod19 = pd.read_csv(source_dir / IOD2019, encoding="utf-8-sig", usecols=["LSOA code (2011)"])
    iod25 = pd.read_csv(source_dir / IOD2025, usecols=["lsoa21_code"])
    assert len(england.table("lsoa11")) == iod19["LSOA code (2011)"].nunique() == 32_844
    assert set(england.table("lsoa11").index) == set(iod19["LSOA code (2011)"])
    lsoa21 = file_codes(source_dir, "lsoa21", districts)
    assert len(england.table("lsoa21")) == len(lsoa21) == 33_755
    assert set(england.table("lsoa21").index) == lsoa21 == set(iod25["lsoa21_code"])
    assert england.values("income19_score", "lsoa11").notna().all()
    assert england.values("imd25_score", "lsoa21").notna().all()
    assert england.values("income25_score", "lsoa21").notna().all()
    for geography in ("msoa11", "msoa21", "ward2023"):
        codes = file_codes(source_dir, geography, districts)
        assert set(england.table(geography).index) == codes, geography
        assert not england.table(geography).index.duplicated().any()
    assert len(england.table("msoa21")) == 6_856 and len(england.table("msoa11")) == 6_791
    assert england.geography_labels["ward2023"] == "Wards (May 2025)"  # every ward of today's district files


@pytest.mark.slow
def test_england_has_districts_and_upper_tier_authorities(built, source_dir):
    england = built(ENGLAND)
    districts = english_districts(source_dir)
    tiers = upper_tiers(source_dir, districts)
    assert set(england.table("district").index) == districts
    assert set(england.table("upper_tier").index) == set(tiers.values())
    assert len(england.outline) == 296
    for geography in ("district", "upper_tier"):  # every LSOA reached a district and an upper tier
        assert england.values("income19_score", geography).notna().all(), geography


@pytest.mark.slow
def test_east_of_england_is_the_union_of_its_districts_on_every_geography(built, source_dir):
    east = built(EAST)
    districts = region_districts(source_dir, EAST)
    assert len(districts) == 45
    for geography in PER_DISTRICT:
        assert set(east.table(geography).index) == file_codes(source_dir, geography, districts), geography
    tiers = upper_tiers(source_dir, districts)
    assert set(east.table("district").index) == districts
    assert set(east.table("upper_tier").index) == set(tiers.values())
    assert len(east.table("upper_tier")) == 11  # five counties and six unitary authorities


@pytest.mark.slow
def test_an_upper_tier_value_is_the_weighted_mean_of_its_lsoas(built, source_dir):
    """Hertfordshire's Income 2019 score: the mean of its districts' LSOAs (by IoD2019's own district
    codes) weighted by the layer's weight, worked out here from the atlas's LSOA values."""
    east = built(EAST)
    districts = region_districts(source_dir, EAST)
    herts = {d for d, tier in upper_tiers(source_dir, districts).items() if tier == "E10000015"}
    assert len(herts) == 10
    iod = pd.read_csv(source_dir / IOD2019, encoding="utf-8-sig",
                      usecols=["LSOA code (2011)", "Local Authority District code (2019)"])
    lsoas = iod.loc[iod["Local Authority District code (2019)"].isin(herts), "LSOA code (2011)"]
    weight = Catalogue.load().indicators["income19_score"].source.weight
    table = east.table("lsoa11").loc[lsoas]
    expected = np.average(table["income19_score"], weights=table[weight])
    assert east.values("income19_score", "upper_tier")["E10000015"] == pytest.approx(expected, rel=1e-9)
    luton = east.values("income19_score", "upper_tier")["E06000032"]  # a unitary is its own upper tier
    assert luton == pytest.approx(east.values("income19_score", "district")["E06000032"], rel=1e-12)


@pytest.mark.slow
def test_england_counts_registered_patients_of_english_areas_only(built, source_dir):
    """The England atlas counts the patients living in England's LSOAs (2011): the raw file's E01 rows summed
    here; English practices' patients living in Wales (W01 rows) are not areas of England and give no warning."""
    england = built(ENGLAND)
    raw = pd.read_csv(source_dir / PATIENTS, usecols=["LSOA_CODE", "NUMBER_OF_PATIENTS"], dtype={"LSOA_CODE": str})
    english = raw[raw["LSOA_CODE"].str.startswith("E01")]
    assert (raw["LSOA_CODE"].str.startswith("W01")).any()
    patients = england.values("gp_registered_patients", "lsoa11")
    assert patients.sum() == pytest.approx(english["NUMBER_OF_PATIENTS"].sum())
    assert set(patients.index) == set(england.table("lsoa11").index)
    assert not [w for w in england.report.warnings if "W01" in w], england.report.warnings
