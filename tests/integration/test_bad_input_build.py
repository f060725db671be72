"""Bad boundary files against `atlas build` (issue 15): null geometries and implausible boundaries.

Each boundary file is made in the test (Luton's LSOA 2011 file with a geometry
removed or every area shifted by a degree; a ward file whose wards are tiny
squares), in a small source directory that links the few real files the build
needs. The build must fail with exit status 2 and a clear message, change no
file in the output folder, and leave the earlier atlas opening with its layers.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from atlas.cli import main
from atlas.specs import Catalogue

from . import bad_input_support
from .bad_input_support import LUTON, snapshot, tiny_atlas
from .test_build_errors import LUTON_LSOA11, PROJECT, luton_lsoa11_codes, small_source, small_specs, write_layer

__all__ = ["small_source", "small_specs"]  # fixtures used here
WARD_LOOKUP = ("boundaries/Ward_to_Local_Authority_District_to_County_to_Region_to_Country_(May_2023)_Lookup_in_"
               "United_Kingdom.csv.gz")


@pytest.fixture
def earlier(tmp_path) -> Path:
    """An output folder holding an earlier atlas of Luton (the tiny made-up one)."""
    folder = tmp_path / "out"
    tiny_atlas(folder)
    return folder


def luton_lsoas(source_dir: Path) -> dict:
    with gzip.open(source_dir / LUTON_LSOA11) as fh:
        return json.load(fh)


def replace_lsoa_file(small_source: Path, collection: dict) -> None:
    target = small_source / LUTON_LSOA11
    target.unlink()  # a link to the real file: replace the link, never the file
    with gzip.open(target, "wt") as fh:
        json.dump(collection, fh)


def shifted(geometry: dict, dx: float) -> dict:
    def move(coords):
        return [coords[0] + dx, coords[1]] if isinstance(coords[0], (int, float)) else [move(c) for c in coords]
    return {**geometry, "coordinates": move(geometry["coordinates"])}


def build_cli(monkeypatch, specs: Path, source: Path, out: Path) -> int:
    original = Catalogue.load
    monkeypatch.setattr(Catalogue, "load", classmethod(lambda cls, root=None: original(specs)))
    return main(["build", "--la", LUTON, "--source", str(source), "--out", str(out)])


def assert_refused(capsys, status: int, before: dict, out: Path, *words: str) -> None:
    bad_input_support.assert_refused(capsys.readouterr().err, status, before, out, {("base", "lsoa21")}, *words)


def test_a_null_geometry_in_a_boundary_file_is_named(small_source, small_specs, source_dir, earlier, capsys,
                                                     monkeypatch):
    collection = luton_lsoas(source_dir)
    code = collection["features"][3]["properties"]["LSOA11CD"]
    collection["features"][3]["geometry"] = None
    replace_lsoa_file(small_source, collection)
    before = snapshot(earlier)
    status = build_cli(monkeypatch, small_specs, small_source, earlier)
    assert_refused(capsys, status, before, earlier, LUTON_LSOA11, "1 of 121 areas", code,
                   "expected a polygon for every area")


def test_boundaries_shifted_by_a_degree_fail_and_keep_the_earlier_atlas(small_source, small_specs, source_dir,
                                                                       earlier, capsys, monkeypatch):
    collection = luton_lsoas(source_dir)
    for feature in collection["features"]:
        feature["geometry"] = shifted(feature["geometry"], 1.0)
    replace_lsoa_file(small_source, collection)
    before = snapshot(earlier)
    status = build_cli(monkeypatch, small_specs, small_source, earlier)
    assert_refused(capsys, status, before, earlier, "LSOA (2011)", "121 of 121 areas", "lie outside the outline of "
                   "Luton", "an earlier atlas is kept")


def test_wards_that_leave_most_areas_without_a_ward_fail(small_source, small_specs, source_dir, earlier, tmp_path,
                                                         capsys, monkeypatch):
    (small_source / WARD_LOOKUP).symlink_to(source_dir / WARD_LOOKUP)
    shutil.copy(PROJECT / "boundaries" / "ward2023.toml", small_specs / "boundaries" / "ward2023.toml")
    values = tmp_path / "values.csv"
    values.write_text("code,value\n" + "".join(f"{c},{i}\n" for i, c in enumerate(luton_lsoa11_codes(source_dir))))
    (small_source / "values.csv").symlink_to(values)
    write_layer(small_specs, "values.csv")
    lookup = pd.read_csv(source_dir / WARD_LOOKUP, encoding="utf-8-sig")
    wards = lookup[lookup["LAD23CD"] == LUTON]
    assert len(wards) == 20
    # every ward a square of about 70 m near the middle of Luton: inside the outline, but holding few LSOA centroids
    features = [{"type": "Feature", "properties": {"WD25CD": code, "WD25NM": name, "LADCD_ACTIVE": LUTON},
                 "geometry": {"type": "Polygon", "coordinates": [[
                     [x, y], [x + 0.001, y], [x + 0.001, y + 0.0006], [x, y + 0.0006], [x, y]]]}}
                for i, (code, name) in enumerate(zip(wards["WD23CD"], wards["WD23NM"]))
                for x, y in [(-0.425 + 0.002 * (i % 5), 51.875 + 0.002 * (i // 5))]]
    (small_source / "boundaries" / "wards2025_E06000032_test.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}))
    before = snapshot(earlier)
    status = build_cli(monkeypatch, small_specs, small_source, earlier)
    assert_refused(capsys, status, before, earlier, "of 121 LSOA (2011) areas of Luton could not be assigned",
                   "Wards (from May 2023)", "an earlier atlas is kept")
