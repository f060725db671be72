"""Similar authorities (issue 17): Luton's list computed, reproducible, explained, never itself."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from atlas import similar
from atlas.errors import UnknownAreaError

LUTON = "E06000032"


@pytest.fixture(scope="module")
def luton_similar(source_dir):
    return similar.similar_authorities(LUTON, source_dir)


def test_luton_has_15_similar_authorities_never_itself(luton_similar):
    table = luton_similar.neighbours
    assert len(table) == 15 and table["rank"].tolist() == list(range(1, 16))
    assert LUTON not in set(table["code"])
    assert table["distance"].is_monotonic_increasing and (table["distance"] > 0).all()
    assert table["name"].notna().all()


def test_the_list_is_reproducible(luton_similar, source_dir):
    similar.national_inputs.cache_clear()
    again = similar.similar_authorities(LUTON, source_dir)
    pd.testing.assert_frame_equal(again.neighbours, luton_similar.neighbours)


def test_the_list_equals_an_independent_computation_from_the_raw_files(luton_similar, source_dir):
    iod = pd.read_csv(source_dir / similar.IOD2025_DISTRICTS).set_index("ltla24_code")
    scores = iod[[c for c in iod.columns if c.endswith("_average_score") and "rank" not in c and not c.startswith("imd")]]
    assert scores.shape[1] == 7
    ages = pd.read_csv(source_dir / similar.CENSUS_AGES)
    lookup = pd.read_csv(source_dir / similar.LSOA_TO_DISTRICT, encoding="utf-8-sig")
    ages = ages.merge(lookup[["LSOA21CD", "LAD23CD"]].drop_duplicates("LSOA21CD"), left_on="lsoa21_code",
                      right_on="LSOA21CD")
    total = ages.groupby("LAD23CD")["usual_residents"].sum()
    young = ages[ages["age_group"].str.contains("15 years and under")].groupby("LAD23CD")["usual_residents"].sum()
    old = ages[ages["age_group"].str.contains("65 years and over")].groupby("LAD23CD")["usual_residents"].sum()
    bounds = gpd.read_file(source_dir / similar.DISTRICT_BOUNDARIES).to_crs(27700)
    area = pd.Series(bounds.geometry.area.to_numpy() / 1e6, index=bounds["LAD25NM"]).groupby(level=0).first()
    km2 = iod["ltla24_name"].map(area)   # by name, which every district keeps
    features = scores.assign(pop=np.log10(total), young=young / total, old=old / total,
                             density=np.log10(total / km2)).dropna()
    z = (features - features.mean()) / features.std(ddof=0)
    distance = np.sqrt(((z - z.loc[LUTON]) ** 2).sum(axis=1)).drop(LUTON).sort_values(kind="mergesort")
    assert luton_similar.neighbours["code"].tolist() == distance.index[:15].tolist()
    assert np.allclose(luton_similar.neighbours["distance"], distance.iloc[:15])
    # Luton's population, Census 2021
    assert 10 ** luton_similar.inputs.loc[LUTON, similar.CENSUS_INPUTS["log10_population"]] == pytest.approx(
        total[LUTON])


def test_the_inputs_and_method_are_shown(luton_similar):
    assert list(luton_similar.inputs.index[:2]) == [LUTON, luton_similar.neighbours["code"].iloc[0]]
    assert luton_similar.inputs.shape == (16, 11)
    assert "not CIPFA" in luton_similar.method
    assert luton_similar.neighbours["name"].iloc[0] in luton_similar.reading()


def test_an_unknown_authority_says_why(source_dir):
    with pytest.raises(UnknownAreaError, match="not one of England"):
        similar.similar_authorities("E99999999", source_dir)
