"""Every district at once, against the plain per-district path and the raw IoD2019 file (issue 3)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from atlas import cli
from atlas.analysis import summarise
from atlas.analysis.national import (
    COLUMNS,
    EXTRA_COLUMNS,
    all_districts,
    district_statistics,
    national_inputs,
    write_csv,
)
from atlas.specs import Catalogue

from ..conftest import LUTON

FILE_2 = "deprivation/iod2019_lsoa11/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz"
#: Districts the fast path is checked against the reference path on, of every kind: Luton (unitary),
#: the City of London (6 LSOAs: many permutations tie with the observed I), Bournemouth, Christchurch
#: and Poole (a 2019 merger: its LSOAs are in three files), the Isles of Scilly (1 LSOA), Birmingham
#: (639 LSOAs, metropolitan), Westminster (London borough), Cornwall (largest unitary), St Albans and
#: Allerdale (shire districts; Allerdale abolished in 2023), Northumberland (code changed since 2011),
#: Sheffield (metropolitan) and Portsmouth (an island city).
CHECKED = ["E06000032", "E09000001", "E06000058", "E06000053", "E08000025", "E09000033", "E06000052",
           "E07000240", "E07000026", "E06000057", "E08000019", "E06000044"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("stats_out")


@pytest.fixture(scope="module")
def run(source_dir, out_dir):
    """The all-districts run from the raw files (writing the boundary cache)."""
    return all_districts(source_dir, workers=2, cache_dir=out_dir / "cache", use_cache=True)


@pytest.fixture(scope="module")
def inputs(source_dir):
    return national_inputs(source_dir, Catalogue.load())


def test_one_row_per_2019_district(run):
    table = run.table
    assert run.cache == "cold"
    assert len(table) == 317 and table["lad_code"].is_unique
    assert list(table.columns[: len(COLUMNS)]) == COLUMNS
    assert table["n_lsoa"].sum() == 32844
    assert run.missing_boundaries == []
    assert set(run.timings) >= {"inputs", "districts", "read_cpu", "weights_cpu", "statistics_cpu", "total"}


def test_luton_row_reproduces_the_published_figures(run, luton):
    row = run.table.set_index("lad_code").loc[LUTON]
    assert (row["n_lsoa"], row["least_20"], row["most_20"]) == (121, 10, 34)
    assert round(row["share_20_20"], 3) == 0.198
    assert abs(row["moran_i"] - 0.410) < 0.005
    panel = summarise(luton, "income19_score", "lsoa11")["moran"]  # the app's figure is the same figure
    assert row["moran_i"] == pytest.approx(panel["I"], rel=1e-12)
    assert row["moran_p"] == panel["p_sim"]


def test_twenty_twenty_counts_match_the_raw_iod_file_for_every_district(run, source_dir):
    raw = pd.read_csv(source_dir / FILE_2, encoding="utf-8-sig")
    decile = raw["Income Decile (where 1 is most deprived 10% of LSOAs)"]
    raw["least"], raw["most"] = decile.isin([9, 10]), decile.isin([1, 2])
    expected = raw.groupby("Local Authority District code (2019)")[["least", "most"]].sum()
    table = run.table.set_index("lad_code")
    assert (table["least_20"] == expected["least"].reindex(table.index)).all()
    assert (table["most_20"] == expected["most"].reindex(table.index)).all()


@pytest.mark.parametrize("la", CHECKED)
def test_fast_path_equals_the_plain_per_district_path(run, source_dir, inputs, la):
    fast = run.table.set_index("lad_code").loc[la]
    plain = district_statistics(la, source_dir, inputs=inputs)
    for column in COLUMNS[1:] + EXTRA_COLUMNS:  # every field, p-values included
        if column == "moran_i":
            assert fast[column] == pytest.approx(plain[column], rel=1e-12, nan_ok=True)
        elif isinstance(plain[column], float) and np.isnan(plain[column]):
            assert np.isnan(fast[column]), column
        else:
            assert fast[column] == plain[column], column
    if np.isnan(plain["moran_i"]):
        assert plain["note"], "a district without Moran's I says why"


def test_scilly_gets_a_note_instead_of_a_number(run):
    row = run.table.set_index("lad_code").loc["E06000053"]
    assert row["n_lsoa"] == 1 and np.isnan(row["moran_i"]) and np.isnan(row["moran_p"])
    assert "at least 3 LSOAs" in row["note"]


def test_warm_cache_and_one_process_give_identical_results(run, source_dir, out_dir):
    again = all_districts(source_dir, workers=1, cache_dir=out_dir / "cache", use_cache=True)
    assert again.cache == "warm"
    pd.testing.assert_frame_equal(again.table, run.table)


def test_fast_path_with_an_island_a_missing_score_and_a_missing_boundary():
    """Synthetic district: the fast path's row equals atlas.stats.moran on the same areas."""
    from shapely.geometry import box

    from atlas.analysis.national import _district_task, worker_context
    from atlas.stats import moran, spatial_weights

    codes = [f"E0100{i:04d}" for i in range(12)]
    boxes = [box(400_000 + (i % 4) * 100.4, 200_000 + (i // 4) * 100.4, 400_100 + (i % 4) * 100.4,
                 200_100 + (i // 4) * 100.4) for i in range(10)] + [box(390_000, 190_000, 390_100, 190_100)]
    scores = np.r_[np.linspace(0.05, 0.5, 10), 0.3, np.nan]
    scores[3] = np.nan  # a missing score
    inputs = pd.DataFrame({"district": "E06000099", "district_name": "Testshire", "decile": np.arange(12) % 10 + 1,
                           "score": scores}, index=pd.Index(codes, name="code"))
    context = worker_context(inputs, {"permutations": 999, "seed": 7, "tolerance": 1.0, "keep_wkb": False})
    row = _district_task(("E06000099", np.array(codes[:11], dtype=object), shapely.to_wkb(np.array(boxes))), context)
    frame = gpd.GeoDataFrame(geometry=boxes, index=pd.Index(codes[:11]), crs="EPSG:27700")
    reference = moran(pd.Series(scores[:11], index=codes[:11]), spatial_weights(frame), seed=7)
    assert row["moran_i"] == pytest.approx(reference.I, rel=1e-12) and row["moran_p"] == reference.p_sim
    assert row["islands"] == 1 == len(reference.islands)
    assert row["n_lsoa"] == 12 and (row["least_20"], row["most_20"]) == (2, 4)  # deciles 1..10, 1, 2
    assert "1 LSOA(s) with no neighbour: E01000010" in row["note"]
    assert "with no boundary left out: E01000011" in row["note"]
    assert "with no score left out: E01000003" in row["note"]


@pytest.mark.parametrize("gap, score", [(0.4, 0.2), (50.0, None)], ids=["same score", "no neighbours"])
def test_fast_path_gives_the_reason_atlas_stats_moran_gives(gap, score):
    """A district where Moran's I is undefined: the fast path's note is atlas.stats.moran's own message."""
    from shapely.geometry import box

    from atlas.analysis.national import _district_task, worker_context
    from atlas.errors import StatisticError
    from atlas.stats import moran, spatial_weights

    codes = [f"E0100{i:04d}" for i in range(4)]
    boxes = [box(400_000 + i * (100 + gap), 200_000, 400_100 + i * (100 + gap), 200_100) for i in range(4)]
    scores = np.full(4, score) if score is not None else np.array([0.1, 0.2, 0.3, 0.4])
    inputs = pd.DataFrame({"district": "E06000099", "district_name": "Testshire", "decile": [1, 2, 9, 10],
                           "score": scores}, index=pd.Index(codes, name="code"))
    context = worker_context(inputs, {"permutations": 99, "seed": 7, "tolerance": 1.0, "keep_wkb": False})
    row = _district_task(("E06000099", np.array(codes, dtype=object), shapely.to_wkb(np.array(boxes))), context)
    frame = gpd.GeoDataFrame(geometry=boxes, index=pd.Index(codes), crs="EPSG:27700")
    with pytest.raises(StatisticError) as reference:
        moran(pd.Series(scores, index=codes), spatial_weights(frame), name="E06000099")
    assert np.isnan(row["moran_i"]) and row["note"] == str(reference.value)
    assert ("same value" if score is not None else "no area has a neighbour") in row["note"]


def test_csv_is_written_whole(run, tmp_path):
    path = write_csv(run.table, tmp_path / "districts.csv")
    back = pd.read_csv(path)
    assert list(back.columns[: len(COLUMNS)]) == COLUMNS and len(back) == 317
    assert [p.name for p in tmp_path.iterdir()] == ["districts.csv"]  # no temporary file left


def test_cli_all_districts(run, out_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATLAS_OUT_DIR", str(out_dir))  # the run above left a warm cache there
    out = tmp_path / "all.csv"
    assert cli.main(["stats", "--all-districts", "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["districts"] == 317 and summary["cache"] == "warm"
    assert set(summary["without_moran"]) == {"E06000053"}
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(write_csv(run.table, tmp_path / "ref.csv")))


def test_cli_all_districts_needs_an_out_file(capsys):
    assert cli.main(["stats", "--all-districts"]) == 2
    assert "--out FILE.csv" in capsys.readouterr().err


def test_cli_all_districts_needs_a_snapping_tolerance(tmp_path, capsys):
    assert cli.main(["stats", "--all-districts", "--out", str(tmp_path / "x.csv"), "--snap-tolerance", "0"]) == 2
    assert "snapping tolerance above 0 m" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()


def test_a_damaged_cache_is_read_afresh(tmp_path):
    from atlas.analysis.national import _read_cache

    damaged = tmp_path / "lsoa11_bng_0000.parquet"
    damaged.write_bytes(b"not parquet")
    assert _read_cache(damaged) is None
    assert _read_cache(tmp_path / "absent.parquet") is None


def test_any_lsoa_2011_layer_for_every_district(run, source_dir, out_dir):
    """--layer imd19_score: one row per district, each equal to the plain path on that layer; 20:20 unchanged."""
    other = all_districts(source_dir, workers=1, cache_dir=out_dir / "cache", use_cache=True, layer="imd19_score")
    table = other.table.set_index("lad_code")
    assert len(table) == 317 and (table["layer"] == "imd19_score").all() and other.failed == {}
    income = run.table.set_index("lad_code")
    assert (table["most_20"] == income["most_20"]).all()  # the 20:20 index stays that of the Income deciles
    assert not np.allclose(table["moran_i"].dropna(), income["moran_i"].dropna())
    for la in (LUTON, "E08000025", "E06000058"):
        plain = district_statistics(la, source_dir, layer="imd19_score")
        assert table.loc[la, "moran_i"] == pytest.approx(plain["moran_i"], rel=1e-12)
        assert table.loc[la, "moran_p"] == plain["moran_p"]


def test_all_districts_refuses_a_layer_not_on_lsoas(tmp_path, capsys):
    assert cli.main(["stats", "--all-districts", "--layer", "le_male", "--out", str(tmp_path / "x.csv")]) == 2
    assert "layer le_male is published on msoa11" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
