"""`atlas stats --all-districts` for an LSOA 2021 indicator (IoD2025 Income score): one row per English district
of the LSOA 2021 lookup, against the raw files, the plain per-district path and esda called directly (issue 18)."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from atlas import cli
from atlas.analysis.national import COLUMNS, EXTRA_COLUMNS, all_districts, district_statistics, national_inputs
from atlas.specs import Catalogue

from ..conftest import LUTON

pytestmark = pytest.mark.slow

LAYER = "income25_score"
LOOKUP = "boundaries/LSOA_(2021)_to_Electoral_Ward_(2023)_to_LAD_(2023)_Best_Fit_Lookup_in_EW.csv.gz"
IOD2025 = "deprivation/iod2025_lsoa21/humaniverse_IMD/imd2025_england_lsoa21.csv.gz"
LUTON_FILE = "boundaries/lsoa2021_england_by_lad/E06000032.geojson.gz"
#: Luton (unitary), Birmingham (the largest), Westminster, Barnsley (its 2023 code: a file of its former
#: code and one of today's hold the same LSOAs), Cornwall and the Isles of Scilly (one LSOA: no Moran's I).
CHECKED = [LUTON, "E08000025", "E09000033", "E08000016", "E06000052", "E06000053"]


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("stats21")


@pytest.fixture(scope="module")
def run(source_dir, out_dir):
    return all_districts(source_dir, workers=1, cache_dir=out_dir / "cache", use_cache=True, layer=LAYER)


@pytest.fixture(scope="module")
def raw(source_dir) -> pd.DataFrame:
    """The raw lookup's English LSOAs with their 2023 district and IoD2025 Income decile and score."""
    lookup = pd.read_csv(source_dir / LOOKUP, encoding="utf-8-sig", usecols=["LSOA21CD", "LAD23CD"])
    lookup = lookup[lookup["LAD23CD"].str.startswith("E")].drop_duplicates("LSOA21CD").set_index("LSOA21CD")
    iod = pd.read_csv(source_dir / IOD2025, usecols=["lsoa21_code", "Income_decile", "Income_score"])
    return lookup.join(iod.set_index("lsoa21_code"), how="left")


def test_one_row_per_english_district_of_the_lookup(run, raw):
    table = run.table
    assert run.geography == "lsoa21" and run.deciles == "income25_decile" and run.failed == {}
    assert list(table.columns) == COLUMNS + EXTRA_COLUMNS and table["lad_code"].is_unique
    assert set(table["lad_code"]) == set(raw["LAD23CD"]) and len(table) == raw["LAD23CD"].nunique()
    assert table["n_lsoa"].sum() == len(raw) == 33_755
    assert run.missing_boundaries == []
    assert (table["layer"] == LAYER).all()


def test_twenty_twenty_counts_match_the_raw_iod2025_file(run, raw):
    raw = raw.assign(least=raw["Income_decile"].isin([9, 10]), most=raw["Income_decile"].isin([1, 2]))
    expected = raw.groupby("LAD23CD")[["least", "most"]].sum()
    table = run.table.set_index("lad_code")
    assert (table["least_20"] == expected["least"].reindex(table.index)).all()
    assert (table["most_20"] == expected["most"].reindex(table.index)).all()


@pytest.mark.parametrize("la", CHECKED)
def test_fast_path_equals_the_plain_per_district_path(run, source_dir, la):
    inputs = national_inputs(source_dir, Catalogue.load(), LAYER)
    fast = run.table.set_index("lad_code").loc[la]
    plain = district_statistics(la, source_dir, inputs=inputs, layer=LAYER)
    for column in COLUMNS[1:] + EXTRA_COLUMNS:
        if column == "moran_i":
            assert fast[column] == pytest.approx(plain[column], rel=1e-12, nan_ok=True)
        elif isinstance(plain[column], float) and np.isnan(plain[column]):
            assert np.isnan(fast[column]), column
        else:
            assert fast[column] == plain[column], column


def test_luton_moran_equals_esda_on_libpysal_weights_of_the_raw_file(run, source_dir, raw):
    import esda
    from libpysal.graph import Graph

    frame = gpd.read_file(f"/vsigzip/{source_dir / LUTON_FILE}").set_index("LSOA21CD").to_crs("EPSG:27700").sort_index()
    frame = frame[frame["LADCD_ACTIVE"] == LUTON]
    frame.geometry = shapely.make_valid(frame.geometry.values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = Graph.build_fuzzy_contiguity(frame, buffer=1.0).to_W()
        y = raw["Income_score"].reindex(w.id_order).to_numpy(dtype=float)
        direct = esda.Moran(y, w, transformation="r", permutations=0)
    assert len(y) == 125 and np.isfinite(y).all()
    assert run.table.set_index("lad_code").loc[LUTON, "moran_i"] == pytest.approx(direct.I, rel=1e-12)


def test_cli_writes_the_lsoa21_table(source_dir, out_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ATLAS_OUT_DIR", str(out_dir))  # the cache the run fixture wrote
    out = tmp_path / "iod2025.csv"
    assert cli.main(["stats", "--all-districts", "--layer", LAYER, "--workers", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "296 districts (33755 LSOAs)" in printed and "income25_decile" in printed
    assert len(pd.read_csv(out)) == 296


def test_a_layer_not_on_lsoas_is_refused(tmp_path, capsys):
    out = tmp_path / "x.csv"
    assert cli.main(["stats", "--all-districts", "--layer", "le_female", "--out", str(out)]) == 2
    assert "layer le_female is published on msoa11" in capsys.readouterr().err
    assert not out.exists()
