"""The realistic case: IoD2019 Income scores of Luton's LSOA 2011 re-keyed to LSOA 2021.

The atlas has no built-in IoD2019 layer on LSOA 2021, so the built-in
``income19_score`` (LSOA 2011) is written to a CSV and imported: the import
converts it to LSOA 2021 by its rule. The test converts the same values on its
own, straight from the ONS lookup with pandas (and, for the 2021 LSOAs the
lookup lacks, from the boundaries with a geopandas overlay), and checks that
the values and Moran's I on the LSOA 2021 geography agree. Imported as it is
on LSOA 2011, the layer reproduces the published Moran's I (0.410).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from atlas import importer
from atlas.importer import ImportOptions, prepare, read_upload

stats = pytest.importorskip("atlas.stats")

SEED = 12345


def income_file(luton) -> bytes:
    """Income scores by LSOA 2011 as a user would export them: full precision, with names."""
    table = luton.table("lsoa11")
    lines = ["LSOA code (2011),LSOA name (2011),Income Domain Score"]
    lines += [f"{code},{name},{value!r}" for code, name, value in
              zip(table.index, table["name"], table["income19_score"])]
    return ("\n".join(lines) + "\n").encode("utf-8")


def independent_lsoa21(luton, source_dir) -> pd.Series:
    """LSOA 2021 values from the lookup, computed here without the importer."""
    old = luton.table("lsoa11")
    new = luton.table("lsoa21")
    lookup = pd.read_csv(source_dir / importer.LSOA_LOOKUP, encoding="utf-8-sig", usecols=["LSOA11CD", "LSOA21CD"])
    lookup = lookup[lookup["LSOA21CD"].isin(new.index)]
    missing = new.index.difference(lookup["LSOA21CD"])
    pieces = gpd.overlay(new.loc[missing, ["geometry"]].reset_index().rename(columns={"code": "LSOA21CD"}),
                         old[["geometry"]].reset_index().rename(columns={"code": "LSOA11CD"}), how="intersection")
    pieces["area"] = pieces.area
    best = pieces.sort_values("area").drop_duplicates("LSOA21CD", keep="last")[["LSOA11CD", "LSOA21CD"]]
    links = pd.concat([lookup, best], ignore_index=True)
    links["rate"] = links["LSOA11CD"].map(old["income19_score"])
    links["population"] = links["LSOA11CD"].map(old["iod19_population"])
    children = links.groupby("LSOA11CD")["LSOA21CD"].transform("size")
    links.loc[children > 1, "population"] = 1.0  # a split part inherits its parent's rate
    weighted = (links["rate"] * links["population"]).groupby(links["LSOA21CD"]).sum()
    return (weighted / links.groupby("LSOA21CD")["population"].sum()).reindex(new.index)


def test_income_rekeyed_to_lsoa21_gives_the_same_morans_i(luton, source_dir):
    result = prepare(read_upload(income_file(luton), "income_2019_lsoa11.csv"), luton,
                     ImportOptions(name="Income score 2019", kind="rate"))
    assert result.report.geography == "lsoa11" and result.report.with_values == 121
    conversion = result.report.conversions[0]
    assert conversion["converted"] == 125 and conversion["not_converted"] == {}
    added = importer.add_to_atlas(luton, result)

    imported = added.values(result.layer, "lsoa21")
    expected = independent_lsoa21(luton, source_dir)
    pd.testing.assert_series_equal(imported, expected, check_names=False)

    areas = added.table("lsoa21")
    weights = stats.spatial_weights(areas)
    through_import = stats.moran(imported, weights, seed=SEED)
    independent = stats.moran(expected, weights, seed=SEED)
    assert through_import.n == 125 and through_import.I == pytest.approx(independent.I, abs=1e-12)
    assert through_import.p_sim == independent.p_sim
    assert 0.3 < through_import.I < 0.5  # clustered, like the published LSOA 2011 figure


def test_imported_on_lsoa11_reproduces_the_published_morans_i(luton):
    result = prepare(read_upload(income_file(luton), "income.csv"), luton, ImportOptions(kind="rate"))
    added = importer.add_to_atlas(luton, result)
    weights = stats.spatial_weights(added.table("lsoa11"))
    imported = stats.moran(added.values(result.layer, "lsoa11"), weights, seed=SEED)
    built_in = stats.moran(luton.values("income19_score", "lsoa11"), weights, seed=SEED)
    assert imported.I == pytest.approx(built_in.I, abs=1e-12)
    assert round(imported.I, 3) == 0.410  # METHODS.md: Luton's Moran's I of the Income score
