"""``atlas stats --la CODE`` (issue 3)."""

from __future__ import annotations

import json

import pytest

from atlas import cli

from ..conftest import LUTON


def _no_nan(name):
    raise AssertionError(f"{name} in JSON output")


@pytest.fixture
def args(luton_path, source_dir):
    return ["--source", str(source_dir), "--atlas-dir", str(luton_path.parent)]


def test_json_output_is_one_object_with_the_published_figures(args, capsys):
    assert cli.main(["stats", "--la", LUTON, "--json", *args]) == 0
    result = json.loads(capsys.readouterr().out, parse_constant=_no_nan)
    assert {"la", "n_lsoa", "twenty_twenty", "ten_ten", "moran_i", "lisa"} <= set(result)
    assert result["la"] == LUTON and result["n_lsoa"] == 121
    assert (result["twenty_twenty"]["least"], result["twenty_twenty"]["most"]) == (10, 34)
    assert round(result["twenty_twenty"]["share"], 3) == 0.198
    moran = result["moran_i"]
    assert abs(moran["I"] - 0.410) < 0.005
    assert moran["permutations"] == 999 and moran["snap_tolerance_m"] == 1.0 and moran["islands"] == []
    assert 0 < moran["p_sim"] <= 0.001 + 1e-12
    assert sum(result["lisa"].values()) == 121 and result["lisa"]["High-High"] > 0
    assert result["atlas"]["how"] in ("loaded", "built")


def test_text_output(args, capsys):
    assert cli.main(["stats", "--la", LUTON, *args]) == 0
    text = capsys.readouterr().out
    assert "20:20 index: 10 least : 34 most deprived, share 0.198" in text
    assert "Moran's I: 0.410" in text and "1 m snapping tolerance" in text
    assert "LISA clusters: High-High" in text
    assert "not the household-income Gini" in text


def test_indicator_without_its_vintage_is_understood(args, capsys):
    assert cli.main(["stats", "--la", LUTON, "--indicator", "income_score", "--json", *args]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["indicator"] == "income19_score"
    assert "taken as income19_score" in captured.err


def test_unknown_indicator_lists_the_layers(args, capsys):
    assert cli.main(["stats", "--la", LUTON, "--indicator", "no_such_layer", *args]) == 2
    err = capsys.readouterr().err
    assert "No layer 'no_such_layer'" in err and "income19_score" in err


def test_other_geography(args, capsys):
    assert cli.main(["stats", "--la", LUTON, "--geography", "ward2023", "--json", *args]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_areas"] == 20 and result["moran_i"]["n"] == 20
    assert result["twenty_twenty"]["least"] == 10  # the district's index, from its LSOAs


def test_bad_district_code(args, capsys):
    assert cli.main(["stats", "--la", "E0600003", *args]) == 2
    assert "E06000032" in capsys.readouterr().err


def test_a_one_lsoa_district_gets_messages(source_dir, tmp_path, capsys):
    """The Isles of Scilly: one LSOA, so no Moran's I, LISA or Gini, and a clear message for each."""
    assert cli.main(["stats", "--la", "E06000053", "--json", "--source", str(source_dir),
                     "--atlas-dir", str(tmp_path)]) == 0
    result = json.loads(capsys.readouterr().out, parse_constant=_no_nan)  # strict JSON: no NaN
    assert result["n_lsoa"] == 1 and result["atlas"]["how"] == "built"
    assert result["moran_i"]["I"] is None and "at least 3 areas" in result["moran_i"]["message"]
    assert "message" in result["lisa"]
    assert (result["twenty_twenty"]["least"], result["twenty_twenty"]["most"]) == (1, 0)


def test_an_atlas_is_current_only_if_newer_than_its_inputs(tmp_path):
    import os
    import time
    from types import SimpleNamespace

    from atlas.build import is_current
    from atlas.report import BuildReport

    source = tmp_path / "source"
    (source / "boundaries").mkdir(parents=True)
    boundary = source / "boundaries" / "areas.json"
    boundary.write_text("{}")
    gpkg = tmp_path / "E06000032.gpkg"
    gpkg.write_text("")
    report = BuildReport("E06000032", "Luton", source_dir=str(source),
                         geographies={"lsoa11": {"files": ["boundaries/areas.json"]}},
                         layers=[{"source_file": "boundaries/areas.json"}])
    built = SimpleNamespace(report=report)
    future = time.time() + 3600
    os.utime(gpkg, (future, future))
    assert is_current(built, gpkg, source)
    assert not is_current(built, gpkg, tmp_path / "elsewhere")  # built from another source directory
    os.utime(boundary, (future + 10, future + 10))
    assert not is_current(built, gpkg, source)  # a source file changed since


def test_no_permutations_gives_null_not_nan(args, capsys):
    assert cli.main(["stats", "--la", LUTON, "--json", "--permutations", "0", *args]) == 0
    result = json.loads(capsys.readouterr().out, parse_constant=_no_nan)
    assert result["moran_i"]["p_sim"] is None and abs(result["moran_i"]["I"] - 0.410) < 0.005
    assert "permutation" in result["lisa"]["message"]


def test_current_loads_a_current_atlas_and_rebuilds_a_stale_one(source_dir, tmp_path):
    """``atlas.build.current``, shared by ``atlas stats``, ``atlas export`` and ``atlas profile``."""
    import os

    from atlas.build import current

    first, how = current("E06000053", source_dir, tmp_path)  # the Isles of Scilly: quick to build
    assert how == "built" and first.path == tmp_path / "E06000053.gpkg"
    again, how = current("E06000053", source_dir, tmp_path)
    assert how == "loaded" and again.la_name == first.la_name
    os.utime(first.path, (0, 0))  # older than every spec and source file
    assert current("E06000053", source_dir, tmp_path)[1] == "built"
