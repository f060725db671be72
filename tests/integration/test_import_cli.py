"""`atlas import` on the command line: the atlas on disk, the kept file, and rebuilds."""

from __future__ import annotations

import json
import shutil

import pytest

import atlas
from atlas import importer
from atlas.cli import main

LUTON = "E06000032"


@pytest.fixture
def folder(tmp_path, luton_path):
    """A writable folder of built atlases holding a copy of Luton's."""
    out = tmp_path / "atlas"
    out.mkdir()
    shutil.copy(luton_path, out / luton_path.name)
    return out


@pytest.fixture
def quit_file(tmp_path, luton):
    """A CSV of made-up percentages by LSOA 2021, one of them suppressed."""
    codes = list(luton.table("lsoa21").index)
    lines = ["LSOA21CD,Quit rate"] + [f"{c},{'c' if i == 0 else f'{10 + i % 7}%'}" for i, c in enumerate(codes)]
    path = tmp_path / "quit rates.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_args(path, folder, *extra):
    return ["import", str(path), "--la", LUTON, "--out", str(folder), *extra]


def test_import_adds_the_layer_and_keeps_the_file(folder, quit_file, capsys):
    assert main(import_args(quit_file, folder, "--name", "Smoking quit rate", "--higher-is", "better",
                            "--period", "2023-24")) == 0
    out = capsys.readouterr().out
    assert "Match report for quit rates.csv" in out and "suppressed: " in out
    assert "Added layer import_smoking_quit_rate ('Smoking quit rate') to the Luton atlas on: LSOA (2021)" in out
    built = atlas.load(folder / f"{LUTON}.gpkg")
    meta = built.layer("import_smoking_quit_rate", "lsoa21")
    assert meta["higher_is"] == "better" and meta["units"] == "%" and meta["period"] == "2023-24"
    assert meta["description"].startswith("Imported by the user from quit rates.csv on ")
    values = built.values("import_smoking_quit_rate", "lsoa21")
    assert values.isna().sum() == 1 and values.max() == 16
    assert built.table("lsoa21")["import_smoking_quit_rate_note"].iloc[0] == "suppressed in the file (c)"
    assert set(built.layers.loc[built.layers["layer"] == "import_smoking_quit_rate", "geography"]) == {
        "lsoa21", "lsoa11", "ward2013", "ward2023", "msoa21"}
    assert built.report.imports[0]["layer"] == "import_smoking_quit_rate"
    kept = importer.imports_folder(folder, LUTON)
    manifest = json.loads((kept / "imports.json").read_text())
    entry = manifest["import_smoking_quit_rate"]
    assert entry["original_name"] == "quit rates.csv" and entry["options"]["geography"] == "lsoa21"
    assert (kept / entry["file"]).read_bytes() == quit_file.read_bytes()
    assert not [p for p in folder.rglob("*") if ".tmp" in p.name]  # atomic writes leave nothing behind

    assert main(["import", "--la", LUTON, "--out", str(folder), "--list"]) == 0
    assert "import_smoking_quit_rate: Smoking quit rate from quit rates.csv" in capsys.readouterr().out
    assert main(["import", "--la", LUTON, "--out", str(folder), "--remove", "import_smoking_quit_rate"]) == 0
    removed = atlas.load(folder / f"{LUTON}.gpkg")
    assert not removed.layers["layer"].str.startswith("import_").any() and removed.report.imports == []
    assert importer.read_manifest(kept) == {} and not (kept / entry["file"]).exists()


def test_check_changes_nothing_and_errors_leave_the_atlas_untouched(folder, quit_file, tmp_path, capsys):
    before = (folder / f"{LUTON}.gpkg").read_bytes()
    assert main(import_args(quit_file, folder, "--check")) == 0
    assert "Checked only (--check): nothing was changed" in capsys.readouterr().out
    bad = tmp_path / "dupes.csv"
    bad.write_text("code,value\nE01015693,1\nE01015693,2\n", encoding="utf-8")
    assert main(import_args(bad, folder)) == 2
    err = capsys.readouterr().err
    assert err.startswith("atlas import: error: dupes.csv: 1 area code(s) appear more than once")
    assert "E01015693 (rows 2, 3)" in err
    assert (folder / f"{LUTON}.gpkg").read_bytes() == before
    assert not (folder / "imports").exists()


def test_import_needs_a_built_atlas(tmp_path, quit_file, capsys):
    assert main(import_args(quit_file, tmp_path)) == 2
    assert "build it first with `atlas build --la E06000032`" in capsys.readouterr().err


def test_imports_survive_a_rebuild(folder, quit_file, tmp_path, source_dir):
    assert main(import_args(quit_file, folder, "--name", "Quit rate")) == 0
    other = tmp_path / "other.csv"
    other.write_text("code,value\nE05014735,1\nE05014736,2\n", encoding="utf-8")
    assert main(import_args(other, folder, "--name", "Gone")) == 0
    kept = importer.imports_folder(folder, LUTON)
    (kept / "import_gone.csv").unlink()  # a kept file that has gone missing

    rebuilt = atlas.build(LUTON, source_dir=source_dir, out_dir=folder)
    assert rebuilt.values("import_quit_rate", "lsoa21").notna().sum() == 124
    assert "import_gone" not in set(rebuilt.layers["layer"])
    assert any("import_gone" in w and "was not re-applied" in w for w in rebuilt.report.warnings)
    reloaded = atlas.load(folder / f"{LUTON}.gpkg")
    assert "import_quit_rate" in set(reloaded.layers["layer"])
