"""Every English authority builds the whole atlas from the national files (issue 13).

The slow tests build seven authorities of different kinds and Hertfordshire (a
county of ten districts) from the real files, and check each against counts and
joins worked out here from the files themselves (pyogrio and pandas, not the
atlas's readers).
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

import atlas
from atlas import authorities
from atlas.errors import SourceFileError, UnknownAreaError
from atlas.geography import read_boundaries
from atlas.specs import Catalogue

from ..conftest import PROJECT

NATIONAL = {  # geography -> (folder of the national per-district set, code column)
    "lsoa21": ("boundaries/lsoa2021_england_by_lad", "LSOA21CD"),
    "msoa21": ("boundaries/msoa2021_england_by_lad", "MSOA21CD"),
    "msoa11": ("boundaries/msoa2011_england_by_lad", "MSOA11CD"),
    "ward2023": ("boundaries/wards2025_england_by_lad", None),  # WD25CD, or WD22CD in three files
}
IOD2019 = "deprivation/iod2019_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
CODEPOINT = "assets/codepoint_open_2025_4"
EPRACCUR = "assets/epraccur_2024-01.csv.gz"
#: The authorities of the issue: code -> (districts whose files hold it, its districts' codes in IoD2019).
AUTHORITIES = {
    "E06000032": (["E06000032"], ["E06000032"]),  # Luton
    "E06000052": (["E06000052"], ["E06000052"]),  # Cornwall
    "E08000025": (["E08000025"], ["E08000025"]),  # Birmingham
    "E09000033": (["E09000033"], ["E09000033"]),  # Westminster
    "E06000063": (["E06000063"], ["E07000026", "E07000028", "E07000029"]),  # Cumberland: Allerdale, Carlisle, Copeland
    "E08000019": (["E08000019"], ["E08000019"]),  # Sheffield, its December 2022 ward file
    "E06000053": (["E06000053"], ["E06000053"]),  # Isles of Scilly
}
HERTFORDSHIRE = "E10000015"
HERTS_DISTRICTS = ["E07000095", "E07000096", "E07000098", "E07000099", "E07000102", "E07000103",
                   "E07000240", "E07000241", "E07000242", "E07000243"]
ALL = {**AUTHORITIES, HERTFORDSHIRE: (HERTS_DISTRICTS, HERTS_DISTRICTS)}


@pytest.fixture(scope="module")
def built(source_dir, tmp_path_factory):
    """Each authority's atlas, built once for the module (on first use)."""
    folder = tmp_path_factory.mktemp("national_atlases")
    cache: dict = {}

    def get(code):
        if code not in cache:
            cache[code] = atlas.build(code, source_dir=source_dir, out_dir=folder)
        return cache[code]
    return get


def file_codes(source_dir: Path, geography: str, districts: list[str]) -> set:
    """The area codes of the districts in the national set: their own files, features of theirs."""
    folder, column = NATIONAL[geography]
    codes: set = set()
    for district in districts:
        path = f"/vsigzip/{source_dir / folder / district}.geojson.gz"
        fields = pyogrio.read_info(path)["fields"]
        code = column or ("WD25CD" if "WD25CD" in fields else "WD22CD")
        table = pyogrio.read_dataframe(path, columns=[code, "LADCD_ACTIVE"], read_geometry=False)
        codes |= set(table.loc[table["LADCD_ACTIVE"] == district, code])
    return codes


def iod2019_codes(source_dir: Path, districts_2019: list[str]) -> set:
    table = pd.read_csv(source_dir / IOD2019, dtype=str)
    return set(table.loc[table["Local Authority District code (2019)"].isin(districts_2019), "LSOA code (2011)"])


# -- every geography, with the counts of the files ----------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("code", list(ALL))
def test_authority_builds_every_geography_with_the_counts_of_the_files(built, source_dir, code):
    districts, districts_2019 = ALL[code]
    result = built(code)
    assert {"lsoa11", "lsoa21", "ward2023", "msoa11", "msoa21"} <= set(result.geographies)
    for geography in NATIONAL:
        assert set(result.table(geography).index) == file_codes(source_dir, geography, districts), geography
    assert set(result.table("lsoa11").index) == iod2019_codes(source_dir, districts_2019)
    for geography in ("lsoa11", "lsoa21", "ward2023", "msoa11", "msoa21"):
        assert result.report.geographies[geography]["n_missing_boundaries"] == 0
    assert result.outline is not None and len(result.outline) == len(districts)


