"""Importing a user's indicator: reading, detection, cleaning, conversion, the match report.

Every file here is written by the test itself (in a tmp dir or in memory) from
Luton's area codes; nothing is copied from the source directory.
"""

from __future__ import annotations

import io

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from atlas import importer
from atlas.importer import ImportFileError, ImportOptions, prepare, read_upload
from atlas.model import LAYER_COLUMNS, Atlas
from atlas.report import BuildReport

SPLIT_PARENT = "E01015794"  # Luton 018F: split into E01033803, E01033804, E01033805 in 2021
SPLIT_CHILDREN = ["E01033803", "E01033804", "E01033805"]
ONLY_2011 = ["E01015741", "E01015791", "E01015794"]
WARD_2023 = "E05014735"


def csv_bytes(rows: list[list[str]], header=("code", "value"), bom: bool = False, sep: str = ",") -> bytes:
    """A CSV file's bytes from rows of cells."""
    lines = [sep.join(header)] + [sep.join(str(c) for c in row) for row in rows]
    return (("\ufeff" if bom else "") + "\n".join(lines) + "\n").encode("utf-8")


def run(data: bytes, built: Atlas, filename: str = "test.csv", **options) -> importer.ImportResult:
    """Read and prepare a file for ``built``."""
    return prepare(read_upload(data, filename), built, ImportOptions(**options))


@pytest.fixture(scope="module")
def lsoa11(luton) -> pd.Series:
    """Luton's IoD2019 Income scores by LSOA 2011, as the built atlas holds them."""
    return luton.values("income19_score", "lsoa11")


def keyed_file(values: pd.Series, **kwargs) -> bytes:
    return csv_bytes([[code, f"{value:.3f}"] for code, value in values.items()], **kwargs)


# --- reading and detection ---------------------------------------------------------------------

def test_detects_lsoa_2011_by_the_codes_only_2011_has(luton, lsoa11):
    result = run(keyed_file(lsoa11), luton)
    report = result.report
    assert report.geography == "lsoa11"
    assert "3 exist only in LSOA (2011)" in report.detection and "0 exist only in LSOA (2021)" in report.detection
    assert report.rows_read == 121 and len(report.matched) == 121 and report.with_values == 121
    assert report.unmatched_areas == [] and report.district_areas == 121
    np.testing.assert_allclose(result.columns["lsoa11"]["value"].reindex(lsoa11.index), lsoa11.round(3))


def test_detects_lsoa_2021_and_ambiguous_files(luton):
    codes21 = list(luton.table("lsoa21").index)
    assert run(csv_bytes([[c, 1] for c in codes21]), luton).report.geography == "lsoa21"
    common = [c for c in codes21 if c in set(luton.table("lsoa11").index)]
    upload = read_upload(csv_bytes([[c, 1] for c in common]), "common.csv")
    found = importer.detect(upload, luton)
    assert found.ambiguous and "ambiguous" in found.explanation
    forced = prepare(upload, luton, ImportOptions(geography="lsoa11"))
    assert forced.report.geography == "lsoa11" and "chosen by the user" in forced.report.detection


def test_detects_old_and_new_wards_and_msoas(luton):
    for geography in ("ward2013", "ward2023", "msoa11", "msoa21"):
        codes = list(luton.table(geography).index)
        result = run(csv_bytes([[c, i] for i, c in enumerate(codes)]), luton)
        assert result.report.geography == geography
        assert len(result.report.matched) == len(codes)


def test_finds_the_code_column_among_several_and_honours_overrides(luton, lsoa11):
    rows = [["Luton", "E06000032", code, name, f"{v:.3f}"]
            for (code, v), name in zip(lsoa11.items(), luton.table("lsoa11")["name"])]
    header = ("LA name", "LA code", "LSOA", "LSOA name", "Score")
    result = run(csv_bytes(rows, header=header), luton)
    assert (result.report.code_column, result.report.value_column) == ("LSOA", "Score")
    with pytest.raises(ImportFileError, match="no column 'Nope'"):
        run(csv_bytes(rows, header=header), luton, code_column="Nope")
    with pytest.raises(ImportFileError, match="column 'LSOA name' holds no ONS area codes"):
        run(csv_bytes(rows, header=header), luton, code_column="lsoa NAME")  # names match case-blind


