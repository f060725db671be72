"""Area sets (atlas areas add/list/remove, the geography, stats --areas) against the real files."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

import atlas
from atlas import cli, store
from atlas.analysis.area_stats import COLUMNS, area_statistics
from atlas.area_sets import add_area_set, areas_folder, list_area_sets, load_area_set
from atlas.areas import AreaSetError

from ..conftest import LUTON

WARD_LOOKUP = "boundaries/LSOA_(2021)_to_Electoral_Ward_(2023)_to_LAD_(2023)_Best_Fit_Lookup_in_EW.csv.gz"
LSOA_LOOKUP = ("deprivation/lookups/LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_"
               "Lookup_for_England_and_Wales_(Version_2).csv.gz")
IOD_FILE2 = "deprivation/iod2019_lsoa11/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
INCOME_DECILE = "Income Decile (where 1 is most deprived 10% of LSOAs)"


@pytest.fixture
def folder(tmp_path, luton_path):
    """A private atlas folder holding a copy of Luton's atlas (the session's stays untouched)."""
    out = tmp_path / "atlas"
    out.mkdir()
    shutil.copy(luton_path, out / luton_path.name)
    return out


@pytest.fixture(scope="module")
def ward_lookup(source_dir, tmp_path_factory):
    """Luton's May 2023 wards written out as an LSOA (2021) lookup, from the ONS best-fit lookup."""
    table = pd.read_csv(source_dir / WARD_LOOKUP, dtype=str)
    table = table.loc[table["LAD23CD"] == LUTON, ["LSOA21CD", "WD23CD", "WD23NM"]]
    path = tmp_path_factory.mktemp("lookups") / "luton_wards.csv"
    table.rename(columns={"LSOA21CD": "LSOA code", "WD23CD": "Ward code", "WD23NM": "Ward name"}).to_csv(
        path, index=False)
    return path


