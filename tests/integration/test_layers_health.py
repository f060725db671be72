"""Health, access, asset and wider-determinant layers (issue 5) in Luton's build, against the raw files."""

from __future__ import annotations

import pandas as pd
import pytest

import atlas
from atlas.analysis import summarise
from atlas.errors import SpecError
from atlas.specs import Catalogue

#: Each new area layer and the geographies it must be on (native first).
AREA_LAYERS = {
    "le_female": ["msoa11"], "le_male": ["msoa11"], "le_persons": ["msoa11"],
    "c21_overcrowded_pct": ["lsoa21", "ward2023", "ward2013", "msoa21"],
    "c21_social_rented_pct": ["lsoa21", "ward2023"], "c21_no_car_pct": ["lsoa21", "ward2023"],
    "c21_bad_health_pct": ["lsoa21", "ward2023"], "c21_disabled_pct": ["lsoa21", "ward2023"],
    "c21_unpaid_care_pct": ["lsoa21", "ward2023"],
    "ahah_gp_minutes": ["lsoa11", "ward2013", "ward2023", "msoa11"], "ahah_dentist_minutes": ["lsoa11"],
    "ahah_pharmacy_minutes": ["lsoa11"], "ahah_hospital_minutes": ["lsoa11"], "ahah_health_domain": ["lsoa11"],
    "iod19_gp_road_km": ["lsoa11", "ward2013", "msoa11"],
    "gp_nearest_km": ["lsoa21", "ward2023", "msoa21"], "gp_within_1km_pct": ["lsoa21", "ward2023", "ward2013"],
    "gp_practices_count": ["ward2023"], "gp_practices_per_10k": ["ward2023"], "pharmacies_count": ["ward2023"],
    "pharmacies_per_10k": ["ward2023"], "dentists_count": ["ward2023"], "dentists_per_10k": ["ward2023"],
    "hospitals_count": ["ward2023"], "hospitals_per_10k": ["ward2023"],
}
CENSUS = "population/census2021_lsoa21/census2021-{}-lsoa.csv.gz"


@pytest.mark.parametrize("layer, geographies", AREA_LAYERS.items())
def test_each_new_layer_is_in_the_build_with_its_metadata(luton, layer, geographies):
    for geography in geographies:
        meta = luton.layer(layer, geography)
        for field in ("label", "units", "description", "period", "source_title", "publisher", "licence",
                      "attribution", "method", "theme"):
            assert meta[field], (layer, geography, field)
        assert luton.table(geography)[layer].notna().any(), (layer, geography)


def test_census_layers_are_counts_over_denominators_from_the_raw_tables(luton, source_dir):
    lsoas = luton.table("lsoa21")
    raw = pd.read_csv(source_dir / CENSUS.format("ts052"))
    raw = raw[raw["geography code"].isin(lsoas.index)].set_index("geography code")
    assert len(raw) == 125
    crowded = (raw["Occupancy rating for bedrooms: Occupancy rating of bedrooms: -1"]
               + raw["Occupancy rating for bedrooms: Occupancy rating of bedrooms: -2 or less"])
    households = raw["Occupancy rating for bedrooms: Total: All households"]
    assert lsoas["c21_overcrowded_pct_numerator"].sort_index().tolist() == crowded.sort_index().tolist()
    assert lsoas["c21_overcrowded_pct"].reindex(raw.index).round(6).tolist() == (crowded / households * 100).round(6).tolist()
    wards = luton.table("ward2023")
    assert wards["c21_overcrowded_pct_numerator"].sum() == crowded.sum()
    assert wards["c21_overcrowded_pct_denominator"].sum() == households.sum()
    care = pd.read_csv(source_dir / CENSUS.format("ts039"))
    care = care[care["geography code"].isin(lsoas.index)]
    carers = care.filter(like="unpaid care a week").drop(columns=[
        "Provision of unpaid care: Provides 9 hours or less unpaid care a week",
        "Provision of unpaid care: Provides 10 to 19 hours unpaid care a week",
        "Provision of unpaid care: Provides 20 to 34 hours unpaid care a week",
        "Provision of unpaid care: Provides 35 to 49 hours unpaid care a week"]).sum(axis=1)
    no_care = care["Provision of unpaid care: Provides no unpaid care"]
    total = care["Provision of unpaid care: Total: All usual residents aged 5 and over"]
    assert (carers + no_care == total).all()   # the bands chosen neither miss nor double-count anyone
    assert lsoas["c21_unpaid_care_pct_numerator"].sum() == carers.sum()


def test_every_luton_lsoa_matches_the_access_files(luton):
    entries = {(e["layer"], e["geography"]): e for e in luton.report.layers if "matched" in e}
    for layer in ("ahah_gp_minutes", "iod19_gp_road_km"):
        assert entries[(layer, "lsoa11")]["matched"] == 121 and entries[(layer, "lsoa11")]["missing_values"] == 0
    gp = luton.table("lsoa11")["ahah_gp_minutes"]
    assert gp.min() == pytest.approx(0.19, abs=0.01) and gp.max() == pytest.approx(6.98, abs=0.01)