@pytest.mark.slow
def test_luton_keeps_its_counts_and_figures_from_the_national_files(built):
    luton = built("E06000032")
    counts = {g: len(luton.table(g)) for g in ("lsoa11", "lsoa21", "ward2023", "msoa11", "msoa21")}
    assert counts == {"lsoa11": 121, "lsoa21": 125, "ward2023": 20, "msoa11": 21, "msoa21": 22}
    assert luton.geography_labels["ward2023"] == "Wards (from May 2023)"
    assert [len(luton.points[s]) for s in ("gp_practices", "pharmacies")] == [25, 40]
    assert luton.report.points["gp_practices"]["postcode_files"][0].startswith(CODEPOINT)


@pytest.mark.slow
def test_ward_labels_say_their_real_vintage(built):
    sheffield = built("E08000019")
    assert sheffield.geography_labels["ward2023"] == "Wards (December 2022)"
    assert sheffield.report.geographies["ward2023"]["vintage"] == "December 2022"
    assert any("December 2022" in w and "Sheffield" in w for w in sheffield.report.warnings)
    assert built("E09000033").geography_labels["ward2023"] == "Wards (from May 2023)"  # unchanged since 2023
    cornwall = built("E06000052")
    assert cornwall.geography_labels["ward2023"] == "Wards (May 2025)"  # some wards redrawn since 2023


@pytest.mark.slow
def test_wards_say_which_rule_assigned_their_lsoas(built, source_dir):
    cornwall = built("E06000052")
    entry = next(a for a in cornwall.report.aggregations if a["from"] == "lsoa21" and a["to"] == "ward2023")
    rules = entry["parent_rules"]
    wards = set(cornwall.table("ward2023").index)
    assert set(rules["by code"]) | set(rules["by centroid"]) == wards
    assert not set(rules["by code"]) & set(rules["by centroid"])
    # independently: the wards of the ONS May 2023 lookup that are not May 2025 wards of Cornwall
    lookup = pd.read_csv(source_dir / "boundaries/LSOA_(2021)_to_Electoral_Ward_(2023)_to_LAD_(2023)_Best_Fit_Lookup_"
                         "in_EW.csv.gz", dtype=str, encoding="utf-8-sig")
    mine = lookup[lookup["LSOA21CD"].isin(cornwall.table("lsoa21").index)]
    by_code_lsoas = mine[mine["WD23CD"].isin(wards)]
    assert set(by_code_lsoas["WD23CD"]) >= set(rules["by code"])
    assert len(mine) - len(by_code_lsoas) > 0  # some LSOAs' 2023 wards are gone: assigned by centroid
    assert cornwall.table("ward2023")["census21_population"].sum() == cornwall.table("lsoa21")[
        "census21_population"].sum()


# -- every layer the national files support -----------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("code", list(ALL))
def test_every_lsoa2021_has_iod2025_and_census2021_values(built, code):
    result = built(code)
    catalogue = Catalogue.load()
    lsoas = result.table("lsoa21")
    ids = [i.id for i in catalogue.indicators_on("lsoa21")
           if i.source.id.startswith(("iod2025", "census2021"))]
    assert len([i for i in ids if i.startswith(("imd25", "income25"))]) >= 2 and "census21_population" in ids
    empty = {i: int(lsoas[i].isna().sum()) for i in ids if lsoas[i].isna().any()}
    assert empty == {}


@pytest.mark.slow
@pytest.mark.parametrize("code", list(ALL))
def test_every_msoa2011_has_life_expectancy_or_a_reported_gap(built, code):
    result = built(code)
    catalogue = Catalogue.load()
    msoas = result.table("msoa11")
    for indicator in (i for i in catalogue.indicators_on("msoa11") if i.source.id.startswith("ons_life_expectancy")):
        entry = next(e for e in result.report.layers if e["layer"] == indicator.id and e["geography"] == "msoa11")
        reported = set(entry["unmatched_codes"]) | set(entry["missing_value_codes"])
        gaps = set(msoas.index[msoas[indicator.id].isna()])
        assert gaps <= reported, indicator.id
        assert entry["unmatched"] + entry["missing_values"] == len(gaps)


