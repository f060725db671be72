"""A corpus of bad input and faults against `atlas import`, `export` and the library (issue 15).

Each case uses the tiny atlas of tests/bad_input_support.py (eight made-up LSOAs,
no official file read) and checks, for a refusal: exit status 2, the message,
that no file changed in the output folder, and that the earlier atlas still
opens with the same layers. Cases that must succeed check the result is right.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from atlas import importer, store
from atlas.cli import main
from atlas.errors import AtlasError, as_atlas_error
from atlas.plaintext import csv_text, plain
from atlas.readers import to_number

from .bad_input_support import (
    CODES,
    LUTON,
    NO_SOURCE,
    assert_refused,
    layers_of,
    snapshot,
    tiny_atlas,
    write_csv,
)

PROJECT = Path(__file__).resolve().parents[2]
BASE = {("base", "lsoa21")}


@pytest.fixture
def out(tmp_path, monkeypatch) -> Path:
    """An output folder holding the tiny atlas; the tests run from ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "atlas"
    tiny_atlas(folder)
    return folder


def run(*argv) -> int:
    return main([*argv, "--source", NO_SOURCE])


def import_args(path, folder, *extra) -> list[str]:
    return ["import", str(path), "--la", LUTON, "--out", str(folder), *extra]


def values_csv(path: Path, values: list[str], header: str = "code,value", sep: str = ",") -> Path:
    return write_csv(path, [header] + [f"{c}{sep}{v}" for c, v in zip(CODES, values)])


def refused(capsys, before: dict, folder: Path, layers: set, status: int, *words: str) -> str:
    """Assert a refusal: status 2, the words in one line of error, no traceback, nothing changed, atlas opens."""
    err = capsys.readouterr().err
    assert_refused(err, status, before, folder, layers, *words)
    return err


# -- 1. text from data is text ---------------------------------------------------------------------------
MARKDOWN_NAME = "![pixel](http://example.invalid/p.png) $x^2$ $\\frac{"


def test_plain_shows_markdown_image_and_math_as_written():
    shown = plain(MARKDOWN_NAME)
    assert "\\!\\[pixel\\]" in shown and "\\$x^2\\$" in shown  # no image link, no mathematics
    assert plain(":red[x] :smile:") == "\\:red\\[x\\] \\:smile\\:"  # no colour, no emoji


def test_a_name_with_dollars_and_markdown_exports_as_text(out, tmp_path, capsys):
    layer = importer.layer_id(MARKDOWN_NAME)
    assert run(*import_args(values_csv(tmp_path / "v.csv", [str(i) for i in range(8)]), out,
                            "--name", MARKDOWN_NAME, "--units", "$")) == 0
    for fmt in ("svg", "png", "pdf"):  # mathtext would fail on "$\frac{" before it drew anything
        status = run("export", "--la", LUTON, "--atlas-dir", str(out), "--layer", layer, "--geography", "lsoa21",
                     "--out", str(tmp_path / f"map.{fmt}"), "--dpi", "72")
        assert status == 0, capsys.readouterr().err
    svg = (tmp_path / "map.svg").read_text()
    assert "![pixel](http://example.invalid/p.png) $x^2$ $\\frac{" in svg  # the title, as written


def test_csv_cells_a_spreadsheet_would_run_are_neutralised():
    frame = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "+SUM(A1)", "-2+3", "@cmd", "-3.5", "Luton"],
                          "value": [1.0, -2.0, 3.0, 4.0, 5.0, 6.0]})
    text = csv_text(frame)
    assert "'=HYPERLINK" in text and "'+SUM(A1)" in text and "'-2+3" in text and "'@cmd" in text
    assert "\n-3.5," in text and ",-2.0\n" in text  # numbers stay numbers


def test_map_table_download_neutralises_names_from_data(out):
    from atlas import webmap

    built = store.load(out / f"{LUTON}.gpkg")
    frame = built.table("lsoa21").copy()
    frame.loc[CODES[0], "name"] = "=cmd|' /C calc'!A0"
    built.geographies["lsoa21"] = frame
    csv = webmap.view_csv(webmap.map_view(built, "base", "lsoa21")).decode("utf-8-sig")
    assert "'=cmd|" in csv and ",=cmd" not in csv