def test_access_measures_are_named_for_what_they_are(luton):
    assert "minutes by car" in luton.layer("ahah_gp_minutes", "lsoa11")["units"]
    for layer, geography in (("ahah_gp_minutes", "lsoa11"), ("iod19_gp_road_km", "lsoa11"),
                             ("gp_nearest_km", "lsoa21"), ("gp_within_1km_pct", "lsoa21")):
        meta = luton.layer(layer, geography)
        text = meta["description"] + meta["units"]
        assert "DfT journey time" in meta["description"], layer
        assert any(word in text for word in ("Drive time", "drive time", "road distance", "Straight-line",
                                              "straight line")), layer
    assert "Not a travel time" in luton.layer("gp_nearest_km", "lsoa21")["method"]


def test_nearest_practice_and_population_within_1km(luton):
    lsoas = luton.table("lsoa21")
    assert lsoas["gp_nearest_km"].between(0, 5).all()
    assert set(lsoas["gp_within_1km_pct"].round(6)) <= {0.0, 100.0}
    within = lsoas.loc[lsoas["gp_nearest_km"] <= 1, "census21_population"].sum()
    assert lsoas["gp_within_1km_pct_numerator"].sum() == within
    wards = luton.table("ward2023")
    assert wards["gp_within_1km_pct"].between(0, 100).all()
    assert wards["gp_within_1km_pct_numerator"].sum() == within
    # Distances use every located practice, in Luton or not, so none exceeds the distance to the nearest
    # Luton practice (measured here by shapely). In Luton that one is always the nearest; a nearest
    # practice across the boundary is checked in test_points.py.
    practices = luton.points["gp_practices"]
    centroid = lsoas.geometry.centroid
    in_luton_only = centroid.apply(lambda c: practices.distance(c).min() / 1000)
    assert (lsoas["gp_nearest_km"] <= in_luton_only + 1e-9).all()


def test_assets_counted_per_ward_and_per_10000_residents(luton):
    wards = luton.table("ward2023")
    for point_set, total in (("gp_practices", 25), ("pharmacies", 40), ("dentists", 20), ("hospitals", 1)):
        assert wards[f"{point_set}_count"].sum() == total
        rate = wards[f"{point_set}_count"] / wards["census21_population"] * 10000
        assert wards[f"{point_set}_per_10k"].tolist() == pytest.approx(rate.tolist())


@pytest.mark.parametrize("layer, geographies", AREA_LAYERS.items())
def test_statistics_run_on_each_area_layer(luton, layer, geographies):
    for geography in geographies:
        summary = summarise(luton, layer, geography, permutations=99)
        for statistic in ("moran", "lisa"):
            entry = summary[statistic]
            assert entry["available"] or entry["message"], (layer, geography, statistic)
        if geography in ("lsoa11", "lsoa21", "msoa11") and luton.table(geography)[layer].nunique() > 2:
            assert summary["moran"]["available"], (layer, geography, summary["moran"])
            assert sum(summary["lisa"]["counts"].values()) == len(luton.table(geography))


# -- spec errors for the new keys ----------------------------------------------------------------------


def _edit(spec_root, name, old, new):
    path = spec_root / "layers" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize("name, old, new, message", [
    ("gp_practice_distance.toml", 'computed = "nearest_point"', 'computed = "isochrones"',
     "computed 'isochrones' is not one of nearest_point, count_points"),
    ("gp_practice_distance.toml", 'points = "gp_practices"', 'points = "care_homes"',
     "points 'care_homes' names no point set"),
    ("ons_life_expectancy_msoa11.toml", 'benchmark_weight = "Population"\n', '',
     "compare on a column indicator needs benchmark_weight"),
    ("census2021_ts052.toml", 'kind = "percentage"', 'kind = "percentage"\ninterval = "exact"',
     "interval 'exact' needs a numerator and denominator"),
    ("fingertips_adults_active.toml", 'higher_is = "better"', 'higher_is = "up"',
     "higher_is 'up' is not one of worse, better, neutral"),
])
def test_bad_health_specs_are_refused_with_the_file_and_key(spec_root, name, old, new, message):
    _edit(spec_root, name, old, new)
    with pytest.raises(SpecError, match=message) as caught:
        Catalogue.load(spec_root)
    assert name in str(caught.value)


def test_a_computed_layer_naming_a_missing_population_fails_clearly(spec_root, source_dir):
    _edit(spec_root, "gp_practice_distance.toml", 'population = "census21_population"',
          'population = "census31_population"')
    with pytest.raises(SpecError, match="population 'census31_population' is not a layer on lsoa21"):
        atlas.build("E06000032", source_dir=source_dir, catalogue=Catalogue.load(spec_root), write=False)
