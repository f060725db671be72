"""``atlas build --all`` on a Dask LocalCluster: a small batch with one failing authority (issue 18)."""

from __future__ import annotations

import pandas as pd
import pytest

from atlas import cli, store
from atlas.build import build_all

FILE_2 = "deprivation/iod2019_lsoa11/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
CITY, SCILLY, UNKNOWN = "E09000001", "E06000053", "E06999999"


def _lsoas_in_iod(source_dir, district: str) -> int:
    raw = pd.read_csv(source_dir / FILE_2, encoding="utf-8-sig", usecols=["Local Authority District code (2019)"])
    return int((raw["Local Authority District code (2019)"] == district).sum())


def test_a_batch_with_an_unknown_authority_builds_the_others(source_dir, tmp_path, capsys):
    status = cli.main(["build", "--all", "--only", f"{CITY},{UNKNOWN},{SCILLY}", "--source", str(source_dir),
                       "--out", str(tmp_path), "--workers", "2", "--retries", "0"])
    captured = capsys.readouterr()
    assert status == 2
    assert f"failed: {UNKNOWN}: UnknownAreaError: {UNKNOWN} is not an authority" in captured.err
    assert "3/3 authorities, 1 failed" in captured.err  # the progress line
    assert "Built 2 of 3 atlases" in captured.out and "Traceback" not in captured.err
    assert sorted(p.name for p in tmp_path.glob("*.gpkg")) == [f"{SCILLY}.gpkg", f"{CITY}.gpkg"]
    city = store.load(tmp_path / f"{CITY}.gpkg")
    assert len(city.table("lsoa11")) == _lsoas_in_iod(source_dir, CITY) == 6


def test_build_all_returns_each_atlas_summary_on_one_worker(source_dir, tmp_path):
    result = build_all([SCILLY, SCILLY], source_dir, tmp_path, workers=1)  # a repeated code is built once
    assert result.failed == {} and list(result.results) == [SCILLY]
    summary = result.results[SCILLY]
    assert summary["name"] == "Isles of Scilly" and summary["path"] == str(tmp_path / f"{SCILLY}.gpkg")
    assert summary["areas"]["lsoa11"] == _lsoas_in_iod(source_dir, SCILLY) == 1


def test_la_and_all_together_are_refused(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["build", "--all", "--la", CITY])
    assert info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
    assert cli.main(["build", "--la", CITY, "--only", SCILLY]) == 2
    assert "--only goes with --all" in capsys.readouterr().err
