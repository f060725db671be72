"""atlas.specs: the catalogue of a tiny spec folder written in tmp_path, its errors, and the packaged specs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from atlas.errors import AtlasError, SpecError
from atlas.specs import KIND_AGGREGATION, POINTS_PREFIX, SPEC_ROOT, Catalogue, spec_files

BOUNDARY = """
id = "small"
label = "Small areas (2024)"
level = "lsoa"
vintage = "2024"
order = 5
files = "boundaries/small_{lad}.geojson"
code = "SA24CD"
name = "SA24NM"
crs = "EPSG:27700"

[members]
file = "lookups/small_to_district.csv"
code = "SA24CD"
district = "LAD24CD"

[members.download]
url = "https://example.org/lookup.csv"
"""

OUTLINE = """
id = "outline"
label = "District"
level = "district"
vintage = "2024"
files = ["boundaries/districts.geojson"]
code = "LAD24CD"
name = "LAD24NM"
crs = "EPSG:27700"
"""

LAYER = """
[source]
id = "small_scores"
title = "Small-area scores"
file = "scores/scores.csv"
key = "SA24CD"
geography = "small"
period = "2024"
publisher = "A publisher"
licence = "Open Government Licence v3.0"
attribution = "Contains public sector information."
weight = "small_people"

[source.download]
url = "https://example.org/scores.csv"

[[indicator]]
id = "small_score"
label = "Score"
column = "score"
kind = "score"
units = "score"
higher_is = "worse"
description = "A score."

[[indicator]]
id = "small_people"
label = "Residents"
column = "people"
kind = "population"
units = "people"
higher_is = "neutral"
description = "Residents."

