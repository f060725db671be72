"""Region atlases (issue 18): the nine regions of the lookups build like counties, as the union of their districts."""

from __future__ import annotations

import pandas as pd
import pytest

from atlas import authorities, cli
from atlas.build import build
from atlas.ui import map_page

SOURCE_LOOKUP = ("boundaries/Ward_to_Local_Authority_District_to_County_to_Region_to_Country_(May_2023)_"
                 "Lookup_in_United_Kingdom.csv.gz")
LSOA21_LOOKUP = "boundaries/LSOA_(2021)_to_Electoral_Ward_(2023)_to_LAD_(2023)_Best_Fit_Lookup_in_EW.csv.gz"
IOD_FILE_1 = "deprivation/iod2019_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
EAST = "E12000006"


@pytest.fixture(scope="module")
def region_districts(source_dir) -> set:
    """East of England's districts straight from the raw ward-to-region lookup."""
    raw = pd.read_csv(source_dir / SOURCE_LOOKUP, encoding="utf-8-sig", usecols=["LAD23CD", "RGN23CD"])
    return set(raw.loc[raw["RGN23CD"] == EAST, "LAD23CD"])


def test_the_nine_regions_are_listed(source_dir):
    table = authorities.list_authorities(source_dir=source_dir)
    regions = table[table["kind"] == "region"]
    assert len(regions) == 9 and regions["code"].str.startswith("E12").all()
    assert regions.set_index("code").loc[EAST, "name"] == "East of England"


def test_a_region_is_its_districts(source_dir, region_districts):
    region = authorities.resolve(EAST, source_dir=source_dir)
    assert region.kind == "region" and region.is_group and region.name == "East of England"
    assert set(region.districts) == region_districts and len(region_districts) == 45


def test_a_region_code_of_another_kind_is_refused(capsys):
    assert cli.main(["build", "--la", "E12000099"]) == 2
    assert "E12000099 is not an authority the source files know" in capsys.readouterr().err


@pytest.mark.slow
def test_east_of_england_is_the_union_of_its_districts(source_dir, region_districts, tmp_path):
    atlas = build(EAST, source_dir=source_dir, out_dir=tmp_path, write=False)
    lsoa21 = pd.read_csv(source_dir / LSOA21_LOOKUP, encoding="utf-8-sig", usecols=["LSOA21CD", "LAD23CD"])
    mine21 = lsoa21[lsoa21["LAD23CD"].isin(region_districts)].drop_duplicates("LSOA21CD")
    per_district = mine21.groupby("LAD23CD").size()
    assert len(atlas.table("lsoa21")) == per_district.sum() == len(mine21)
    assert set(atlas.table("lsoa21").index) == set(mine21["LSOA21CD"])
    iod = pd.read_csv(source_dir / IOD_FILE_1, encoding="utf-8-sig",
                      usecols=["LSOA code (2011)", "Local Authority District code (2019)"])
    mine11 = iod[iod["Local Authority District code (2019)"].isin(region_districts)]
    assert set(atlas.table("lsoa11").index) == set(mine11["LSOA code (2011)"])
    assert len(atlas.table("district")) == 45  # districts as a geography of the region
    for geography in ("msoa11", "msoa21", "ward2023"):
        assert len(atlas.table(geography)) > 0, geography
    assert atlas.values("income19_score", "lsoa11").notna().all()
    # the map atlas page draws the districts and, thicker, the upper-tier authorities (5 counties, 6 unitaries)
    assert len(atlas.table("upper_tier")) == 11
    assert map_page.upper_tier_overlay(atlas, "lsoa21") == "upper_tier"
    assert map_page.upper_tier_overlay(atlas, "upper_tier") is None
