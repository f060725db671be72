"""The atlas engine against the real files (issue 2)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import atlas

from ..conftest import BEDFORD, LUTON

IOD_LAYERS_2011 = ["imd19_decile", "imd19_score", "income19_score", "income19_decile", "iod19_population",
                   "idaci19_score", "idaopi19_score", "idaci19_decile", "living19_rank"]
IOD_LAYERS_2021 = ["imd25_score", "imd25_decile", "income25_score", "census21_population"]


def test_luton_has_every_geography_with_the_published_counts(luton):
    counts = {g: len(frame) for g, frame in luton.geographies.items()}
    assert counts["lsoa11"] == 121
    assert counts["lsoa21"] == 125
    assert counts["ward2013"] == 19
    assert counts["ward2023"] == 20
    assert counts["msoa11"] == 21
    assert counts["msoa21"] == 22
    assert luton.la_name == "Luton"
    assert luton.table("lsoa11").crs.to_epsg() == 27700


@pytest.mark.parametrize("geography, layers", [("lsoa11", IOD_LAYERS_2011), ("lsoa21", IOD_LAYERS_2021)])
def test_every_lsoa_of_either_vintage_gets_iod_values(luton, geography, layers):
    entries = {e["layer"]: e for e in luton.report.layers if e["geography"] == geography and "matched" in e}
    for layer in layers:
        assert entries[layer]["unmatched"] == 0, entries[layer]["unmatched_codes"]
        assert entries[layer]["missing_values"] == 0
        assert luton.table(geography)[layer].notna().all()


def test_luton_007a_matches_the_published_iod2019_row(luton):
    row = luton.table("lsoa11").loc["E01015693"]
    assert row["name"] == "Luton 007A"
    assert row["imd19_decile"] == 8
    assert row["income19_decile"] == 9
    assert row["income19_score"] == pytest.approx(0.049)
    assert row["iod19_population"] == 1577
    assert row["imd19_rank"] == 24148
    assert row["idaci19_score"] == pytest.approx(0.052)


def test_luton_007a_matches_the_iod2025_row(luton):
    row = luton.table("lsoa21").loc["E01015693"]
    assert row["imd25_score"] == pytest.approx(9.114)
    assert row["imd25_decile"] == 8
    assert row["income25_score"] == pytest.approx(0.154)


def test_income_deciles_give_the_20_20_counts(luton):
    deciles = luton.table("lsoa11")["income19_decile"]
    assert deciles.isin([1, 2]).sum() == 34
    assert deciles.isin([9, 10]).sum() == 10


def test_ward_populations_sum_to_the_lsoa_totals(luton):
    lsoa21_total = luton.table("lsoa21")["census21_population"].sum()
    assert lsoa21_total > 200_000
    assert luton.table("ward2023")["census21_population"].sum() == lsoa21_total
    assert luton.table("ward2013")["census21_population"].sum() == lsoa21_total
    lsoa11_total = luton.table("lsoa11")["iod19_population"].sum()
    assert luton.table("ward2013")["iod19_population"].sum() == lsoa11_total
    assert luton.table("msoa11")["iod19_population"].sum() == lsoa11_total


def test_ward_rates_are_population_weighted_means(luton):
    lsoas = luton.table("lsoa11")
    assignment = next(a for a in luton.report.aggregations if a["from"] == "lsoa11" and a["to"] == "msoa11")
    assert assignment["assigned"] == 121 and not assignment["unassigned"]
    # MSOA "Luton 007" holds the LSOAs named "Luton 007A", "Luton 007B" ...
    msoa = luton.table("msoa11")
    code = msoa.index[msoa["name"] == "Luton 007"][0]
    members = lsoas[lsoas["name"].str.startswith("Luton 007")]
    expected = np.average(members["income19_score"], weights=members["iod19_population"])
    assert msoa.loc[code, "income19_score"] == pytest.approx(expected)


def test_each_rule_aggregates_as_its_function_does():
    from atlas import aggregate

    frame = pd.DataFrame({"x": [1.0, 3.0, 2.0], "x_numerator": [1.0, 2.0, 3.0], "x_denominator": [4.0, 4.0, 6.0]},
                         index=["a", "b", "c"])
    parent = pd.Series(["P", "P", "Q"], index=frame.index)
    weights = pd.Series([1.0, 3.0, 1.0], index=frame.index)
    mean = aggregate.by_rule("weighted_mean", frame, "x", parent, weights).columns["value"]
    assert mean.to_dict() == {"P": 2.5, "Q": 2.0}
    assert aggregate.by_rule("sum", frame, "x", parent, weights).columns["value"].to_dict() == {"P": 4.0, "Q": 2.0}
    ratio = aggregate.by_rule("ratio_of_sums", frame, "x", parent, scale=100.0).columns
    assert ratio.loc["P", "value"] == pytest.approx(37.5) and ratio.loc["P", "denominator"] == 8.0
    shares = aggregate.by_rule("decile_share", frame, "x", parent, weights)
    assert shares.columns["value"].to_dict() == {"P": 25.0, "Q": 100.0} and len(shares.shares) == 3
    with pytest.raises(ValueError, match="none"):
        aggregate.by_rule("none", frame, "x", parent)


def test_each_assignment_is_made_and_reported_once(luton):
    # The layers computed from the point sets aggregate in a second pass, after the
    # published ones; they reuse the assignment rather than add a second report entry.
    pairs = [(a["from"], a["to"]) for a in luton.report.aggregations]
    assert len(pairs) == len(set(pairs))
    to_wards = next(a for a in luton.report.aggregations if a["from"] == "lsoa21" and a["to"] == "ward2023")
    assert {"census21_population", "gp_nearest_km"} <= set(to_wards["layers"])
    assert luton.table("ward2023")["gp_nearest_km"].notna().all()


def test_a_layer_added_to_a_point_set_stays_with_the_points(luton):
    practices = luton.table("points:gp_practices")
    values = pd.DataFrame({"value": np.arange(len(practices), dtype=float)}, index=practices.index)
    added = luton.with_layer("points:gp_practices", "test_order", values, {"label": "Order"})
    assert list(added.geographies) == list(luton.geographies)
    assert added.table("points:gp_practices")["test_order"].tolist() == list(range(len(practices)))
    assert "test_order" not in luton.table("points:gp_practices").columns
    assert added.layer("test_order", "points:gp_practices")["label"] == "Order"


def test_deciles_become_population_shares_not_averages(luton):
    shares = luton.decile_shares
    ward = shares[(shares["geography"] == "ward2023") & (shares["layer"] == "imd19_decile")]
    per_ward = ward.groupby("code")["share"].sum()
    assert np.allclose(per_ward, 1.0)
    assert len(per_ward) == 20
    assert "imd19_decile" not in luton.table("ward2023").columns
    most = luton.table("ward2023")["imd19_decile_most_deprived_20"]
    assert most.between(0, 100).all() and most.max() > 50
    meta = luton.layer("imd19_decile_most_deprived_20", "ward2023")
    assert meta["units"] == "%" and "most deprived 20%" in meta["label"]


def test_every_layer_carries_its_metadata(luton):
    for _, row in luton.layers.iterrows():
        for field in ("label", "units", "higher_is", "description", "period", "source_title", "licence",
                      "attribution", "method"):
            assert row[field], (row["layer"], row["geography"], field)
    assert set(luton.layers["geography"]) >= {"lsoa11", "lsoa21", "ward2013", "ward2023", "msoa11"}


def test_the_geopackage_reads_back_the_same(luton, luton_path):
    again = atlas.load(luton_path)
    assert list(again.geographies) == list(luton.geographies)
    for geography, frame in luton.geographies.items():
        back = again.table(geography)
        assert list(back.index) == list(frame.index)
        assert np.allclose(back["geometry"].area, frame.geometry.area)
    assert again.report.la == LUTON
    assert len(again.layers) == len(luton.layers)
    assert len(again.decile_shares) == len(luton.decile_shares)
    report_file = json.loads(luton_path.with_suffix(".report.json").read_text())
    assert report_file["la_name"] == "Luton"


def test_bedford_builds_with_both_lsoa_vintages_and_new_wards(atlas_dir, source_dir):
    bedford = atlas.build(BEDFORD, source_dir=source_dir, out_dir=atlas_dir)
    assert bedford.la_name == "Bedford"
    assert len(bedford.table("lsoa11")) == 103
    assert len(bedford.table("lsoa21")) == 117
    assert len(bedford.table("ward2023")) == 28
    assert bedford.report.geographies["ward2013"]["status"] == "not available"
    assert bedford.table("lsoa11")["imd19_score"].notna().all()


def test_a_far_district_merged_since_2011_finds_its_lsoas_in_other_files(atlas_dir, source_dir):
    # Northumberland is E06000057 in IoD2019 but E06000048 in the 2011-era boundary files.
    north = atlas.build("E06000057", source_dir=source_dir, out_dir=atlas_dir)
    lsoas = north.table("lsoa11")
    assert len(lsoas) == 197
    assert north.report.geographies["lsoa11"]["n_missing_boundaries"] == 0
    assert "boundaries/lsoa2011_england_by_lad/E06000048.json.gz" in north.report.geographies["lsoa11"]["files"]
    assert lsoas["income19_score"].notna().all()
    # the national 2021 sets and May 2025 wards (issue 13) give it every other geography too
    assert list(north.geographies) == ["lsoa11", "lsoa21", "ward2023", "msoa11", "msoa21"]
    assert north.outline is not None and north.outline.index[0] == "E06000057"
