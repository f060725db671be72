"""Change since 2019 (issue 17): Luton's IMD decile movement, worked out here from the raw files."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from atlas import change
from atlas.errors import AtlasError

LOOKUP = ("deprivation/lookups/LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_"
          "Lookup_for_England_and_Wales_(Version_2).csv.gz")
FILE_2 = "deprivation/iod2019_lsoa11/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
IOD2025 = "deprivation/iod2025_lsoa21/humaniverse_IMD/imd2025_england_lsoa21.csv.gz"
DECILE_2019 = "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)"


@pytest.fixture(scope="module")
def expected_counts(source_dir):
    """Down / same / up for Luton's LSOAs (2021), from the raw files without the atlas.

    Each 2021 LSOA takes its 2011 LSOA from the ONS lookup; a 2021 LSOA the lookup omits (a part of a
    split) takes the 2011 LSOA covering most of its area, from the published boundaries; a 2021 LSOA made
    from several 2011 LSOAs would not be compared.
    """
    new = gpd.read_file(source_dir / "boundaries/lsoa2021_E06000032_luton.geojson").to_crs(27700)
    old = gpd.read_file(source_dir / "boundaries/lsoa2011_E06000032_luton.geojson").to_crs(27700)
    lookup = pd.read_csv(source_dir / LOOKUP, dtype=str)
    lookup = lookup[lookup["LSOA21CD"].isin(new["LSOA21CD"])]
    parents = lookup.groupby("LSOA21CD")["LSOA11CD"].agg(list).to_dict()
    for _, area in new[~new["LSOA21CD"].isin(lookup["LSOA21CD"])].iterrows():
        share = old.geometry.intersection(area.geometry).area / area.geometry.area
        assert share.max() >= 0.5
        parents[area["LSOA21CD"]] = [old["LSOA11CD"].iloc[int(share.argmax())]]
    d19 = pd.read_csv(source_dir / FILE_2, encoding="utf-8-sig").set_index("LSOA code (2011)")[DECILE_2019]
    d25 = pd.read_csv(source_dir / IOD2025).set_index("lsoa21_code")["IMD_decile"]
    counts = {"down": 0, "same": 0, "up": 0, "not compared": 0}
    for code, sources in parents.items():
        if len(sources) != 1:
            counts["not compared"] += 1
            continue
        step = d25[code] - d19[sources[0]]
        counts["down" if step < 0 else "up" if step > 0 else "same"] += 1
    assert sum(counts.values()) == 125
    return counts


@pytest.fixture(scope="module")
def table(luton, source_dir):
    return change.decile_change(luton, "imd", source_dir)


def test_luton_decile_movement_counts_equal_an_independent_count(table, expected_counts):
    counts = change.movement_counts(table)
    assert counts == {change.DOWN: expected_counts["down"], change.SAME: expected_counts["same"],
                      change.UP: expected_counts["up"], change.NOT_COMPARED: expected_counts["not compared"]}
    assert len(table) == 125


def test_reading_says_deciles_are_relative_to_england(table, expected_counts):
    reading = change.change_reading(table, "Luton")
    assert f"{expected_counts['down']} moved to a lower" in reading
    assert "against England" in reading


def test_rank_changes_are_given_as_national_percentiles(table):
    row = table.dropna(subset=["rank_2019"]).iloc[0]
    assert row["percentile_change"] == pytest.approx(
        100 * (row["rank_2025"] / 33_755 - row["rank_2019"] / 32_844))


def test_every_domain_can_be_compared(luton, source_dir):
    for domain in change.DOMAINS:
        counts = change.movement_counts(change.decile_change(luton, domain, source_dir))
        assert sum(counts.values()) == 125


def test_wards_get_population_shares_that_sum_to_one(luton, table, source_dir):
    shares = change.change_by_area(luton, table, "ward2023", source_dir)
    assert shares[list(change.MOVEMENTS)].sum(axis=1).round(9).eq(1).all()
    assert shares["population"].sum() == pytest.approx(luton.values("census21_population", "lsoa21").sum())


def test_unknown_domain_and_wrong_geography_say_why(luton, table, source_dir):
    with pytest.raises(AtlasError, match="Unknown IoD domain"):
        change.decile_change(luton, "wealth", source_dir)
    with pytest.raises(AtlasError, match="do not aggregate"):
        change.change_by_area(luton, table, "lsoa11", source_dir)