def test_district_codes_and_files_without_codes_are_refused(luton):
    with pytest.raises(ImportFileError, match="district codes"):
        run(csv_bytes([["E06000032", 1], ["E06000055", 2]]), luton)
    with pytest.raises(ImportFileError, match="no column holds ONS area codes"):
        run(csv_bytes([["Luton", 1], ["Bedford", 2]], header=("area", "value")), luton)
    with pytest.raises(ImportFileError, match=r"none of the 2 rows .* 2 are areas of other districts \(City of "
                       r"London\)\. Check that the file is for Luton"):
        run(csv_bytes([["E01000001", 1], ["E01000002", 2]]), luton)
    with pytest.raises(ImportFileError, match="none of the codes in column 'code' is an area of the Luton atlas"):
        run(csv_bytes([["E38000001", 1], ["E38000002", 2]]), luton)


def test_several_numeric_columns_need_a_choice(luton, lsoa11):
    rows = [[code, f"{v:.3f}", "7"] for code, v in lsoa11.items()]
    data = csv_bytes(rows, header=("code", "a", "b"))
    with pytest.raises(ImportFileError, match="2 columns of numbers: 'a', 'b'.*--value-column"):
        run(data, luton)
    assert run(data, luton, value_column="b").report.value_column == "b"


# --- cleaning ----------------------------------------------------------------------------------

def test_bom_thousands_and_percent_are_read_and_reported(luton):
    codes = ONLY_2011  # codes only LSOA 2011 has, so the vintage is not ambiguous
    rows = [[codes[0], '"1,577"'], [codes[1], '"12,345.5"'], [codes[2], "15"]]
    result = run(csv_bytes(rows, bom=True), luton)
    values = result.columns["lsoa11"]["value"]
    assert values[codes[0]] == 1577 and values[codes[1]] == 12345.5 and values[codes[2]] == 15
    notes = " ".join(result.report.notes)
    assert "byte-order mark removed" in notes and "2 value(s) had thousands separators" in notes
    assert result.report.code_column == "code"  # the BOM is not part of the header

    percent = run(csv_bytes([[codes[0], "12%"], [codes[1], "7.5%"]]), luton)
    assert list(percent.columns["lsoa11"]["value"].dropna()) == [12.0, 7.5]
    assert percent.options.kind == "percentage" and percent.options.units == "%"
    assert "every value written with '%'" in " ".join(percent.report.notes)


@pytest.mark.parametrize("marker", ["*", "c", "..", "-", "x", "", "[c]", "<5", "C"])
def test_suppression_markers_are_suppressed_not_zero(luton, marker):
    codes = ONLY_2011  # codes only LSOA 2011 has, so the vintage is not ambiguous
    result = run(csv_bytes([[codes[0], marker], [codes[1], "4"]]), luton)
    values = result.columns["lsoa11"]["value"]
    assert np.isnan(values[codes[0]]) and values[codes[1]] == 4
    assert result.report.suppressed == {codes[0]: marker or "(blank)"}
    assert result.report.with_values == 1
    assert result.columns["lsoa11"].loc[codes[0], "note"].startswith("suppressed in the file")
    assert "suppressed" in result.report.left_out().set_index("code").loc[codes[0], "reason"]


def test_text_that_is_not_a_number_is_listed(luton):
    codes = ONLY_2011  # codes only LSOA 2011 has, so the vintage is not ambiguous
    rows = [[codes[0], '"12,5"'], [codes[1], "about 4"], [codes[2], "3"]]
    result = run(csv_bytes(rows), luton, value_column="value")  # mostly text: named, not detected
    assert result.report.unreadable == {codes[0]: "12,5", codes[1]: "about 4"}
    assert result.columns["lsoa11"]["value"].notna().sum() == 1


def test_duplicate_codes_are_an_error_naming_them(luton):
    codes = list(luton.table("lsoa11").index)
    rows = [[codes[0], 1], [codes[1], 2], [codes[0].lower(), 3], [codes[1], 4], ["Total", 10], ["Total", 10]]
    with pytest.raises(ImportFileError) as caught:
        run(csv_bytes(rows), luton)
    message = str(caught.value)
    assert f"{codes[0]} (rows 2, 4)" in message and f"{codes[1]} (rows 3, 5)" in message
    assert "2 area code(s) appear more than once in column 'code'" in message


def test_rows_outside_the_district_are_listed_and_left_out(luton):
    codes = list(luton.table("lsoa11").index)
    rows = [[codes[0], 1], ["E01000001", 2], ["E06000032", 3], ["Total", 4], ["", 5], [ONLY_2011[0], 6]]
    report = run(csv_bytes(rows), luton, geography="lsoa21").report
    assert report.other_district == {"E01000001": "City of London, LSOA (2021)"}
    assert report.other_kind == {"E06000032": "district (unitary authority)"}
    assert report.not_codes == [(5, "Total"), (6, "")]
    assert report.other_vintage == [ONLY_2011[0]]
    assert len(report.unmatched_areas) == 124 and report.district_areas == 125
    assert report.rows_read == 6 and report.matched == [codes[0]]
    reasons = report.left_out().set_index("code")["reason"]
    assert reasons["E01000001"].startswith("not in the district") and reasons["row 5"] == "not an area code: 'Total'"


