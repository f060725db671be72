"""atlas.readers: reading small tables written in tmp_path, numbers and codes as official files write them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from atlas.errors import SourceFileError
from atlas.readers import (
    apply_where,
    indicator_frame,
    member_of,
    normalise_codes,
    read_source,
    read_table,
    require_columns,
    resolve,
    to_number,
)
from atlas.specs import IndicatorSpec, SourceSpec


def write(folder, name: str, text: str, encoding: str = "utf-8") -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return name


def source(**changes) -> SourceSpec:
    fields = dict(id="test_source", title="A test table", file="table.csv", key="code", geography="lsoa11",
                  period="2024", publisher="Nobody", licence="OGL v3.0", attribution="Test data",
                  spec_file="layers/test.toml")
    return SourceSpec(**{**fields, **changes})


def indicator(src: SourceSpec, **changes) -> IndicatorSpec:
    fields = dict(id="test_value", label="Test value", kind="rate", units="%", higher_is="worse",
                  description="A value made up for a test.", source=src)
    return IndicatorSpec(**{**fields, **changes})


# -- numbers and codes -------------------------------------------------------------------------------------

def test_to_number_reads_thousands_separators_percentages_and_suppression():
    text = pd.Series(["1,577", "12%", "c", "..", " 3 ", "-", None, "1,234.5", "x", "*", "-2.5", "1,000,000"])
    expected = [1577, 12, np.nan, np.nan, 3, np.nan, np.nan, 1234.5, np.nan, np.nan, -2.5, 1_000_000]
    assert to_number(text).tolist() == pytest.approx(expected, nan_ok=True)
    assert to_number(text).dtype == float


def test_to_number_keeps_numbers_as_floats():
    numbers = pd.Series([1, 2, 3], dtype="int64")
    assert to_number(numbers).tolist() == [1.0, 2.0, 3.0]
    assert to_number(numbers).dtype == float


def test_normalise_codes_strips_and_upper_cases_keeping_missing():
    codes = normalise_codes(pd.Series([" e01000001 ", "E02000002", None, "\tw01000003\n"]))
    assert codes.tolist()[:2] == ["E01000001", "E02000002"] and codes.tolist()[3] == "W01000003"
    assert pd.isna(codes.iloc[2])


# -- read_table ----------------------------------------------------------------------------------------------

def test_a_byte_order_mark_is_not_part_of_the_first_header(tmp_path):
    name = write(tmp_path, "bom.csv", "\ufeffcode,value\nE01000001,1\n")
    table = read_table(tmp_path, name, {}, "layers/test.toml")
    assert list(table.columns) == ["code", "value"]
    assert table["value"].tolist() == [1]


def test_quoted_thousands_and_suppression_markers(tmp_path):
    name = write(tmp_path, "counts.csv",
                 'code,people,rate\nE01000001,"29,199",1.5\nE01000002,c,..\nE01000003,*,\nE01000004,"1,000",z\n')
    table = read_table(tmp_path, name, {}, "layers/test.toml")
    assert table["people"].tolist() == pytest.approx([29199, np.nan, np.nan, 1000], nan_ok=True)
    assert table["rate"].tolist() == pytest.approx([1.5, np.nan, np.nan, np.nan], nan_ok=True)


def test_a_header_less_file_takes_the_columns_the_spec_names(tmp_path):
    name = write(tmp_path, "plain.csv", "E01000001;12,5\nE01000002;7,25\n")
    table = read_table(tmp_path, name, {"columns": ["code", "value"], "sep": ";", "decimal": ",",
                                        "thousands": "."}, "layers/test.toml")
    assert list(table.columns) == ["code", "value"]
    assert table["value"].tolist() == [12.5, 7.25]
    assert table["code"].tolist() == ["E01000001", "E01000002"]


def test_header_names_are_stripped_and_rows_skipped(tmp_path):
    name = write(tmp_path, "notes.csv", "A note from the publisher\n code , value \nE01000001,4\n")
    table = read_table(tmp_path, name, {"skiprows": 1}, "layers/test.toml")
    assert list(table.columns) == ["code", "value"]


def test_other_encodings_and_suppression_markers_the_spec_gives(tmp_path):
    name = write(tmp_path, "latin.csv", "code,name,value\nE01000001,Bryn Môn,n.a.\nE01000002,Llŷn,.\n",
                 encoding="utf-16")
    table = read_table(tmp_path, name, {"encoding": "utf-16", "na_values": ["n.a."]}, "layers/test.toml")
    assert table["name"].tolist() == ["Bryn Môn", "Llŷn"]
    assert np.isnan(table.loc[0, "value"])
    assert table.loc[1, "value"] == "."  # only the spec's markers count as missing when it gives some


def test_code_columns_stay_text(tmp_path):
    name = write(tmp_path, "codes.csv", "practice,value\n00123,1\n04567,2\n")
    assert read_table(tmp_path, name, {}, "x")["practice"].tolist() == [123, 4567]
    kept = read_table(tmp_path, name, {}, "x", text_columns=("practice",))
    assert kept["practice"].tolist() == ["00123", "04567"]


def test_the_table_is_a_fresh_copy_and_a_changed_file_is_read_again(tmp_path):
    name = write(tmp_path, "t.csv", "code,value\nA,1\n")
    first = read_table(tmp_path, name, {}, "x")
    first.loc[0, "value"] = 99
    assert read_table(tmp_path, name, {}, "x").loc[0, "value"] == 1
    write(tmp_path, name, "code,value\nA,2\nB,3\n")
    assert read_table(tmp_path, name, {}, "x")["value"].tolist() == [2, 3]


def test_a_missing_file_names_the_file_the_spec_and_the_setting(tmp_path):
    with pytest.raises(SourceFileError) as info:
        read_table(tmp_path, "health/missing.csv", {}, "layers/health.toml")
    message = str(info.value)
    assert message.startswith("Missing source file health/missing.csv (wanted by layers/health.toml)")
    assert str(tmp_path) in message and "ATLAS_SOURCE_DIR" in message
    assert resolve(tmp_path, write(tmp_path, "here.csv", "a\n"), "x") == tmp_path / "here.csv"


def test_an_unknown_reader_option_is_refused_by_name(tmp_path):
    name = write(tmp_path, "t.csv", "code,value\nA,1\n")
    with pytest.raises(SourceFileError, match="layers/test.toml: unknown reader option\\(s\\) delimiter, sheet_name"):
        read_table(tmp_path, name, {"delimiter": ";", "sheet_name": 0}, "layers/test.toml")


def test_an_unreadable_file_says_which_and_why(tmp_path):
    name = write(tmp_path, "latin1.csv", "code,name\nE01000001,Caf\xe9\n", encoding="latin-1")
    with pytest.raises(SourceFileError, match="Cannot read .*latin1.csv \\(wanted by layers/test.toml\\)"):
        read_table(tmp_path, name, {}, "layers/test.toml")


def test_require_columns_lists_what_the_file_has(tmp_path):
    table = pd.DataFrame(columns=["code", "value"])
    require_columns(table, ["code"], "t.csv", "layers/test.toml")
    with pytest.raises(SourceFileError) as info:
        require_columns(table, ["code", "score", "rank"], "t.csv", "layers/test.toml")
    assert str(info.value) == ("t.csv (wanted by layers/test.toml) has no column 'score', 'rank'; "
                               "the file's columns are: 'code', 'value'")


# -- filters, sources and indicators --------------------------------------------------------------------------

def test_where_filters_compare_as_text_and_member_of_is_isin():
    table = pd.DataFrame({"sex": ["Persons", "Male", "Persons", None], "setting": [4, 4, 1, 4]})
    kept = apply_where(table, {"sex": "Persons", "setting": [4, "9"]})
    assert kept.index.tolist() == [0]
    assert member_of(pd.Series(["a", None, "c"]), ["a", "c"]).tolist() == [True, False, True]
    assert member_of(pd.Series(["a", "b"]), pd.Index(["b"])).tolist() == [False, True]


def test_read_source_normalises_codes_and_applies_filters(tmp_path):
    write(tmp_path, "table.csv",
          "code,sex,value\n e01000001 ,Persons,1\nE01000001,Male,2\nW01000002,Persons,3\n,Persons,4\n")
    table = read_source(source(where={"sex": "Persons"}, key_prefix="E01"), tmp_path)
    assert table["code"].tolist() == ["E01000001"]
    assert table["value"].tolist() == [1]
    with pytest.raises(SourceFileError, match="has no column 'area'"):
        read_source(source(key="area"), tmp_path)


def test_indicator_frame_of_a_column_and_of_a_ratio_with_a_wilson_interval(tmp_path):
    write(tmp_path, "table.csv", 'code,pct,cases,people\nE01000001,"1,250.5",20,100\nE01000002,c,0,0\n')
    src = source()
    table = read_source(src, tmp_path)
    column = indicator_frame(table, indicator(src, column="pct"))
    assert column.index.tolist() == ["E01000001", "E01000002"] and column.index.name == "code"
    assert column["value"].tolist() == pytest.approx([1250.5, np.nan], nan_ok=True)
    ratio = indicator_frame(table, indicator(src, numerator=("cases",), denominator="people", scale=100.0,
                                             interval="wilson"))
    assert ratio.loc["E01000001", "value"] == pytest.approx(20.0)
    assert np.isnan(ratio.loc["E01000002", "value"])  # no people: no rate (not 0/0)
    # Wilson 95%: (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2)), x = 20, n = 100
    z = 1.959963984540054
    root = z * np.sqrt(z * z + 4 * 20 * (1 - 20 / 100))
    assert ratio.loc["E01000001", "lower"] == pytest.approx(100 * (40 + z * z - root) / (2 * (100 + z * z)))
    assert ratio.loc["E01000001", "upper"] == pytest.approx(100 * (40 + z * z + root) / (2 * (100 + z * z)))


def test_indicator_frame_sums_several_numerators_and_reads_given_limits(tmp_path):
    write(tmp_path, "table.csv", "code,a,b,n,lo,hi\nE01000001,3,7,50,15,25\n")
    src = source()
    frame = indicator_frame(read_source(src, tmp_path), indicator(src, numerator=("a", "b"), denominator="n",
                                                                  scale=100.0, lower="lo", upper="hi"))
    assert frame.loc["E01000001"].to_dict() == {"value": 20.0, "numerator": 10.0, "denominator": 50.0,
                                                "lower": 15.0, "upper": 25.0}


def test_a_code_twice_after_the_filter_is_refused_with_examples(tmp_path):
    write(tmp_path, "table.csv", "code,sex,value\nE01000001,Persons,1\nE01000001,Male,2\n")
    src = source()
    table = read_source(src, tmp_path)
    with pytest.raises(SourceFileError, match="1 code\\(s\\) appear more than once in column 'code', e.g. E01000001"):
        indicator_frame(table, indicator(src, column="value"))
    once = indicator_frame(table, indicator(src, column="value", where={"sex": "Male"}))
    assert once["value"].tolist() == [2.0]