# -- 2. numbers are finite -----------------------------------------------------------------------------
def test_infinite_and_nan_text_are_no_data_counted_and_reported(out, tmp_path, capsys):
    values = ["1e999", "-1e999", "inf", "NaN", "5", "6", "7", "8"]
    assert run(*import_args(values_csv(tmp_path / "v.csv", values), out, "--name", "Odd", "--value-column", "value")) == 0
    report = capsys.readouterr().out
    assert "of which with a value: 4" in report and "of which not a number (shown as no data): 4" in report
    assert "neither finite numbers nor suppression markers" in report
    values = store.load(out / f"{LUTON}.gpkg").values("import_odd", "lsoa21")
    assert values.isna().sum() == 4 and np.isfinite(values.dropna()).all() and values.max() == 8


def test_to_number_is_the_finite_gate():
    numbers = to_number(pd.Series(["1e999", "-inf", "3", "c", "1,500"]))
    assert numbers.isna().tolist() == [True, True, False, True, False]
    assert numbers.attrs["non_finite"] == 2 and numbers.iloc[4] == 1500
    assert to_number(pd.Series([np.inf, 1.0])).attrs["non_finite"] == 1


def test_semicolons_with_decimal_commas_are_read_by_that_convention(out, tmp_path, capsys):
    values = ["12,5", "1.234,5", "7", "0,25", "3", "4", "5", "6"]
    path = values_csv(tmp_path / "v.csv", values, header="code;rate", sep=";")
    assert run(*import_args(path, out, "--name", "Decimal commas")) == 0
    assert "decimal commas (e.g. '12,5'): read by the European convention" in capsys.readouterr().out
    values = store.load(out / f"{LUTON}.gpkg").values("import_decimal_commas", "lsoa21")
    assert values.loc[CODES[:4]].tolist() == [12.5, 1234.5, 7.0, 0.25]


def test_semicolons_with_both_conventions_are_refused_saying_which_was_assumed(out, tmp_path, capsys):
    before = snapshot(out)
    path = values_csv(tmp_path / "v.csv", ["12,5", "12.5", "1", "2", "3", "4", "5", "6"], header="code;rate", sep=";")
    refused(capsys, before, out, BASE, run(*import_args(path, out)), "decimal commas", "convention was assumed",
            "row 3 has '12.5'")


def test_an_unclosed_quote_is_an_error_that_says_so(out, tmp_path, capsys):
    before = snapshot(out)
    path = write_csv(tmp_path / "q.csv", ["code,value", f'{CODES[0]},"12', f"{CODES[1]},13"])
    refused(capsys, before, out, BASE, run(*import_args(path, out)), "q.csv", "double quote", "line 2",
            "never closed")


# -- 3. imports are transactional and never lose a layer ---------------------------------------------------
def test_two_names_with_one_layer_id_do_not_replace_each_other(out, tmp_path, capsys):
    first = values_csv(tmp_path / "a.csv", [str(i) for i in range(8)])
    assert run(*import_args(first, out, "--name", "Quit rate")) == 0
    layers = BASE | {("import_quit_rate", "lsoa21")}
    before = snapshot(out)
    capsys.readouterr()
    second = values_csv(tmp_path / "b.csv", [str(10 + i) for i in range(8)])
    refused(capsys, before, out, layers, run(*import_args(second, out, "--name", "quit-rate!")),
            "'quit-rate!'", "import_quit_rate", "'Quit rate'", "--remove import_quit_rate")
    assert run(*import_args(second, out, "--name", "Quit rate")) == 0  # the same name replaces, and says so
    assert "replaces the layer import_quit_rate imported from a.csv" in capsys.readouterr().out


@pytest.mark.parametrize("manifest, words", [
    ("{not json", "is damaged"),
    ("[1, 2]", "holds a list"),
    ('{"import_x": {"file": "../../outside.csv", "options": {}}}', "names the file '../../outside.csv'"),
    ('{"layer_x": {"file": "x.csv", "options": {}}}', "not an imported layer id"),
])
def test_a_damaged_list_of_imports_is_an_error_before_anything_is_written(out, tmp_path, capsys, manifest, words):
    kept = importer.imports_folder(out, LUTON)
    kept.mkdir(parents=True)
    (kept / importer.MANIFEST).write_text(manifest)
    before = snapshot(out)
    path = values_csv(tmp_path / "v.csv", [str(i) for i in range(8)])
    refused(capsys, before, out, BASE, run(*import_args(path, out, "--name", "New")), "imports.json", words)