@pytest.fixture(scope="module")
def codepoint(source_dir) -> pd.DataFrame:
    """All of Code-Point Open: postcode (no spaces) -> district."""
    names = ["postcode", "quality", "e", "n", "country", "r", "ha", "county", "district", "ward"]
    parts = [pd.read_csv(path, header=None, names=names, usecols=["postcode", "district"], dtype=str)
             for path in sorted((source_dir / CODEPOINT).glob("*.csv.gz"))]
    table = pd.concat(parts, ignore_index=True)
    table["postcode"] = table["postcode"].str.replace(" ", "", regex=False).str.upper()
    return table.set_index("postcode")


@pytest.mark.slow
@pytest.mark.parametrize("code", list(ALL))
def test_every_active_practice_with_a_postcode_in_the_authority_is_placed_or_reported(built, source_dir,
                                                                                      codepoint, code):
    result = built(code)
    aliases = set(result.report.authority["former_codes"]) | {d["code"] for d in result.report.authority[
        "districts"]}
    practices = pd.read_csv(source_dir / EPRACCUR, header=None, dtype=str)
    practices = practices[(practices[25] == "4") & (practices[12] == "A")]
    data_date = pd.to_datetime(pd.read_csv(source_dir / EPRACCUR, header=None, dtype=str)[10], format="%Y%m%d").max()
    closed = pd.to_datetime(practices[11], format="%Y%m%d", errors="coerce") <= data_date
    practices = practices[~closed]
    postcode = practices[9].str.replace(" ", "", regex=False).str.upper()
    district = codepoint["district"].reindex(postcode.to_numpy()).to_numpy()
    # Code-Point 2025.4 gives Sheffield's postcodes today's code E08000039: its former code is its own
    in_authority = set(practices.loc[pd.Series(district, index=practices.index).isin(aliases), 0])
    report = result.report.points["gp_practices"]
    placed = set(result.points["gp_practices"].index)
    unmatched = {u["code"] for u in report["unmatched_postcodes"]}
    assert placed == in_authority
    not_found = set(practices.loc[pd.isna(district), 0])
    assert unmatched <= not_found and report["unmatched"] == len(unmatched)
    assert len(placed) > 0


# -- a county --------------------------------------------------------------------------------

@pytest.mark.slow
def test_hertfordshire_builds_as_a_county_of_its_ten_districts(built, source_dir):
    herts = built(HERTFORDSHIRE)
    assert herts.la_name == "Hertfordshire"
    assert herts.report.authority["kind"] == "county"
    assert [d["code"] for d in herts.report.authority["districts"]] == HERTS_DISTRICTS
    districts = herts.table("district")
    assert sorted(districts.index) == HERTS_DISTRICTS and len(herts.outline) == 10
    # district aggregation: each district's population is the sum of its LSOAs' (ONS LSOA 2021 lookup)
    lookup = pd.read_csv(source_dir / "boundaries/LSOA_(2021)_to_Electoral_Ward_(2023)_to_LAD_(2023)_Best_Fit_Lookup_"
                         "in_EW.csv.gz", dtype=str, encoding="utf-8-sig").set_index("LSOA21CD")["LAD23CD"]
    lsoas = herts.table("lsoa21")
    expected = lsoas["census21_population"].groupby(lookup.reindex(lsoas.index)).sum()
    assert np.allclose(districts["census21_population"].reindex(expected.index), expected)
    # a district is a profile area of its county, with the LSOAs the aggregation gave it
    from atlas import export, profiles
    stevenage = profiles.find_area(herts, "Stevenage")
    assert (stevenage.kind, stevenage.code) == ("district", "E07000243")
    assert stevenage.members["lsoa21"] == sorted(lookup.index[lookup == "E07000243"].intersection(lsoas.index))
    assert "Stevenage" in profiles.render_html(profiles.build_profile(herts, stevenage))
    assert export.render_map(herts, "income19_score", "district", fmt="png", dpi=72)[:4] == b"\x89PNG"