[[indicator]]
id = "small_share"
label = "Share"
numerator = "cases"
denominator = "people"
scale = 100.0
kind = "percentage"
units = "%"
higher_is = "worse"
description = "A share."
interval = "wilson"
compare = true
"""


def write_specs(root: Path, boundaries: dict[str, str] | None = None, layers: dict[str, str] | None = None) -> Path:
    """A spec folder: ``boundaries/<name>`` and ``layers/<name>`` files with the given text."""
    for folder, files in (("boundaries", boundaries if boundaries is not None else {"small.toml": BOUNDARY}),
                          ("layers", layers if layers is not None else {"scores.toml": LAYER})):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (root / folder / name).parent.mkdir(parents=True, exist_ok=True)
            (root / folder / name).write_text(text)
    return root


def load_error(root: Path) -> str:
    with pytest.raises(SpecError) as info:
        Catalogue.load(root)
    assert isinstance(info.value, AtlasError)
    return str(info.value)


# -- a valid folder ----------------------------------------------------------------------------------------

def test_a_boundary_and_a_layer_spec_load(tmp_path):
    catalogue = Catalogue.load(write_specs(tmp_path))
    assert list(catalogue.boundaries) == ["small"]
    small = catalogue.boundaries["small"]
    assert (small.label, small.level, small.vintage, small.order) == ("Small areas (2024)", "lsoa", "2024", 5)
    assert small.files == ["boundaries/small_{lad}.geojson"]  # one pattern becomes a list
    assert small.members.district == "LAD24CD" and small.members.district_name is None
    assert small.spec_file == "boundaries/small.toml"
    assert list(catalogue.indicators) == ["small_score", "small_people", "small_share"]
    score = catalogue.indicators["small_score"]
    assert score.geography == "small" and score.source.weight == "small_people"
    assert score.source.spec_file == "layers/scores.toml"
    assert score.decimals == 1 and score.classification == "quantiles"  # the defaults
    share = catalogue.indicators["small_share"]
    assert share.numerator == ("cases",) and share.denominator == "people" and share.scale == 100.0
    assert share.source_columns() == ["cases", "people"]
    assert [catalogue.indicators[i].aggregation for i in catalogue.indicators] == [
        KIND_AGGREGATION["score"], KIND_AGGREGATION["population"], "ratio_of_sums"]  # a ratio: summed counts
    assert [i.id for i in catalogue.indicators_on("small")] == ["small_score", "small_people", "small_share"]
    assert [s.id for s in catalogue.sources_on("small")] == ["small_scores"]
    assert catalogue.district_outline() is None
    assert [b.id for b in catalogue.area_boundaries()] == ["small"]


def test_download_tables_are_collected_not_read_as_spec_keys(tmp_path):
    catalogue = Catalogue.load(write_specs(tmp_path))
    assert set(catalogue.downloads) == {"lookups/small_to_district.csv", "scores/scores.csv",
                                        "boundaries/small_{lad}.geojson"}
    assert catalogue.downloads["scores/scores.csv"].download.url == "https://example.org/scores.csv"
    assert catalogue.downloads["boundaries/small_{lad}.geojson"].download is None


def test_layers_in_sub_folders_and_a_district_outline(tmp_path):
    root = write_specs(tmp_path, boundaries={"small.toml": BOUNDARY, "outline.toml": OUTLINE},
                       layers={"theme/scores.toml": LAYER})
    catalogue = Catalogue.load(root)
    assert catalogue.indicators["small_score"].source.spec_file == os.path.join("layers", "theme", "scores.toml")
    assert catalogue.district_outline().id == "outline"
    assert [b.id for b in catalogue.area_boundaries()] == ["small"]
    assert [p.name for p in spec_files(root)] == ["outline.toml", "small.toml", "scores.toml"]


def test_the_catalogue_is_parsed_again_when_a_spec_changes(tmp_path):
    root = write_specs(tmp_path)
    first = Catalogue.load(root)
    assert Catalogue.load(root) is first  # unchanged files: the same catalogue
    path = root / "layers" / "scores.toml"
    path.write_text(LAYER.replace('label = "Score"', 'label = "A longer score label"'))
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    again = Catalogue.load(root)
    assert again is not first
    assert again.indicators["small_score"].label == "A longer score label"


# -- errors name the file ---------------------------------------------------------------------------------

def test_malformed_toml_names_the_file(tmp_path):
    root = write_specs(tmp_path, layers={"scores.toml": LAYER, "broken.toml": '[source]\nid = "unfinished\n'})
    message = load_error(root)
    # (named by its full path here: only the packaged specs' names are shortened in this message)
    assert f"{os.path.join('layers', 'broken.toml')} is not valid TOML" in message
    assert "line 2" in message


def test_an_unknown_key_names_the_file_the_table_and_the_key(tmp_path):
    root = write_specs(tmp_path, boundaries={"small.toml": BOUNDARY.replace('order = 5', 'order = 5\ncolour = "red"')})
    message = load_error(root)
    assert message.startswith("boundaries/small.toml: unknown key(s) colour; expected some of:")
    root = write_specs(tmp_path / "two", layers={"scores.toml": LAYER.replace('column = "score"',
                                                                              'column = "score"\npalete = "Blues"')})
    message = load_error(root)
    assert message.startswith("layers/scores.toml [[indicator]] #1 (small_score): unknown key(s) palete")
    assert "palette" in message  # the keys it could have meant


def test_a_missing_required_key_is_named(tmp_path):
    root = write_specs(tmp_path, layers={"scores.toml": LAYER.replace('licence = "Open Government Licence v3.0"\n',
                                                                      "")})
    assert load_error(root) == "layers/scores.toml [source]: missing required key(s) licence"


def test_a_duplicate_indicator_id_names_both_files(tmp_path):
    other = LAYER.replace('id = "small_scores"', 'id = "other_scores"').replace('"small_people"', '"other_people"')
    root = write_specs(tmp_path, layers={"scores.toml": LAYER, "zz_other.toml": other})
    message = load_error(root)
    assert message == ("layers/zz_other.toml: indicator id 'small_score' is also used by layers/scores.toml")


def test_a_duplicate_boundary_id_names_both_files(tmp_path):
    root = write_specs(tmp_path, boundaries={"small.toml": BOUNDARY, "small_copy.toml": BOUNDARY})
    assert load_error(root) == "boundaries/small_copy.toml: boundary id 'small' is also used by boundaries/small.toml"


def test_an_unknown_geography_names_the_file_and_the_known_ones(tmp_path):
    root = write_specs(tmp_path, layers={"scores.toml": LAYER.replace('geography = "small"', 'geography = "nowhere"')})
    assert load_error(root) == "layers/scores.toml: geography 'nowhere' is not a boundary set; known: small"


@pytest.mark.parametrize("old, new, message", [
    ('kind = "score"', 'kind = "index"', "kind 'index' is not one of score, rate"),
    ('higher_is = "worse"\ndescription = "A score."', 'higher_is = "up"\ndescription = "A score."',
     "higher_is 'up' is not one of worse, better, neutral"),
    ('column = "score"', 'column = "score"\nnumerator = "a"\ndenominator = "b"',
     "give either column, or numerator and denominator"),
    ('interval = "wilson"', 'interval = "exact"', "interval 'exact' needs a numerator and denominator"),
    ('weight = "small_people"', 'weight = "small_score_missing"', "weight 'small_score_missing' must be an indicator"),
])
def test_values_that_are_not_allowed_are_named(tmp_path, old, new, message):
    assert old in LAYER
    root = write_specs(tmp_path, layers={"scores.toml": LAYER.replace(old, new, 1)})
    error = load_error(root)
    assert error.startswith("layers/scores.toml") and message in error


def test_an_empty_layer_file_is_refused(tmp_path):
    root = write_specs(tmp_path, layers={"scores.toml": LAYER, "empty.toml": "# nothing yet\n"})
    assert load_error(root).startswith("layers/empty.toml: empty spec; expected [source] with [[indicator]]")


# -- the packaged catalogue -------------------------------------------------------------------------------------

def test_the_packaged_catalogue_loads_and_every_geography_is_declared():
    catalogue = Catalogue.load()
    assert catalogue.boundaries and catalogue.indicators
    for indicator in catalogue.indicators.values():
        if indicator.geography.startswith(POINTS_PREFIX):
            assert indicator.source.point_set in catalogue.points, indicator.id
        else:
            assert indicator.geography in catalogue.boundaries, indicator.id
        assert indicator.aggregation in {*KIND_AGGREGATION.values(), "ratio_of_sums"}
        assert (SPEC_ROOT / indicator.source.spec_file).is_file()
    for boundary in catalogue.boundaries.values():
        assert set(boundary.aggregate_from) <= set(catalogue.boundaries), boundary.id
    for points in catalogue.points.values():
        assert points.locate in catalogue.postcodes
    assert catalogue.district_outline() is not None


def test_roles_name_layers_and_point_sets_of_the_catalogue():
    catalogue = Catalogue.load()
    assert catalogue.role("practices") in catalogue.points
    for role in ("income_decile", "income_score", "life_expectancy_women", "life_expectancy_men",
                 "deprivation_score", "deprivation_population", "deprivation_decile_new", "deprivation_decile_old"):
        assert catalogue.role(role) in catalogue.indicators
    with pytest.raises(SpecError, match="no layer or point set is given the role 'nothing'"):
        catalogue.role("nothing")


def test_a_role_naming_no_spec_is_refused(tmp_path):
    import shutil

    shutil.copytree(SPEC_ROOT, tmp_path / "specs")
    (tmp_path / "specs" / "roles.toml").write_text('[roles]\npractices = "gp_surgeries"\n')
    with pytest.raises(SpecError, match=r"roles.toml: practices = 'gp_surgeries' name\(s\) no indicator or point set"):
        Catalogue.load(tmp_path / "specs")


# -- coverage of an aggregation rule ------------------------------------------------------------------------

LARGE = """
id = "large"
label = "Large areas"
level = "ward"
vintage = "2024"
files = "boundaries/large_{lad}.geojson"
code = "LA24CD"
name = "LA24NM"
crs = "EPSG:27700"

