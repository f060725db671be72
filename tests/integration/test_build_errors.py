"""Bad input gets a specific error and leaves nothing half-written (issue 2)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

import atlas
from atlas import cli
from atlas.errors import SourceDirError, SourceFileError, UnknownAreaError
from atlas.specs import Catalogue

from ..conftest import LUTON, PROJECT

IOD_FILE1 = "deprivation/iod2019_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
LUTON_LSOA11 = "boundaries/lsoa2011_england_by_lad/E06000032.json.gz"
LAD_DIR = "boundaries/LAD_MAY_2025_UK_BSC_V2"

LAYER = """
[source]
id = "test_layer"
title = "A test layer"
file = "{file}"
key = "code"
geography = "{geography}"
period = "2020"
publisher = "tests"
licence = "none"
attribution = "made by the tests"

[[indicator]]
id = "test_value"
label = "Test value"
column = "value"
kind = "rate"
units = "proportion"
higher_is = "worse"
description = "A value made up by the tests."
"""


@pytest.fixture
def small_source(tmp_path, source_dir) -> Path:
    """A source directory holding links to a few real files (Luton LSOA 2011 only)."""
    root = tmp_path / "source"
    for relative in (IOD_FILE1, LUTON_LSOA11, LAD_DIR):
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(source_dir / relative, target)
    return root


@pytest.fixture
def small_specs(tmp_path) -> Path:
    """Specs for LSOA 2011 and district outlines only, and a test layer to be written."""
    root = tmp_path / "specs"
    (root / "boundaries").mkdir(parents=True)
    (root / "layers").mkdir()
    for name in ("lsoa11.toml", "district.toml"):
        shutil.copy(PROJECT / "boundaries" / name, root / "boundaries" / name)
    return root


def write_layer(specs: Path, file: str, geography: str = "lsoa11") -> None:
    (specs / "layers" / "test.toml").write_text(LAYER.format(file=file, geography=geography))


def luton_lsoa11_codes(source_dir: Path) -> list[str]:
    with gzip.open(source_dir / LUTON_LSOA11) as fh:
        return [f["properties"]["LSOA11CD"] for f in json.load(fh)["features"]]


def test_unknown_district_code_is_named(source_dir):
    with pytest.raises(UnknownAreaError, match="E06000099.*atlas districts"):
        atlas.build("E06000099", source_dir=source_dir, write=False)


@pytest.mark.parametrize("code, words", [("E01015693", "LSOA"), ("E05014737", "electoral ward"),
                                         ("Luton", "not an ONS area code"), ("E54000024", "integrated care board")])
def test_a_code_that_is_not_a_district_says_what_it_is(code, words, source_dir):
    with pytest.raises(UnknownAreaError, match=words):
        atlas.build(code, source_dir=source_dir, write=False)


def test_missing_source_file_names_the_file_and_the_spec(spec_root, source_dir):
    spec = spec_root / "layers" / "iod2019_scores.toml"
    spec.write_text(spec.read_text().replace("File_7a_-_All", "File_7a_-_Missing"))
    with pytest.raises(SourceFileError, match=r"File_7a_-_Missing.*iod2019_scores\.toml"):
        atlas.build(LUTON, source_dir=source_dir, catalogue=Catalogue.load(spec_root), write=False)


def test_unreadable_source_file_is_reported(small_source, small_specs):
    (small_source / "bad.csv.gz").write_bytes(b"this is not gzip")
    write_layer(small_specs, "bad.csv.gz")
    with pytest.raises(SourceFileError, match=r"Cannot read .*bad\.csv\.gz.*test\.toml"):
        atlas.build(LUTON, source_dir=small_source, catalogue=Catalogue.load(small_specs), write=False)


def test_csv_without_its_key_column_names_the_column(small_source, small_specs):
    (small_source / "nokey.csv").write_text("\ufeffLSOA,value\nE01015693,0.1\n", encoding="utf-8")
    write_layer(small_specs, "nokey.csv")
    with pytest.raises(SourceFileError, match=r"nokey\.csv.*no column 'code'.*'LSOA', 'value'"):
        atlas.build(LUTON, source_dir=small_source, catalogue=Catalogue.load(small_specs), write=False)


def test_csv_with_bom_and_thousands_separators_is_read(small_source, small_specs, source_dir):
    codes = luton_lsoa11_codes(source_dir)
    rows = "".join(f'{c},"1,{i:03d}"\n' for i, c in enumerate(codes))
    (small_source / "bom.csv").write_text("\ufeffcode,value\n" + rows, encoding="utf-8")
    write_layer(small_specs, "bom.csv")
    built = atlas.build(LUTON, source_dir=small_source, catalogue=Catalogue.load(small_specs), write=False)
    values = built.table("lsoa11")["test_value"]
    assert values.notna().all() and values.min() == 1000 and values.max() == 1000 + len(codes) - 1


def test_boundary_file_in_an_unexpected_crs_is_refused(small_source, small_specs, source_dir):
    import geopandas as gpd
    frame = gpd.read_file(f"/vsigzip/{source_dir / LUTON_LSOA11}").to_crs(27700)
    target = small_source / LUTON_LSOA11
    target.unlink()
    frame.to_file(target.with_suffix(""), driver="GeoJSON")  # declares EPSG:27700
    with open(target.with_suffix(""), "rb") as raw, gzip.open(target, "wb") as out:
        out.write(raw.read())
    with pytest.raises(SourceFileError, match=r"E06000032\.json\.gz is in EPSG:27700.*expects EPSG:4326"):
        atlas.build(LUTON, source_dir=small_source, catalogue=Catalogue.load(small_specs), write=False)


def test_bng_coordinates_without_a_crs_are_caught(small_source, small_specs, source_dir):
    import geopandas as gpd
    frame = gpd.read_file(f"/vsigzip/{source_dir / LUTON_LSOA11}").to_crs(27700)
    data = json.loads(frame.to_json())
    data.pop("crs", None)
    target = small_source / LUTON_LSOA11
    target.unlink()
    with gzip.open(target, "wt") as out:
        json.dump(data, out)
    with pytest.raises(SourceFileError, match="not in the UK in that CRS"):
        atlas.build(LUTON, source_dir=small_source, catalogue=Catalogue.load(small_specs), write=False)


def test_codes_of_the_wrong_vintage_are_reported_not_dropped(spec_root, tmp_path, source_dir):
    built = atlas.build(LUTON, source_dir=source_dir, write=False)
    lsoa21 = list(built.table("lsoa21").index)
    source = tmp_path / "source"
    source.mkdir()
    for folder in source_dir.iterdir():  # link the real folders, add one made-up file
        os.symlink(folder, source / folder.name)
    (source / "by2021.csv").write_text("code,value\n" + "".join(f"{c},0.5\n" for c in lsoa21))
    (spec_root / "layers" / "test.toml").write_text(LAYER.format(file="by2021.csv", geography="lsoa11"))
    result = atlas.build(LUTON, source_dir=source, catalogue=Catalogue.load(spec_root), write=False)
    entry = next(e for e in result.report.layers if e["layer"] == "test_value" and "matched" in e)
    new_codes = set(lsoa21) - set(result.table("lsoa11").index)
    assert entry["unmatched"] == 121 - (125 - len(new_codes))
    assert "LSOA (2021) codes" in entry["vintage_warning"]
    assert any("test_value" in w and "check its vintage" in w for w in result.report.warnings)


def test_a_failed_build_leaves_the_earlier_atlas_untouched(tmp_path, spec_root, source_dir):
    out = tmp_path / "out"
    good = atlas.build(LUTON, source_dir=source_dir, out_dir=out)
    before = good.path.read_bytes()
    spec = spec_root / "layers" / "iod2019_scores.toml"
    spec.write_text(spec.read_text().replace("Income Domain Score", "Income Score Renamed"))
    with pytest.raises(SourceFileError, match="Income Score Renamed"):
        atlas.build(LUTON, source_dir=source_dir, out_dir=out, catalogue=Catalogue.load(spec_root))
    assert good.path.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["E06000032.gpkg", "E06000032.report.json"]


def test_source_directory_setting_is_named_when_wrong(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_SOURCE_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(SourceDirError, match="ATLAS_SOURCE_DIR"):
        atlas.build(LUTON, write=False)


def test_cli_prints_one_clear_error_and_no_traceback(capsys, tmp_path):
    status = cli.main(["build", "--la", "E06000099", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert status == 2
    assert "E06000099" in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_cli_build_writes_the_atlas_and_says_where(capsys, tmp_path, source_dir):
    status = cli.main(["build", "--la", LUTON, "--source", str(source_dir), "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0
    assert (tmp_path / "E06000032.gpkg").is_file()
    assert "LSOA (2011)" in out and "121 areas" in out
