"""Issue 16 items 3 and 4 on the real files: whole-number classes, LISA colours by polarity, ward coverage.

Expected figures are worked out here from the source files (geopandas and pandas on the raw
boundaries, lookup and population tables), not taken from the atlas's own aggregation.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

import atlas
from atlas import web_geometry, webmap
from atlas.analysis.maps import analysis_map
from atlas.classify import LISA_COLOURS, layer_classes
from atlas.stats import spatial_weights
from atlas.stats.moran import lisa

BEDFORD = "E06000055"
BIDDENHAM = "E05014491"
BNG = "EPSG:27700"


# -- item 3: whole-number classes -------------------------------------------------------------------

def test_gp_practices_per_ward_in_luton_get_whole_number_classes(luton):
    values = luton.values("gp_practices_count", "ward2023").dropna()
    distinct = sorted(int(v) for v in values.unique())
    for scheme in ("quantiles", "natural_breaks", "equal_interval"):
        classes = layer_classes(luton, "gp_practices_count", "ward2023", scheme=scheme, k=5)
        if len(distinct) <= 7:
            assert classes.labels == [f"{v:,}" for v in distinct], scheme
        # never a range from a value to itself, never the same label twice, never an empty class
        assert not any(label.split(" to ")[0] == label.split(" to ")[-1] for label in classes.labels if " to " in label)
        assert len(set(classes.labels)) == len(classes.labels)
        counts = np.bincount(classes.index[classes.index >= 0].to_numpy(), minlength=len(classes.labels))
        assert (counts > 0).all(), (scheme, classes.labels, counts)
        # each ward's count lies in its class's whole-number range
        for code, value in values.items():
            label = classes.labels[classes.index[code]]
            low, _, high = label.partition(" to ")
            assert int(low.replace(",", "")) <= value <= int((high or low).replace(",", "")), (code, value, label)
    view = webmap.map_view(luton, "gp_practices_count", "ward2023")
    assert [label for label, _ in view.classes.legend(include_missing=False)] == view.classes.labels
    assert "0 to 0" not in view.classes.labels


# -- item 3: LISA colours follow the polarity --------------------------------------------------------

def redness(colour: str) -> float:
    r, _, b = to_rgb(colour)
    return r - b


def test_life_expectancy_high_high_is_blue_and_imd_high_high_is_red(luton):
    life = analysis_map(luton, "lisa", "le_persons", "msoa11")
    imd = analysis_map(luton, "lisa", "imd19_score", "lsoa11")
    assert luton.layer("le_persons", "msoa11")["higher_is"] == "better"
    assert luton.layer("imd19_score", "lsoa11")["higher_is"] == "worse"
    life_hh = life.labels.index("High-High: high values (better) near high values")
    imd_hh = imd.labels.index("High-High: high values (worse) near high values")
    assert life.colours[life_hh] == LISA_COLOURS["Low-Low"] and redness(life.colours[life_hh]) < 0
    assert imd.colours[imd_hh] == LISA_COLOURS["High-High"] and redness(imd.colours[imd_hh]) > 0
    life_ll = life.labels.index("Low-Low: low values (worse) near low values")
    assert redness(life.colours[life_ll]) > 0
    # the areas drawn High-High are above the mean and so is their neighbours' mean (libpysal's spatial lag)
    from libpysal.weights import lag_spatial

    table = luton.table("msoa11")
    values = pd.to_numeric(table["le_persons"], errors="coerce")
    w = spatial_weights(table[values.notna()]).w
    y = values.reindex(w.id_order).to_numpy(float)
    lag = pd.Series(lag_spatial(w, y - y.mean()), index=w.id_order)
    shown = life.areas[life.areas == life.labels[life_hh]].index
    assert len(shown) > 0
    assert ((values[shown] > y.mean()) & (lag[shown] > 0)).all()


def test_the_panel_readings_say_which_end_is_good(luton):
    from atlas.analysis import summarise
    from atlas.analysis.analyses import hot_spot_summary

    life = summarise(luton, "le_persons", "msoa11", permutations=99)["lisa"]["reading"]
    assert "High values are better for this indicator: High-High clusters are drawn blue" in life
    imd = hot_spot_summary(luton, "imd19_score", "lsoa11", permutations=99)["reading"]
    assert "High values are worse for this indicator: hot spots are drawn red, cold spots blue." in imd


def test_the_app_map_and_legend_colour_life_expectancy_clusters_by_polarity(luton):
    view = webmap.map_view(luton, "le_persons", "msoa11")
    table = luton.table("msoa11")
    values = pd.to_numeric(table["le_persons"], errors="coerce")
    clusters = lisa(values, spatial_weights(table), permutations=99, seed=1)["cluster"]
    areas = web_geometry.GeometryFile(None, "E06000032/msoa11-x.json", [[51.8, -0.5], [51.9, -0.4]], len(view.values))
    payload = webmap.map_payload(view, areas, "msoa11-x.json", lisa=clusters)["lisa"]
    high = payload["labels"].index("High-High: high values (better) near high values")
    assert redness(payload["colours"][high]) < 0
    drawn = [payload["labels"][c] for c in payload["cls"]]
    for code, cluster in clusters.reindex(view.values.index).items():
        assert drawn[list(view.values.index).index(code)].split(":")[0] == cluster


# -- item 4: ward coverage (Bedford's Biddenham) ----------------------------------------------------

@pytest.fixture(scope="module")
def bedford(atlas_dir, source_dir):
    return atlas.build(BEDFORD, source_dir=source_dir, out_dir=atlas_dir)


def numbers(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column.astype(str).str.replace(",", ""), errors="coerce")


def biddenham_from_the_files(source_dir) -> tuple[float, float]:
    """Census 2021 residents of Biddenham and the mid-2015 residents of the LSOAs 2011 whose centroid is in it."""
    wards = gpd.read_file(f"/vsigzip/{source_dir}/boundaries/wards2025_england_by_lad/{BEDFORD}.geojson.gz").to_crs(BNG)
    ward = wards[wards["WD25CD"] == BIDDENHAM]
    assert len(ward) == 1
    lookup = pd.read_csv(source_dir / "boundaries" /
                         "LSOA_(2021)_to_Electoral_Ward_(2023)_to_LAD_(2023)_Best_Fit_Lookup_in_EW.csv.gz",
                         encoding="utf-8-sig", usecols=["LSOA21CD", "WD23CD"])
    census = pd.read_csv(source_dir / "population" / "census2021_lsoa21" / "census2021-ts001-lsoa.csv.gz")
    residents = census.set_index("geography code")["Residence type: Total; measures: Value"]
    in_2021 = float(residents.reindex(lookup.loc[lookup["WD23CD"] == BIDDENHAM, "LSOA21CD"]).sum())
    lsoas = gpd.read_file(f"/vsigzip/{source_dir}/boundaries/lsoa2011_england_by_lad/{BEDFORD}.json.gz").to_crs(BNG)
    inside = lsoas[lsoas.geometry.centroid.within(ward.geometry.iloc[0])]["LSOA11CD"]
    file6 = pd.read_csv(source_dir / "deprivation" / "iod2019_lsoa11" /
                        "File_6_-_IoD2019_Population_Denominators.csv.gz", encoding="utf-8-sig")
    population = numbers(file6.set_index("LSOA code (2011)")["Total population: mid 2015 (excluding prisoners)"])
    return in_2021, float(population.reindex(inside).sum())


def test_biddenham_coverage_is_worked_out_from_the_raw_files_and_warned_about(bedford, source_dir):
    in_2021, in_2015 = biddenham_from_the_files(source_dir)
    assert (round(in_2021, -1), round(in_2015, -1)) == (3880, 1580)  # the figures
    table = bedford.table("ward2023")
    assert table.at[BIDDENHAM, "coverage_lsoa11_reference"] == in_2021
    assert table.at[BIDDENHAM, "coverage_lsoa11_assigned"] == in_2015
    assert table.at[BIDDENHAM, "coverage_lsoa11"] == pytest.approx(in_2015 / in_2021 * 100)
    meta = bedford.layer("coverage_lsoa11", "ward2023")
    assert meta["units"] == "%" and "Census 2021" in meta["attribution"] and "2019" in meta["attribution"]
    # the build report: the aggregation's coverage entry and a warning naming Biddenham
    entry = next(e for e in bedford.report.aggregations if e["from"] == "lsoa11" and e["to"] == "ward2023")
    listed = {w["code"]: w for w in entry["coverage"]["differing"]}
    assert listed[BIDDENHAM]["assigned"] == in_2015 and listed[BIDDENHAM]["reference"] == in_2021
    assert any(f"Biddenham ({BIDDENHAM}) {in_2015:,.0f} against {in_2021:,.0f}" in w for w in bedford.report.warnings)
    # a ward within 10% is not listed
    share = table["coverage_lsoa11"]
    assert set(listed) == set(share[(share - 100).abs() > 10].index)


def test_biddenham_coverage_in_the_hover_table_and_profile(bedford, source_dir):
    in_2021, in_2015 = biddenham_from_the_files(source_dir)
    view = webmap.map_view(bedford, "imd19_score", "ward2023")
    row = webmap.view_table(view).set_index("Area code").loc[BIDDENHAM]
    assert row["Residents of its LSOA (2011) areas (% of the area's own)"] == round(in_2015 / in_2021 * 100, 1)
    assert row["More than 10% off"] == "yes"
    assert "Biddenham 41%" in view.coverage_warning
    areas = web_geometry.GeometryFile(None, "x.json", [[52.0, -0.6], [52.3, -0.3]], len(view.values))
    payload = webmap.map_payload(view, areas, "x.json")
    text = payload["coverage"]["text"][list(view.values.index).index(BIDDENHAM)]
    assert text.startswith(f"41% ({in_2015:,.0f} of {in_2021:,.0f} residents): more than 10% off")
    # a layer of the wards' own LSOAs 2021 carries no coverage line
    assert webmap.map_view(bedford, "census21_population", "ward2023").coverage is None
    from atlas.profiles import build_profile

    profile = build_profile(bedford, BIDDENHAM, source_dir=source_dir)
    notes = " ".join(profile.table("indicators").notes)
    assert f"hold {in_2015:,.0f} residents against its own {in_2021:,.0f} (41%); more than 10% off" in notes
    assert not profile.table("indicators").data["layer"].str.startswith("coverage_").any()