@pytest.mark.slow
def test_county_statistics_cross_district_borders(built):
    import esda
    import libpysal

    from atlas.stats import moran, spatial_weights
    from atlas.stats.inequality import twenty_twenty

    herts = built(HERTFORDSHIRE)
    lsoas = herts.table("lsoa11")
    weights = spatial_weights(lsoas)
    ours = moran(lsoas["income19_score"], weights)
    # independently: fuzzy contiguity (1 m), row-standardised, esda
    frame = lsoas[["geometry"]].copy()
    w = libpysal.weights.fuzzy_contiguity(frame, tolerance=0, buffering=True, drop=False, buffer=1.0,
                                          ids=list(frame.index))
    w.transform = "r"
    theirs = esda.Moran(lsoas.loc[w.id_order, "income19_score"].to_numpy(), w, permutations=0)
    assert ours.I == pytest.approx(theirs.I, abs=0.02)
    # some neighbours lie in different districts: the statistic is the county's, not ten districts'
    district_of = pd.read_csv(Path(atlas.config.source_dir()) / IOD2019, dtype=str).set_index(
        "LSOA code (2011)")["Local Authority District code (2019)"]
    across = sum(1 for a, ns in w.neighbors.items() for b in ns if district_of[a] != district_of[b])
    assert across > 0
    # the 20:20 index over all the county's LSOAs, counted here from the deciles
    deciles = lsoas["income19_decile"]
    ratio = twenty_twenty(deciles)
    assert ratio["n"] == len(lsoas) == 690
    assert (ratio["least"], ratio["most"]) == (int(deciles.isin([9, 10]).sum()), int(deciles.isin([1, 2]).sum()))


# -- codes: districts of today, counties, former codes -------------------------------------------

def test_a_2019_code_of_a_merged_district_resolves_to_its_successor(source_dir):
    found = authorities.resolve("E07000026", source_dir=source_dir)  # Allerdale, in IoD2019
    assert found.code == "E06000063" and found.name == "Cumberland"
    assert any("E07000026" in n and "E06000063" in n for n in found.notes)
    assert {"E07000026", "E07000028", "E07000029"} <= found.aliases


def test_an_abolished_code_names_its_successor(source_dir):
    with pytest.raises(UnknownAreaError, match=r"E06000028 \(Bournemouth\).*abolished.*E06000058"):
        atlas.build("E06000028", source_dir=source_dir, write=False)


def test_an_unknown_code_is_named(source_dir):
    with pytest.raises(UnknownAreaError, match="E07000999.*atlas districts"):
        atlas.build("E07000999", source_dir=source_dir, write=False)
    with pytest.raises(UnknownAreaError, match="E05014737 is the code of a electoral ward|E05014737.*ward"):
        atlas.build("E05014737", source_dir=source_dir, write=False)


def test_a_recoded_district_builds_under_its_former_code(source_dir):
    sheffield = authorities.resolve("E08000019", source_dir=source_dir)
    assert sheffield.districts == ("E08000019",) and "E08000039" in sheffield.aliases
    assert authorities.resolve("E08000039", source_dir=source_dir).aliases >= {"E08000019", "E08000039"}


def test_every_district_and_county_is_listed(source_dir):
    table = authorities.list_authorities(source_dir=source_dir)
    assert (~table["kind"].isin(["county", "region"])).sum() == 296  # May 2025 districts of England
    assert (table["kind"] == "region").sum() == 9
    counties = table[table["kind"] == "county"]
    assert len(counties) == 21 and "Hertfordshire" in set(counties["name"])
    assert table.set_index("code").loc[HERTFORDSHIRE, "districts"] == 10
    assert table.set_index("code").loc["E07000242", "county"] == HERTFORDSHIRE


# -- bad input with small sources ----------------------------------------------------------------