[aggregate_from.small]
method = "centroid"
coverage = { population = "small_people", reference = "large_people" }
"""

LARGE_PEOPLE = """
[source]
id = "large_people"
title = "Residents of large areas"
file = "people/large.csv"
key = "LA24CD"
geography = "large"
period = "2024"
publisher = "A publisher"
licence = "Open Government Licence v3.0"
attribution = "Contains public sector information."

[[indicator]]
id = "large_people"
label = "Residents"
column = "people"
kind = "population"
units = "people"
higher_is = "neutral"
description = "Residents."
"""


def coverage_specs(tmp_path, large: str = LARGE) -> Path:
    return write_specs(tmp_path, boundaries={"small.toml": BOUNDARY, "large.toml": large},
                       layers={"scores.toml": LAYER, "large.toml": LARGE_PEOPLE})


def test_a_coverage_rule_loads_with_its_population_and_reference(tmp_path):
    catalogue = Catalogue.load(coverage_specs(tmp_path))
    rule = catalogue.boundaries["large"].aggregate_from["small"]
    assert rule.coverage == {"population": "small_people", "reference": "large_people"}


@pytest.mark.parametrize("old, new, message", [
    ('population = "small_people"', 'population = "small_score"', "population 'small_score' must be a population"),
    ('reference = "large_people"', 'reference = "small_people"', "reference 'small_people' must be a population "
                                                                  "indicator on large"),
    ('{ population = "small_people", reference = "large_people" }', '{ population = "small_people" }',
     "reference"),
    ('reference = "large_people" }', 'reference = "large_people", tolerance = 5 }', "tolerance"),
])
def test_a_coverage_rule_naming_the_wrong_layers_is_refused(tmp_path, old, new, message):
    assert old in LARGE
    error = load_error(coverage_specs(tmp_path, LARGE.replace(old, new)))
    assert error.startswith("boundaries/large.toml") and message in error and "coverage" in error


def test_a_coverage_rule_naming_layers_the_folder_lacks_loads(tmp_path):
    # (a copied ward spec in a folder without the population layers: the build reports it as not computed)
    large = LARGE.replace('population = "small_people"', 'population = "elsewhere_people"')
    catalogue = Catalogue.load(coverage_specs(tmp_path, large))
    assert catalogue.boundaries["large"].aggregate_from["small"].coverage["population"] == "elsewhere_people"


def test_the_packaged_ward_sets_measure_their_lsoa_2011_coverage():
    catalogue = Catalogue.load()
    for ward in ("ward2023", "ward2013"):
        rule = catalogue.boundaries[ward].aggregate_from["lsoa11"]
        assert rule.method == "centroid"
        assert rule.coverage == {"population": "iod19_population", "reference": "census21_population"}