def test_remove_deletes_nothing_outside_the_imports_folder(out, tmp_path, capsys):
    path = values_csv(tmp_path / "v.csv", [str(i) for i in range(8)])
    assert run(*import_args(path, out, "--name", "Kept")) == 0
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    kept = importer.imports_folder(out, LUTON)
    manifest = json.loads((kept / importer.MANIFEST).read_text())
    manifest["import_kept"]["file"] = str(victim)  # an absolute path: the list says to delete it
    (kept / importer.MANIFEST).write_text(json.dumps(manifest))
    before = snapshot(out)
    capsys.readouterr()
    status = run("import", "--la", LUTON, "--out", str(out), "--remove", "import_kept")
    refused(capsys, before, out, BASE | {("import_kept", "lsoa21")}, status, "names the file", "plain file name")
    assert victim.read_text() == "keep me"


def test_remove_takes_the_layer_the_file_and_the_entry_together(out, tmp_path, capsys):
    path = values_csv(tmp_path / "v.csv", [str(i) for i in range(8)])
    assert run(*import_args(path, out, "--name", "Gone soon")) == 0
    kept = importer.imports_folder(out, LUTON)
    assert (kept / "import_gone_soon.csv").exists()
    assert run("import", "--la", LUTON, "--out", str(out), "--remove", "import_gone_soon") == 0
    assert not (kept / "import_gone_soon.csv").exists()
    assert json.loads((kept / importer.MANIFEST).read_text()) == {}
    assert layers_of(out / f"{LUTON}.gpkg") == BASE


def test_a_failed_write_changes_neither_atlas_nor_kept_file_nor_list(out, tmp_path, capsys, monkeypatch):
    path = values_csv(tmp_path / "v.csv", [str(i) for i in range(8)])
    assert run(*import_args(path, out, "--name", "First")) == 0
    before = snapshot(out)
    capsys.readouterr()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", str(out / f"{LUTON}.gpkg"))

    monkeypatch.setattr(store, "_write_geopackage", full_disk)  # after the kept file is staged
    status = run(*import_args(path, out, "--name", "Second"))
    refused(capsys, before, out, BASE | {("import_first", "lsoa21")}, status, "the disk is full",
            f"{LUTON}.gpkg")


def test_a_commit_that_fails_halfway_puts_every_file_back(tmp_path, monkeypatch):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    real_replace = os.replace

    def failing_replace(src, dst):
        if Path(dst) == b:
            raise OSError(5, "Input/output error", str(b))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError), store.transaction() as tx:
        tx.write_text(a, "new a")
        tx.write_text(b, "new b")
    assert a.read_text() == "old a" and not b.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temporary file left


def test_two_concurrent_imports_of_different_files_both_end_up_in_the_atlas(out, tmp_path):
    commands = []
    for name in ("Alpha", "Beta"):
        path = values_csv(tmp_path / f"{name}.csv", [str(i) for i in range(8)])
        commands.append([sys.executable, "-m", "atlas", *import_args(path, out, "--name", name),
                         "--source", NO_SOURCE])
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    processes = [subprocess.Popen(c, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for c in commands]
    results = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    assert layers_of(out / f"{LUTON}.gpkg") == BASE | {("import_alpha", "lsoa21"), ("import_beta", "lsoa21")}
    manifest = json.loads((importer.imports_folder(out, LUTON) / importer.MANIFEST).read_text())
    assert set(manifest) == {"import_alpha", "import_beta"}


# -- 4. every error is the atlas's own -------------------------------------------------------------------
def test_a_file_where_the_imports_folder_should_be(out, tmp_path, capsys):
    (out / "imports").write_text("I am a file")
    before = snapshot(out)
    path = values_csv(tmp_path / "v.csv", [str(i) for i in range(8)])
    refused(capsys, before, out, BASE, run(*import_args(path, out)), "imports",
            "a file is where a folder was expected")


def test_a_folder_where_the_map_file_should_be(out, tmp_path, capsys):
    (tmp_path / "map.png").mkdir()
    before = snapshot(out)
    status = run("export", "--la", LUTON, "--atlas-dir", str(out), "--layer", "base", "--geography", "lsoa21",
                 "--out", str(tmp_path / "map.png"), "--dpi", "72")
    refused(capsys, before, out, BASE, status, "map.png")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".map.png")]


