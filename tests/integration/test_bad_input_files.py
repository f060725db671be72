"""Files that cannot be parsed, against `atlas import` and `atlas areas add` (issue 15): the error names the file.

A corpus of broken files is made here (a damaged sheet inside an .xlsx, a
truncated .xlsx, a zip that is not a workbook, a CSV with an unclosed quote,
text in neither UTF-8 nor Windows-1252, broken UTF-16, binary bytes named .csv,
an empty and a blank file, a .geojson and a .gpkg that are not what they say).
For each and for both commands: exit status 2, one line on standard error
naming the file, no traceback, no file changed in the output folder, and the
earlier atlas still opens with the same layers.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from atlas.cli import main

from .bad_input_support import CODES, LUTON, NO_SOURCE, assert_refused, snapshot
from .test_bad_input import out, rezip, workbook

__all__ = ["out"]  # the fixture: the tiny atlas in an output folder

BASE = {("base", "lsoa21")}


def good_workbook() -> bytes:
    return workbook([["code", "value"], *[[c, i] for i, c in enumerate(CODES)]])


def zip_of_text() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


CORPUS = {
    "broken-sheet.xlsx": lambda: rezip(good_workbook(), replace={
        "xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c r='A1' t='s'><v>"}),
    "truncated.xlsx": lambda: good_workbook()[: len(good_workbook()) // 2],
    "not-a-workbook.xlsx": zip_of_text,
    "unclosed-quote.csv": lambda: f'code,value\n{CODES[0]},"12\n{CODES[1]},13\n'.encode(),
    "not-utf8.csv": lambda: f"code,value\n{CODES[0]},1\n{CODES[1]},\x81\x8d\n".encode("latin-1"),
    "broken-utf16.csv": lambda: b"\xff\xfe" + "code,value\n".encode("utf-16-le") + b"\x00\xd8",
    "binary.csv": lambda: bytes(range(256)) * 4,
    "empty.csv": lambda: b"",
    "blank.csv": lambda: b"\n  \n\t\n",
    "boundaries.geojson": lambda: b'{"type": "FeatureCollection", "features": [{"type": "Feat',
    "areas.gpkg": lambda: b"SQLite format 3\x00" + bytes(200),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_import_names_a_file_it_cannot_parse(out, tmp_path, capsys, name):
    path = tmp_path / name
    path.write_bytes(CORPUS[name]())
    before = snapshot(out)
    status = main(["import", str(path), "--la", LUTON, "--out", str(out), "--source", NO_SOURCE])
    assert_refused(capsys.readouterr().err, status, before, out, BASE, f"atlas import: error: {name}")


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_areas_add_names_a_file_it_cannot_parse(out, tmp_path, capsys, name):
    path = tmp_path / name
    path.write_bytes(CORPUS[name]())
    source = tmp_path / "empty-source"  # the file is read before any official file
    source.mkdir()
    before = snapshot(out)
    status = main(["areas", "add", str(path), "--name", "Broken", "--la", LUTON, "--atlas-dir", str(out),
                   "--source", str(source)])
    assert_refused(capsys.readouterr().err, status, before, out, BASE, f"atlas areas: error: {name}")


def test_an_atlas_geopackage_with_a_damaged_table_is_named(out, tmp_path, capsys):
    import pandas as pd
    import pyogrio

    from atlas.store import REPORT_TABLE

    gpkg = out / f"{LUTON}.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"json": ['{"la": "E06000032", "la_n']}), gpkg, layer=REPORT_TABLE,
                            driver="GPKG", layer_options={"OVERWRITE": "YES"})
    values = tmp_path / "v.csv"
    values.write_text("code,value\n" + "".join(f"{c},{i}\n" for i, c in enumerate(CODES)))
    before = snapshot(out)
    status = main(["import", str(values), "--la", LUTON, "--out", str(out), "--source", NO_SOURCE])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert f"{gpkg} could not be read (JSONDecodeError" in err and "an atlas GeoPackage" in err
    assert snapshot(out) == before