def test_semicolons_windows_1252_and_title_rows(luton):
    codes = list(luton.table("ward2023").index)
    text = "Smoking survey – Luton wards\n\nWard;Prevalence\n" + "".join(f"{c};{i}\n" for i, c in enumerate(codes))
    result = run(text.encode("cp1252"), luton, filename="survey.csv")
    notes = " ".join(result.report.notes)
    assert "Windows-1252" in notes and "semicolons" in notes and "the header is row 3" in notes
    assert result.report.geography == "ward2023" and result.report.value_column == "Prevalence"


# --- Excel ---------------------------------------------------------------------------------------

def xlsx_bytes(build) -> bytes:
    book = openpyxl.Workbook()
    build(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_excel_sheet_choice_percent_cells_and_formulas_never_evaluated(luton):
    codes = list(luton.table("lsoa21").index)

    def build(book):
        notes = book.active
        notes.title = "Notes"
        notes.append(["About this file"])
        data = book.create_sheet("Data")
        data.append(["Quarterly activity"])
        data.append(["LSOA21CD", "Rate"])
        for i, code in enumerate(codes):
            data.append([code, 0.125 if i else "=1+1"])
            data.cell(row=data.max_row, column=2).number_format = "0.0%"

    result = run(xlsx_bytes(build), luton, filename="activity.xlsx")
    values = result.columns["lsoa21"]["value"]
    assert result.report.sheet == "Data" and result.report.geography == "lsoa21"
    assert np.isnan(values[codes[0]])  # "=1+1" is never computed; no saved result -> no value
    assert result.report.suppressed == {codes[0]: "formula with no saved result"}
    assert values[codes[1]] == pytest.approx(12.5)  # a cell shown as 12.5% reads as 12.5
    notes = " ".join(result.report.notes)
    assert "never evaluated" in notes and "1 value cell(s) hold Excel formulas with no saved result" in notes


def test_excel_named_sheet_and_bad_workbooks(luton):
    data = xlsx_bytes(lambda book: book.active.append(["x"]))
    with pytest.raises(ImportFileError, match="has no sheet 'Other'; its sheets are: Sheet"):
        read_upload(data, "a.xlsx", sheet="Other")
    with pytest.raises(ImportFileError, match="not an Excel workbook"):
        read_upload(b"code,value\n", "a.xlsx")
    with pytest.raises(ImportFileError, match=r"\.xls files are not read"):
        read_upload(b"\xd0\xcf\x11\xe0", "a.xls")
    with pytest.raises(ImportFileError, match="not a text"):
        read_upload(b"\x00\x01\x02binary", "a.csv")


# --- safety --------------------------------------------------------------------------------------

def test_size_limit_has_a_clear_message(monkeypatch):
    monkeypatch.setattr(importer.reading, "MAX_UPLOAD_BYTES", 1024)
    with pytest.raises(ImportFileError, match=r"big.csv is 0.0 MB; the atlas imports files up to 0 MB"):
        read_upload(b"x" * 2048, "big.csv")
    with pytest.raises(ImportFileError, match="big.csv is 10.0 MB"):
        importer.check_size(10 * 1024 * 1024, "big.csv")


def test_nothing_in_a_file_is_evaluated(luton):
    codes = ONLY_2011  # codes only LSOA 2011 has, so the vintage is not ambiguous
    rows = [[codes[0], "__import__('os').system('touch /tmp/pwned')"], [codes[1], "=2+2"], [codes[2], "1e3"]]
    result = run(csv_bytes(rows), luton, value_column="value")
    values = result.columns["lsoa11"]["value"]
    assert np.isnan(values[codes[0]]) and np.isnan(values[codes[1]]) and values[codes[2]] == 1000
    assert set(result.report.unreadable) == {codes[0], codes[1]}


def test_the_name_is_kept_as_written_and_the_layer_id_is_safe(luton, lsoa11):
    name = "<script>alert(1)</script>"
    result = run(keyed_file(lsoa11), luton, name=name)
    assert result.layer == "import_script_alert_1_script"
    added = importer.add_to_atlas(luton, result)
    assert added.layer(result.layer, "lsoa11")["label"] == name


# --- metadata and the atlas -------------------------------------------------------------------------

def test_layer_metadata_and_the_atlas_copy(luton, lsoa11):
    result = run(keyed_file(lsoa11), luton, name="Income score (test)", higher_is="worse", period="2019",
                 kind="rate")
    added = importer.add_to_atlas(luton, result)
    assert luton.layers["layer"].str.startswith("import_").sum() == 0  # the original is unchanged
    meta = added.layer("import_income_score_test", "lsoa11")
    assert meta["label"] == "Income score (test)" and meta["higher_is"] == "worse" and meta["kind"] == "rate"
    assert meta["description"].startswith("Imported by the user from test.csv on ")
    assert meta["source_title"] == "test.csv" and meta["period"] == "2019" and meta["decimals"] == 3
    assert meta["geography_label"] == "LSOA (2011)" and "Contains OS data" in meta["boundary_attribution"]
    assert set(meta) == set(LAYER_COLUMNS)
    assert set(result.geographies) == {"lsoa11", "lsoa21", "ward2013", "ward2023", "msoa11"}
    ward = added.layer("import_income_score_test", "ward2023")
    assert ward["native_geography"] == "lsoa11" and "population-weighted mean" in ward["method"]
    again = importer.add_to_atlas(added, run(keyed_file(lsoa11 * 2), luton, name="Income score (test)"))
    assert (again.layers["layer"] == "import_income_score_test").sum() == 5  # replaced, not doubled
    assert again.values("import_income_score_test", "lsoa11").max() == pytest.approx(2 * lsoa11.round(3).max())
    assert importer.without_layer(again, "import_income_score_test").layers.equals(luton.layers)


def test_polarity_defaults_to_neutral(luton, lsoa11):
    assert run(keyed_file(lsoa11), luton).meta["lsoa11"]["higher_is"] == "neutral"


# --- LSOA 2011 <-> 2021 conversion ------------------------------------------------------------------

def test_lsoa_links_complete_the_lookup_with_split_children(luton):
    links = importer.lsoa_links(luton)
    assert len(links) == 125 and set(links["new"]) == set(luton.table("lsoa21").index)
    split = links[links["old"] == SPLIT_PARENT]
    assert sorted(split["new"]) == SPLIT_CHILDREN and set(split["change"]) == {"split"}
    assert (links["change"] == "unchanged").sum() == 118
    assert set(links.loc[links["how"] == "boundary overlap", "new"]) == {
        "E01033802", "E01033804", "E01033805", "E01033806"}


def test_rates_split_inherit_and_counts_share_by_population(luton, lsoa11):
    rate = run(keyed_file(lsoa11), luton, kind="rate").columns["lsoa21"]
    for child in SPLIT_CHILDREN:
        assert rate.loc[child, "value"] == pytest.approx(round(lsoa11[SPLIT_PARENT], 3))
        assert rate.loc[child, "note"] == f"part of {SPLIT_PARENT}: inherits its value"

    counts = pd.Series(100.0, index=lsoa11.index)
    converted = run(keyed_file(counts), luton, kind="count").columns["lsoa21"]["value"]
    population = luton.values("census21_population", "lsoa21")[SPLIT_CHILDREN]
    expected = 100 * population / population.sum()
    np.testing.assert_allclose(converted[SPLIT_CHILDREN], expected)
    assert converted.sum() == pytest.approx(100 * 121)  # counts are conserved


def test_converting_back_combines_split_parts(luton):
    rates = luton.values("income25_score", "lsoa21")
    result = run(keyed_file(rates), luton, kind="rate")
    assert result.report.geography == "lsoa21"
    back = result.columns["lsoa11"]["value"]
    population = luton.values("census21_population", "lsoa21")[SPLIT_CHILDREN]
    expected = (rates.round(3)[SPLIT_CHILDREN] * population).sum() / population.sum()
    assert back[SPLIT_PARENT] == pytest.approx(expected)
    conversion = result.report.conversions[0]
    assert (conversion["unchanged"], conversion["combined"], conversion["divided"]) == (118, 3, 0)
    counts = run(keyed_file(pd.Series(10.0, index=rates.index)), luton, kind="count").columns["lsoa11"]["value"]
    assert counts[SPLIT_PARENT] == 30 and counts.sum() == 1250


def test_a_suppressed_part_leaves_the_combined_area_without_data(luton):
    rates = luton.values("income25_score", "lsoa21")
    rows = [[code, "c" if code == SPLIT_CHILDREN[0] else f"{v:.3f}"] for code, v in rates.items()]
    result = run(csv_bytes(rows), luton)
    back = result.columns["lsoa11"]
    assert np.isnan(back.loc[SPLIT_PARENT, "value"]) and "suppressed in the file (c)" in back.loc[SPLIT_PARENT, "note"]
    assert result.report.conversions[0]["no_source_value"] == [SPLIT_PARENT]
    assert back["value"].notna().sum() == 120


def test_deciles_and_ranks_are_not_averaged(luton):
    deciles = luton.values("income25_decile", "lsoa21")
    result = run(keyed_file(deciles), luton, kind="decile")
    conversion = result.report.conversions[0]
    assert set(conversion["not_converted"]) == set(ONLY_2011)  # split 2011 LSOAs: parts cannot be combined
    assert "a decile cannot be combined" in conversion["not_converted"][SPLIT_PARENT]
    assert "ward2023" not in result.columns  # deciles are not aggregated to wards either
    assert result.meta["lsoa21"]["classification"] == "categorical"


def merge_atlas(source_dir) -> Atlas:
    """A small synthetic atlas of real Westminster codes: two 2011 LSOAs merged into one 2021 LSOA.

    The codes and the lookup are real; the squares and populations are made up.
    """
    lookup = pd.read_csv(source_dir / importer.LSOA_LOOKUP, encoding="utf-8-sig")
    lookup = lookup[lookup["LAD22CD"] == "E09000033"]
    merged = lookup[lookup.groupby("LSOA21CD")["LSOA11CD"].transform("size") == 2]
    new = merged["LSOA21CD"].iloc[0]
    old = list(merged.loc[merged["LSOA21CD"] == new, "LSOA11CD"])
    same = lookup[lookup["LSOA11CD"] == lookup["LSOA21CD"]]["LSOA11CD"].iloc[0]
    frame11 = gpd.GeoDataFrame({"name": ["a", "b", "c"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
                               index=pd.Index([*old, same], name="code"), crs=27700)
    frame21 = gpd.GeoDataFrame({"name": ["ab", "c"]}, geometry=[box(0, 0, 2, 1), box(2, 0, 3, 1)],
                               index=pd.Index([new, same], name="code"), crs=27700)
    empty = pd.DataFrame(columns=LAYER_COLUMNS)
    built = Atlas(la_code="E09000033", la_name="Westminster", geographies={"lsoa11": frame11, "lsoa21": frame21},
                  layers=empty, decile_shares=pd.DataFrame(), report=BuildReport("E09000033", "Westminster"),
                  geography_labels={"lsoa11": "LSOA (2011)", "lsoa21": "LSOA (2021)"})
    meta = {"kind": "population", "native_geography": "lsoa11"}
    built = built.with_layer("lsoa11", "pop11", pd.DataFrame({"value": [1000.0, 3000.0, 500.0]}, index=frame11.index),
                             meta)
    return built.with_layer("lsoa21", "pop21", pd.DataFrame({"value": [4100.0, 520.0]}, index=frame21.index),
                            {**meta, "native_geography": "lsoa21"})


def test_merged_areas_are_population_weighted_or_summed(source_dir):
    built = merge_atlas(source_dir)
    old, new = list(built.table("lsoa11").index[:2]), built.table("lsoa21").index[0]
    same = built.table("lsoa11").index[2]
    rates = csv_bytes([[old[0], "0.2"], [old[1], "0.6"], [same, "0.3"]])
    result = run(rates, built, kind="rate")
    converted = result.columns["lsoa21"]
    assert converted.loc[new, "value"] == pytest.approx((0.2 * 1000 + 0.6 * 3000) / 4000)
    assert converted.loc[new, "note"] == f"population-weighted mean of {old[0]}, {old[1]}"
    assert converted.loc[same, "value"] == pytest.approx(0.3)
    counts = run(csv_bytes([[old[0], "20"], [old[1], "60"], [same, "5"]]), built, kind="count")
    assert counts.columns["lsoa21"].loc[new, "value"] == 80

    back = run(csv_bytes([[new, "80"], [same, "5"]]), built, kind="count").columns["lsoa11"]["value"]
    assert back[old[0]] == pytest.approx(20) and back[old[1]] == pytest.approx(60)  # shared by 2011 population
    back_rate = run(csv_bytes([[new, "0.4"], [same, "0.3"]]), built, kind="rate").columns["lsoa11"]["value"]
    assert back_rate[old[0]] == back_rate[old[1]] == pytest.approx(0.4)