def _national_lookup(source_dir) -> pd.DataFrame:
    """Several hundred areas of England: LSOAs (2021) grouped by district name and MSOA number (18 a group)."""
    table = pd.read_csv(source_dir / WARD_LOOKUP, dtype=str)
    table = table[table["LSOA21CD"].str.startswith("E01")]
    stem = table["LSOA21NM"].str.slice(0, -4).str.strip()
    number = table["LSOA21NM"].str.slice(-4, -1).astype(int)
    return pd.DataFrame({"lsoa21": table["LSOA21CD"], "area": stem + " group " + (number // 18 + 1).astype(str)})


def test_luton_wards_as_an_area_set_reproduce_the_ward_table(folder, ward_lookup, source_dir):
    assert cli.main(["areas", "add", str(ward_lookup), "--name", "Wards again", "--atlas-dir", str(folder)]) == 0
    built = store.load(folder / f"{LUTON}.gpkg")
    geography = "areas_wards_again"
    areas, wards = built.table(geography), built.table("ward2023")
    assert sorted(areas.index) == sorted(wards.index) and len(areas) == 20
    assert (areas["name"].reindex(wards.index) == wards["name"]).all()
    on_lsoa21 = built.layers_on(geography)
    on_lsoa21 = on_lsoa21[on_lsoa21["native_geography"] == "lsoa21"]
    checked = set()
    for layer in on_lsoa21["layer"]:
        pd.testing.assert_series_equal(areas[layer].reindex(wards.index), wards[layer], check_names=False)
        checked.add(layer)
    # population, IoD2025 shares in the most deprived 20%, Census percentages (with numerators and denominators)
    assert {"census21_population", "imd25_decile_most_deprived_20", "c21_bad_health_pct"} <= checked
    assert areas["census21_population"].sum() == built.table("lsoa21")["census21_population"].sum()
    for column in ("c21_bad_health_pct_numerator", "c21_bad_health_pct_denominator"):
        pd.testing.assert_series_equal(areas[column].reindex(wards.index), wards[column], check_names=False)
    shares = built.decile_shares
    mine = shares[(shares["geography"] == geography) & (shares["layer"] == "imd25_decile")]
    theirs = shares[(shares["geography"] == "ward2023") & (shares["layer"] == "imd25_decile")]
    key = ["code", "decile"]
    pd.testing.assert_frame_equal(mine.sort_values(key)[key + ["population", "areas", "share"]].reset_index(drop=True),
                                  theirs.sort_values(key)[key + ["population", "areas", "share"]].reset_index(drop=True))
    meta = built.layer("census21_population", geography)
    assert "area set's lookup" in meta["method"] and meta["boundary_attribution"]
    # dissolved boundaries: every area one valid shape, the LSOAs' area kept, no slivers inside
    lsoas = built.table("lsoa21")
    assert areas.geometry.is_valid.all()
    assert areas.geometry.area.sum() == pytest.approx(lsoas.geometry.area.sum(), rel=1e-4)
    holes = sum(len(p.interiors) for g in areas.geometry for p in getattr(g, "geoms", [g]))
    assert holes == 0
    assert "Wards again (areas of LSOAs 2021)" in built.geography_labels.values()


def test_set_survives_a_rebuild_and_is_removed(folder, ward_lookup, source_dir):
    add_area_set(ward_lookup, "Neighbourhoods", atlas_folder=folder, source_dir=source_dir)
    rebuilt = atlas.build(LUTON, source_dir=source_dir, out_dir=folder)
    assert "areas_neighbourhoods" in rebuilt.geographies
    assert len(store.load(rebuilt.path).table("areas_neighbourhoods")) == 20
    listed = list_area_sets(folder)
    assert list(listed["name"]) == ["Neighbourhoods"] and listed["areas"].iloc[0] == 20
    assert cli.main(["areas", "remove", "Neighbourhoods", "--atlas-dir", str(folder)]) == 0
    after = store.load(folder / f"{LUTON}.gpkg")
    assert "areas_neighbourhoods" not in after.geographies
    assert not (after.layers["geography"] == "areas_neighbourhoods").any()
    assert list(areas_folder(folder, LUTON).glob("areas_*")) == []


def test_stats_for_an_area_set_match_esda(folder, ward_lookup, source_dir, tmp_path):
    import esda
    import libpysal

    add_area_set(ward_lookup, "Wards", atlas_folder=folder, source_dir=source_dir)
    out = tmp_path / "wards.csv"
    assert cli.main(["stats", "--areas", "Wards", "--atlas-dir", str(folder), "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert list(table.columns[:len(COLUMNS)]) == COLUMNS and len(table) == 20
    built = store.load(folder / f"{LUTON}.gpkg")
    links = pd.read_csv(source_dir / LSOA_LOOKUP, dtype=str)
    wards = pd.read_csv(ward_lookup, dtype=str).set_index("LSOA code")["Ward code"]
    ward_of_2011 = links.assign(ward=links["LSOA21CD"].map(wards)).dropna(subset=["ward"])
    row = table.sort_values("n_lsoa").iloc[-1]  # the ward with most LSOAs
    codes = sorted(ward_of_2011.loc[ward_of_2011["ward"] == row["area_code"], "LSOA11CD"].unique())
    frame = built.table("lsoa11").loc[codes]
    with warnings.catch_warnings():  # libpysal's own pandas deprecations
        warnings.simplefilter("ignore")
        w = libpysal.weights.fuzzy_contiguity(frame, buffering=True, buffer=1.0, silence_warnings=True)
    w.transform = "r"
    expected = esda.Moran(frame["income19_score"].to_numpy(), w, permutations=0)
    assert row["moran_i"] == pytest.approx(expected.I, abs=1e-6)  # the CSV holds 6 significant digits
    deciles = frame["income19_decile"]
    assert row["least_20"] == int((deciles >= 9).sum()) and row["most_20"] == int((deciles <= 2).sum())


def test_a_national_set_has_one_row_per_area_with_20_20_counted_from_iod2019(tmp_path, source_dir):
    lookup = _national_lookup(source_dir)
    path = tmp_path / "national.csv"
    lookup.to_csv(path, index=False)
    folder = tmp_path / "atlas"
    area_set, updated = add_area_set(path, "England groups", "E92000001", atlas_folder=folder,
                                     source_dir=source_dir)
    assert updated is None and area_set.la == "E92000001"
    assert 400 < area_set.report.areas == lookup["area"].nunique() < 700
    assert area_set.report.assigned == len(lookup) and not area_set.report.left_out_of_authority
    result = area_statistics(load_area_set("England groups", atlas_folder=folder, source_dir=source_dir),
                             source_dir)
    table = result.table.set_index("area_code")
    assert len(table) == lookup["area"].nunique() and table.index.is_unique
    # an independent count: IoD2019 Income deciles of the 2011 LSOAs whose 2021 LSOAs are all in one area
    iod = pd.read_csv(source_dir / IOD_FILE2, encoding="utf-8-sig").set_index("LSOA code (2011)")[INCOME_DECILE]
    links = pd.read_csv(source_dir / LSOA_LOOKUP, dtype=str, encoding="utf-8-sig")
    links["area"] = links["LSOA21CD"].map(lookup.set_index("lsoa21")["area"])
    per_old = links.dropna(subset=["area"]).groupby("LSOA11CD")["area"].agg(set)
    clean = per_old[per_old.map(len) == 1].map(lambda s: next(iter(s)))
    mixed = {a for s in per_old[per_old.map(len) > 1] for a in s}
    candidates = [a for a in ("Luton group 1", "Luton group 2", "Bedford group 1", "Manchester group 3",
                              "Cornwall group 4", "Westminster group 1") if a not in mixed]
    assert len(candidates) >= 4
    for area in candidates:
        deciles = iod.reindex(clean.index[clean == area])
        assert table.loc[area, "least_20"] == int((deciles >= 9).sum()), area
        assert table.loc[area, "most_20"] == int((deciles <= 2).sum()), area
        assert table.loc[area, "n_lsoa"] == len(deciles), area
    assert table["moran_i"].notna().mean() > 0.95 and table["gini"].between(0, 1).mean() > 0.95


# -- bad input: a clear error, nothing written -----------------------------------------------------------

def _refused(tmp_path, folder, rows: list[list[str]], header=("lsoa", "area")) -> str:
    path = tmp_path / "bad.csv"
    pd.DataFrame(rows, columns=list(header)).to_csv(path, index=False)
    before = {p: p.stat().st_mtime_ns for p in folder.rglob("*")}
    with pytest.raises(AreaSetError) as caught:
        add_area_set(path, "Bad", atlas_folder=folder)
    assert {p: p.stat().st_mtime_ns for p in folder.rglob("*")} == before  # nothing written
    assert not (folder / "areas").exists()
    return str(caught.value)


def test_bad_lookups_are_refused_with_a_clear_error(tmp_path, folder):
    message = _refused(tmp_path, folder, [["Luton 001A", "North"], ["Luton 001B", "South"]], ("name", "area"))
    assert "no column holds LSOA codes" in message
    message = _refused(tmp_path, folder, [["W01000001", "North"], ["W01000002", "South"]])
    assert "another country" in message and "Wales" in message
    message = _refused(tmp_path, folder, [["E01015693", "North"], ["E01015693", "South"], ["E01015694", "South"]])
    assert "E01015693" in message and "two or more areas" in message
    message = _refused(tmp_path, folder, [["E01015693", "North"], ["E01015694", ""], ["E01015695", "South"]])
    assert "no area" in message and "3" in message  # the file's row 3
    codes = [f"E01{n:06d}" for n in range(1, 35_001)]
    message = _refused(tmp_path, folder, [[c, "Everywhere"] for c in codes])
    assert "one area" in message


def test_report_lists_left_out_and_converted_codes(tmp_path, folder, source_dir):
    built = store.load(folder / f"{LUTON}.gpkg")
    lsoa11 = sorted(built.table("lsoa11").index)
    rows = [[c, "North" if i % 2 else "South"] for i, c in enumerate(lsoa11)] + [["W01000001", "South"],
                                                                                  ["E01000001", "South"]]
    path = tmp_path / "old.csv"
    pd.DataFrame(rows, columns=["LSOA11CD", "Locality"]).to_csv(path, index=False)
    area_set, updated = add_area_set(path, "Old codes", LUTON, atlas_folder=folder, source_dir=source_dir,
                                     save=False)
    report = area_set.report
    assert report.vintage == "2011" and len(report.converted) > 0
    assert report.other_country == {"W01000001": "Wales"}
    assert "E01000001" in report.other_authority
    assert report.assigned == len(built.table("lsoa21")) - len(report.left_out_of_authority)
    text = "\n".join(report.lines())
    assert "codes of another vintage converted" in text and "outside Luton" in text
    assert updated is not None and "areas_old_codes" in updated.geographies
    assert not (folder / "areas").exists()  # save=False writes nothing


# -- imports and profiles on an area set -------------------------------------------------------------------

def _lsoa21_file(built, path) -> pd.DataFrame:
    """An indicator keyed by LSOA (2021): a made-up count and a made-up rate, both worked out from the codes."""
    codes = sorted(built.table("lsoa21").index)
    table = pd.DataFrame({"LSOA21CD": codes, "visits": [int(c[-3:]) for c in codes],
                          "rate": [int(c[-2:]) / 10 for c in codes]})
    table[["LSOA21CD", "visits"]].to_csv(path / "visits.csv", index=False)
    table[["LSOA21CD", "rate"]].to_csv(path / "rate.csv", index=False)
    return table.set_index("LSOA21CD")


def test_an_import_on_lsoas_is_aggregated_to_the_area_set_like_wards(folder, ward_lookup, source_dir, tmp_path):
    from atlas.importer import ImportOptions, import_file

    built = store.load(folder / f"{LUTON}.gpkg")
    values = _lsoa21_file(built, tmp_path)
    import_file(tmp_path / "visits.csv", LUTON, ImportOptions(name="Visits", kind="count"), folder, source_dir)
    add_area_set(ward_lookup, "Wards", atlas_folder=folder, source_dir=source_dir)  # after the import: re-applied
    import_file(tmp_path / "rate.csv", LUTON, ImportOptions(name="Rate", kind="rate"), folder, source_dir)
    built = store.load(folder / f"{LUTON}.gpkg")
    areas, wards = built.table("areas_wards"), built.table("ward2023")
    ward_of = pd.read_csv(ward_lookup, dtype=str).set_index("LSOA code")["Ward code"]
    population = built.table("lsoa21")["census21_population"]
    for ward in ("E05014750", areas.index[0], areas.index[-1]):
        mine = ward_of.index[ward_of == ward]
        assert areas.at[ward, "import_visits"] == values.loc[mine, "visits"].sum()
        weights = population.reindex(mine)
        expected = (values.loc[mine, "rate"] * weights).sum() / weights.sum()
        assert areas.at[ward, "import_rate"] == pytest.approx(expected, rel=1e-12)
    for layer in ("import_visits", "import_rate"):
        pd.testing.assert_series_equal(areas[layer].reindex(wards.index), wards[layer], check_names=False)
        assert "area set's membership" in built.layer(layer, "areas_wards")["method"]
    rebuilt = atlas.build(LUTON, source_dir=source_dir, out_dir=folder)  # a rebuild keeps both on the set
    assert {"import_visits", "import_rate"} <= set(rebuilt.layers_on("areas_wards")["layer"])


def test_an_import_keyed_by_the_sets_own_codes_is_refused_clearly(folder, source_dir, tmp_path):
    from atlas.importer import ImportFileError, import_file

    built = store.load(folder / f"{LUTON}.gpkg")
    codes = sorted(built.table("lsoa21").index)
    lookup = tmp_path / "halves.csv"
    pd.DataFrame({"lsoa": codes, "area": ["North" if i % 2 else "South side" for i in range(len(codes))]}).to_csv(
        lookup, index=False)
    add_area_set(lookup, "Halves", atlas_folder=folder, source_dir=source_dir)
    keyed = tmp_path / "by_area.csv"
    pd.DataFrame({"area": ["North", "South side"], "value": [1.5, 2.5]}).to_csv(keyed, index=False)
    before = (folder / f"{LUTON}.gpkg").stat().st_mtime_ns
    with pytest.raises(ImportFileError, match="area set Halves .*keyed by LSOA codes"):
        import_file(keyed, LUTON, None, folder, source_dir)
    assert (folder / f"{LUTON}.gpkg").stat().st_mtime_ns == before
    assert cli.main(["import", str(keyed), "--la", LUTON, "--atlas-dir", str(folder)]) == 2


def test_profile_of_an_area_of_a_set_has_the_sets_table_row(folder, ward_lookup, source_dir, tmp_path):
    from atlas.profiles import build_profile, find_area

    add_area_set(ward_lookup, "Wards", atlas_folder=folder, source_dir=source_dir)
    out = tmp_path / "south.csv"
    assert cli.main(["profile", "--la", LUTON, "--area", "South", "--geography", "areas_wards", "--out", str(out),
                     "--atlas-dir", str(folder)]) == 0
    rows = pd.read_csv(out)
    built = store.load(folder / f"{LUTON}.gpkg")
    row = built.table("areas_wards").loc["E05014750"]
    figures = rows.dropna(subset=["layer", "area"]).drop_duplicates("layer").set_index("layer")["area"]
    checked = [layer for layer in figures.index if layer in row.index and pd.notna(row[layer])]
    assert len(checked) >= 20 and "census21_population" in checked
    for layer in checked:
        assert figures[layer] == pytest.approx(float(row[layer]), rel=1e-9), layer
    area = find_area(built, "South", geography="areas_wards")
    ward_of = pd.read_csv(ward_lookup, dtype=str).set_index("LSOA code")["Ward code"]
    assert area.members["lsoa21"] == sorted(ward_of.index[ward_of == "E05014750"])
    assert "area set" in area.rule and area.kind == "areas_wards"
    assert build_profile(built, area).area.code == "E05014750"


def test_a_county_set_takes_the_lsoas_of_its_districts(tmp_path, source_dir):
    table = pd.read_csv(source_dir / WARD_LOOKUP, dtype=str)
    herts = table[table["LAD23NM"].isin(["Watford", "Three Rivers", "Dacorum"])]
    path = tmp_path / "west_herts.csv"
    herts[["LSOA21CD", "LAD23NM"]].rename(columns={"LAD23NM": "District name"}).to_csv(path, index=False)
    area_set, updated = add_area_set(path, "West Herts", "E10000015", atlas_folder=tmp_path / "atlas",
                                     source_dir=source_dir, save=False)
    assert updated is None and area_set.la == "E10000015" and area_set.la_name == "Hertfordshire"
    assert area_set.report.assigned == len(herts) and area_set.report.areas == 3
    assert not area_set.report.other_authority
    in_county = table[table["LAD23CD"].isin(["E07000095", "E07000096", "E07000098", "E07000099", "E07000102",
                                             "E07000103", "E07000240", "E07000241", "E07000242", "E07000243"])]
    assert len(area_set.report.left_out_of_authority) == len(in_county) - len(herts)


def test_the_command_refuses_a_bad_lookup_in_one_line_with_status_2(tmp_path, folder, capsys):
    path = tmp_path / "twice.csv"
    pd.DataFrame({"lsoa": ["E01015693", "E01015693", "E01015694"], "area": ["North", "South", "South"]}).to_csv(
        path, index=False)
    assert cli.main(["areas", "add", str(path), "--name", "Twice", "--atlas-dir", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "E01015693" in err and "Traceback" not in err
    assert not (folder / "areas").exists()


def test_the_profile_page_offers_the_areas_of_a_set(folder, ward_lookup, source_dir, tmp_path):
    from atlas.profiles import build_profile, find_area
    from atlas.ui.upload import plain

    from ..conftest import page_test

    _, updated = add_area_set(ward_lookup, "Wards", atlas_folder=folder, source_dir=source_dir)
    with page_test("atlas.ui.profile_page", updated.path, tmp_path / "app", timeout=240) as at:
        assert not at.exception, at.exception
        assert plain("Area of Wards (areas of LSOAs 2021)") in at.radio(key="profile_kind").options
        at.radio(key="profile_kind").set_value("areas_wards").run()
        at.selectbox(key="profile_areas_wards").set_value("E05014750").run()
        assert not at.exception, at.exception
        assert at.header[0].value == plain("Neighbourhood profile: South")
        built = store.load(updated.path)
        expected = build_profile(built, find_area(built, "E05014750", geography="areas_wards"))
        shown = next(df.value for df in at.dataframe if "Compared with England" in df.value.columns)
        assert shown.equals(expected.table("indicators").shown)


def test_the_areas_page_refuses_overlaps_and_unknown_codes_and_saves_like_the_command(folder, source_dir, tmp_path,
                                                                                     capsys):
    from ..conftest import page_test

    la = LUTON
    with page_test("atlas.ui.areas_page", folder / f"{LUTON}.gpkg", tmp_path / "app", timeout=240) as at:
        assert not at.exception, at.exception
        ward = at.multiselect(key=f"own_areas_ward2023_{la}")
        ward.set_value(["E05014750"]).run()
        chosen = list(at.multiselect(key=f"own_areas_lsoas_{la}").value)
        at.text_input(key=f"own_areas_area_name_{la}").input("<b>South</b>").run()
        at.button(key=f"own_areas_add_area_{la}").click().run()
        assert not at.warning and not at.multiselect(key=f"own_areas_lsoas_{la}").value
        at.text_area(key=f"own_areas_codes_{la}").input(f"{chosen[0]}, E01999999 nonsense").run()
        at.button(key=f"own_areas_add_codes_{la}").click().run()
        assert "E01999999, nonsense" in at.warning[0].value
        at.text_input(key=f"own_areas_area_name_{la}").input("Again").run()
        at.button(key=f"own_areas_add_area_{la}").click().run()
        assert any("already in another area" in w.value and chosen[0] in w.value for w in at.warning)
        at.button(key=f"own_areas_save_{la}").click().run()  # no set name
        assert any("name with letters or digits" in e.value for e in at.error)
        at.text_input(key=f"own_areas_set_name_{la}").input("Page set").run()
        at.checkbox(key=f"own_areas_rest_{la}").check().run()
        at.button(key=f"own_areas_save_{la}").click().run()
        assert not at.exception, at.exception
        assert any("Saved area set Page set" in s.value.replace("\\", "") for s in at.success)
        report = next(df.value for df in at.dataframe if list(df.value.columns) == ["What", "Found"])
        assert report.set_index("What").loc["LSOAs (2021) assigned", "Found"] == "125, in 2 areas"
    built = store.load(tmp_path / "app" / "atlas" / f"{LUTON}.gpkg")
    areas = built.table("areas_page_set")
    assert "<b>South</b>" in set(areas["name"])  # kept as typed, shown as text
    assert areas.loc[areas["name"] == "<b>South</b>", "n_lsoa21"].iloc[0] == len(chosen)
    capsys.readouterr()
    assert cli.main(["areas", "list", "--atlas-dir", str(tmp_path / "app" / "atlas")]) == 0
    assert "Page set [areas_page_set]" in capsys.readouterr().out