@pytest.fixture
def county_source(tmp_path, source_dir) -> Path:
    """The real files, without the table that says which districts make each county."""
    root = tmp_path / "source"
    root.mkdir()
    for entry in source_dir.iterdir():
        if entry.name != "boundaries":
            os.symlink(entry, root / entry.name)
    (root / "boundaries").mkdir()
    for entry in (source_dir / "boundaries").iterdir():
        if not entry.name.startswith("Ward_to_Local_Authority_District_to_County"):
            os.symlink(entry, root / "boundaries" / entry.name)
    return root


def test_a_missing_national_table_names_the_file_and_the_spec(county_source):
    with pytest.raises(SourceFileError, match=r"Ward_to_Local_Authority_District_to_County.*district\.toml"):
        atlas.build(HERTFORDSHIRE, source_dir=county_source, write=False)


def test_missing_national_postcode_files_name_the_pattern_and_the_spec(tmp_path, source_dir):
    root = tmp_path / "source"
    root.mkdir()
    for entry in source_dir.iterdir():
        if entry.name != "assets":
            os.symlink(entry, root / entry.name)
    (root / "assets").mkdir()
    for entry in (source_dir / "assets").iterdir():
        if entry.name != "codepoint_open_2025_4":
            os.symlink(entry, root / "assets" / entry.name)
    with pytest.raises(SourceFileError, match=r"codepoint_open_2025_4.*os_codepoint_open\.toml"):
        atlas.build("E06000053", source_dir=root, write=False)


def _ward_file(path: Path, code_column: str, name_column: str, codes: list[str], district: str) -> None:
    features = []
    for i, code in enumerate(codes):
        x = -0.45 + i * 0.01
        ring = [[x, 51.88], [x + 0.01, 51.88], [x + 0.01, 51.89], [x, 51.89], [x, 51.88]]
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                         "properties": {code_column: code, name_column: f"Ward {i}", "LADCD_ACTIVE": district}})
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as out:
        json.dump({"type": "FeatureCollection", "features": features}, out)


def test_a_ward_file_of_another_vintage_is_read_and_labelled_by_it(tmp_path):
    spec = Catalogue.load().boundaries["ward2023"]
    district = "E06999999"
    _ward_file(tmp_path / f"boundaries/wards2025_england_by_lad/{district}.geojson.gz", "WD22CD", "WD22NM",
               ["E05999991", "E05999992"], district)
    found = read_boundaries(spec, tmp_path, district)
    assert list(found.frame.index) == ["E05999991", "E05999992"]
    assert found.label == "Wards (December 2022)" and found.vintage == "December 2022"
    assert "WD22CD" in found.variant_note


def test_wards_all_in_the_may_2023_list_are_labelled_from_may_2023(tmp_path):
    spec = Catalogue.load().boundaries["ward2023"]
    variant = next(v for v in spec.variants if v.codes_file)
    district = "E06999999"
    _ward_file(tmp_path / f"boundaries/wards2025_england_by_lad/{district}.geojson.gz", "WD25CD", "WD25NM",
               ["E05999991", "E05999992"], district)
    table = tmp_path / variant.codes_file
    table.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({variant.codes_column: ["E05999991", "E05999992", "E05999993"]}).to_csv(table, index=False)
    assert read_boundaries(spec, tmp_path, district).label == "Wards (from May 2023)"
    pd.DataFrame({variant.codes_column: ["E05999991"]}).to_csv(table, index=False)
    os.utime(table, None)
    assert read_boundaries(spec, tmp_path, district).label == spec.label == "Wards (May 2025)"


def test_the_project_specs_read_the_national_files():
    catalogue = Catalogue.load()
    for geography, (folder, _) in NATIONAL.items():
        assert catalogue.boundaries[geography].files[0].startswith(folder)
    assert catalogue.postcodes["codepoint_open"].files.startswith(CODEPOINT)
    assert (PROJECT / "atlas" / "specs" / "boundaries" / "district.toml").is_file()


@pytest.mark.slow
def test_the_report_says_how_2019_codes_were_resolved(built):
    cumberland = built("E06000063")
    entry = cumberland.report.geographies["lsoa11"]
    assert entry["member_districts"] == ["E07000026", "E07000028", "E07000029"]  # Allerdale, Carlisle, Copeland
    notes = " ".join(cumberland.report.authority["notes"])
    assert "E07000026, E07000028, E07000029" in notes and "E06000063" in notes
