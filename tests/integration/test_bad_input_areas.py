"""Area sets against bad input and faults (issue 15): `atlas areas add/remove` are transactional and take turns.

The atlas is the tiny made-up one of tests/integration/bad_input_support.py, but
keyed by eight real LSOA (2021) codes of Luton, since an area set is checked
against the national LSOA member lists of the source directory. Each refusal
is checked for exit status 2, one line naming the file, no traceback, no file
changed in the output folder and the earlier atlas opening with the same
layers and geographies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from atlas import area_sets, store
from atlas.cli import main

from .bad_input_support import LUTON, assert_refused, snapshot, tiny_atlas

PROJECT = Path(__file__).resolve().parents[2]
#: Eight LSOAs (2021) of Luton (ONS codes).
LSOAS = ["E01015693", "E01015694", "E01015695", "E01015739", "E01015740", "E01015793", "E01015795", "E01033804"]
BASE = {("base", "lsoa21")}


@pytest.fixture
def out(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "atlas"
    tiny_atlas(folder, LSOAS)
    return folder


def lookup(path: Path, names: tuple[str, str] = ("North", "South")) -> Path:
    """A lookup of the eight LSOAs into two areas."""
    rows = [f"{code},{names[0] if i < 4 else names[1]}" for i, code in enumerate(LSOAS)]
    path.write_text("LSOA21CD,area\n" + "\n".join(rows) + "\n")
    return path


def areas(*argv, source_dir) -> int:
    return main(["areas", *argv, "--source", str(source_dir)])


def add_args(path, folder, name) -> list[str]:
    return ["add", str(path), "--name", name, "--atlas-dir", str(folder)]


def geographies_of(folder: Path) -> set[str]:
    return set(store.load(folder / f"{LUTON}.gpkg").geographies)


def refused(capsys, status: int, before: dict, folder: Path, geographies: set, *words: str) -> str:
    err = capsys.readouterr().err
    assert_refused(err, status, before, folder, BASE, *words)
    assert geographies_of(folder) == geographies
    return err


def manifest_of(folder: Path) -> dict:
    return json.loads((area_sets.areas_folder(folder, LUTON) / area_sets.MANIFEST).read_text())


def test_an_area_set_is_added_with_its_file_and_entry_and_removed_with_them(out, tmp_path, source_dir):
    assert areas(*add_args(lookup(tmp_path / "halves.csv"), out, "Halves"), source_dir=source_dir) == 0
    kept = area_sets.areas_folder(out, LUTON)
    assert set(manifest_of(out)) == {"areas_halves"} and (kept / "areas_halves.csv").is_file()
    assert geographies_of(out) == {"lsoa21", "areas_halves"}
    assert areas("remove", "Halves", "--atlas-dir", str(out), source_dir=source_dir) == 0
    assert manifest_of(out) == {} and sorted(p.name for p in kept.iterdir()) == [area_sets.MANIFEST]
    assert geographies_of(out) == {"lsoa21"}


@pytest.mark.parametrize("manifest, words", [
    ("{not json", "is damaged"),
    ("[1, 2]", "holds a list"),
    ('{"areas_x": {"file": "../../outside.csv", "options": {}}}', "names the file '../../outside.csv'"),
    ('{"areas_x": {"file": "/etc/passwd", "options": {}}}', "names the file '/etc/passwd'"),
    ('{"import_x": {"file": "x.csv", "options": {}}}', "not an area set's geography id"),
    ('{"areas_x": "x.csv"}', "not a table with its options"),
])
def test_a_damaged_area_sets_manifest_is_an_error_before_anything_is_written(out, tmp_path, source_dir, capsys,
                                                                              manifest, words):
    kept = area_sets.areas_folder(out, LUTON)
    kept.mkdir(parents=True)
    (kept / area_sets.MANIFEST).write_text(manifest)
    before = snapshot(out)
    status = areas(*add_args(lookup(tmp_path / "halves.csv"), out, "Halves"), source_dir=source_dir)
    refused(capsys, status, before, out, {"lsoa21"}, "areas.json", words)


def test_remove_deletes_nothing_outside_the_area_sets_folder(out, tmp_path, source_dir, capsys):
    assert areas(*add_args(lookup(tmp_path / "halves.csv"), out, "Halves"), source_dir=source_dir) == 0
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    kept = area_sets.areas_folder(out, LUTON)
    manifest = manifest_of(out)
    manifest["areas_halves"]["file"] = str(victim)  # an absolute path: the manifest says to delete it
    (kept / area_sets.MANIFEST).write_text(json.dumps(manifest))
    before = snapshot(out)
    capsys.readouterr()
    status = areas("remove", "Halves", "--atlas-dir", str(out), source_dir=source_dir)
    refused(capsys, status, before, out, {"lsoa21", "areas_halves"}, "names the file", "plain file name")
    assert victim.read_text() == "keep me"


def test_a_failed_write_changes_neither_atlas_nor_kept_file_nor_manifest(out, tmp_path, source_dir, capsys,
                                                                          monkeypatch):
    assert areas(*add_args(lookup(tmp_path / "halves.csv"), out, "Halves"), source_dir=source_dir) == 0
    before = snapshot(out)
    capsys.readouterr()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device", str(out / f"{LUTON}.gpkg"))

    monkeypatch.setattr(store, "_write_geopackage", full_disk)  # after the kept file is staged
    status = areas(*add_args(lookup(tmp_path / "sides.csv", ("East", "West")), out, "Sides"), source_dir=source_dir)
    refused(capsys, status, before, out, {"lsoa21", "areas_halves"}, "the disk is full", f"{LUTON}.gpkg")
    assert set(manifest_of(out)) == {"areas_halves"}
    status = areas("remove", "Halves", "--atlas-dir", str(out), source_dir=source_dir)
    refused(capsys, status, before, out, {"lsoa21", "areas_halves"}, "the disk is full")


def test_two_concurrent_area_set_additions_both_survive(out, tmp_path, source_dir):
    commands = []
    for name, names in (("Halves", ("North", "South")), ("Sides", ("East", "West"))):
        path = lookup(tmp_path / f"{name}.csv", names)
        commands.append([sys.executable, "-m", "atlas", "areas", *add_args(path, out, name), "--source",
                         str(source_dir)])
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    processes = [subprocess.Popen(c, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for c in commands]
    results = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    assert set(manifest_of(out)) == {"areas_halves", "areas_sides"}
    assert geographies_of(out) == {"lsoa21", "areas_halves", "areas_sides"}
    kept = area_sets.areas_folder(out, LUTON)
    assert sorted(p.name for p in kept.iterdir()) == ["areas.json", "areas_halves.csv", "areas_sides.csv"]