def test_an_unreadable_file_is_named():
    error = as_atlas_error(PermissionError(13, "Permission denied", "/some/where/data.csv"))
    assert isinstance(error, AtlasError) and "/some/where/data.csv" in str(error) and "permission" in str(error)
    assert as_atlas_error(KeyError("a bug")) is None  # a bug is not dressed up as bad input


def workbook(rows) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, replace: dict[str, bytes] | None = None, add: dict[str, int] | None = None) -> bytes:
    """A copy of a zip with some members replaced, and members of N zero bytes added (written in chunks)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, (replace or {}).get(info.filename, source.read(info)))
        for name, size in (add or {}).items():
            with target.open(name, "w", force_zip64=True) as member:
                for _ in range(size // (1 << 20)):
                    member.write(bytes(1 << 20))
    return buffer.getvalue()


def test_a_broken_sheet_inside_an_xlsx_is_named(out, tmp_path, capsys):
    good = workbook([["code", "value"], *[[c, i] for i, c in enumerate(CODES)]])
    broken = rezip(good, replace={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c r='A1' t='s'><v>"})
    path = tmp_path / "broken.xlsx"
    path.write_bytes(broken)
    before = snapshot(out)
    refused(capsys, before, out, BASE, run(*import_args(path, out)), "broken.xlsx")


def test_stale_temporary_files_of_an_interrupted_write_are_cleaned(out, tmp_path):
    stale = out / f".{LUTON}.gpkg.abcd1234.tmp.gpkg"
    fresh = out / f".{LUTON}.gpkg.efgh5678.tmp.gpkg"
    for path in (stale, fresh):
        path.write_bytes(b"half a GeoPackage")
    old = time.time() - store.STALE_SECONDS - 60
    os.utime(stale, (old, old))
    assert run(*import_args(values_csv(tmp_path / "v.csv", [str(i) for i in range(8)]), out)) == 0
    assert not stale.exists()
    assert fresh.exists()  # perhaps another writer's, still at work


# -- 5. resource limits ------------------------------------------------------------------------------------
def test_an_xlsx_that_expands_far_beyond_its_size_is_refused_before_it_is_expanded(out, tmp_path, capsys):
    good = workbook([["code", "value"], *[[c, i] for i, c in enumerate(CODES)]])
    bomb = rezip(good, add={"xl/media/padding.bin": importer.MAX_UNPACKED_BYTES + (8 << 20)})
    assert len(bomb) < 2 * 1024 * 1024
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    before = snapshot(out)
    refused(capsys, before, out, BASE, run(*import_args(path, out)), "bomb.xlsx", "unpacks to more than the 200 MB")


def test_a_part_larger_than_it_declares_is_refused(monkeypatch):
    monkeypatch.setattr(importer.reading, "MAX_UNPACKED_BYTES", 3 << 20)
    good = workbook([["code", "value"], *[[c, i] for i, c in enumerate(CODES)]])
    bomb = rezip(good, add={"xl/media/padding.bin": 4 << 20})
    with pytest.raises(importer.ImportFileError, match="unpacks to more than the 3 MB"):
        importer.read_upload(bomb, "bomb.xlsx")


def test_the_uploader_limit_is_the_documented_one():
    import tomllib

    from atlas.cli.app import STREAMLIT_SETTINGS

    limit_mb = importer.MAX_UPLOAD_BYTES // 1024 // 1024
    assert STREAMLIT_SETTINGS["server.maxUploadSize"] == str(limit_mb)
    config = tomllib.loads((PROJECT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == limit_mb


def test_an_upload_is_parsed_once_not_on_every_rerun(monkeypatch):
    from streamlit.testing.v1 import AppTest

    data = ("code,value\n" + "".join(f"{c},{i}\n" for i, c in enumerate(CODES))).encode()

    def page(data: bytes) -> None:
        import streamlit as st

        from atlas import importer
        from atlas.ui.upload import read_once

        calls = st.session_state.setdefault("calls", [0])
        real = importer.read_upload

        def counting(*args, **kwargs):
            calls[0] += 1
            return real(*args, **kwargs)

        import atlas.ui.upload as upload_module
        upload_module.read_upload = counting
        read_once(data, "v.csv")
        read_once(data, "v.csv")
        st.text(f"parsed {calls[0]}")

    at = AppTest.from_function(page, args=(data,), default_timeout=60)
    at.run()
    at.run()
    at.run()
    assert not at.exception
    assert at.text[0].value == "parsed 1"
