"""Point sets (issue 5): practices, pharmacies, dentists and hospitals placed by postcode."""

from __future__ import annotations

import gzip
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

import atlas
from atlas import points
from atlas.classify import CATEGORY_COLOURS, categorical
from atlas.errors import AtlasError, SourceFileError, SpecError
from atlas.specs import Catalogue, PointSetSpec, PostcodeSpec, SourceSpec

LUTON_PCNS = {"Medics PCN", "Oasis PCN", "Titan PCN", "Hatters Health PCN", "Equality PCN", "Lea Vale PCN",
              "Phoenix Sunrisers PCN"}


def test_luton_has_its_25_active_practices_40_pharmacies_20_dentists_and_1_hospital(luton):
    counts = {name: len(frame) for name, frame in luton.points.items()}
    assert counts == {"gp_practices": 25, "pharmacies": 40, "dentists": 20, "hospitals": 1}
    assert luton.points["hospitals"].index.tolist() == ["RC971"]  # Luton and Dunstable Hospital
    for frame in luton.points.values():
        assert frame.crs.to_epsg() == 27700
        assert frame.index.name == "code" and frame.index.is_unique
        assert frame["name"].notna().all() and frame["postcode"].notna().all()


@pytest.mark.parametrize("point_set", ["gp_practices", "pharmacies", "dentists", "hospitals"])
def test_every_organisation_in_luton_is_inside_the_borough_or_reported(luton, point_set):
    report = luton.report.points[point_set]
    outline = luton.outline.geometry.union_all()
    outside = {o["code"] for o in report["outside_outline"]}
    frame = luton.points[point_set]
    for code, geometry in frame.geometry.items():
        assert geometry.within(outline) or code in outside, code
    # Every active organisation whose postcode lies in a Luton postcode sector was placed or is listed.
    assert report["unmatched"] == len(report["unmatched_postcodes"])
    assert report["matched"] == len(frame)


def test_closed_practices_are_excluded_by_the_data_date_and_counted(luton):
    report = luton.report.points["gp_practices"]
    assert report["data_date"] == "2023-12-04"  # the latest open date in epraccur (January 2024)
    assert report["closed_excluded"] == len(report["closed_excluded_codes"]) > 0
    assert not set(report["closed_excluded_codes"]) & set(luton.points["gp_practices"].index)


def test_practices_carry_their_primary_care_network_with_a_legend_of_names(luton):
    practices = luton.points["gp_practices"]
    assert set(practices["pcn_name"]) == LUTON_PCNS
    joins = luton.report.points["gp_practices"]["joins"]
    # Bramingham Park is active in January 2024 but absent from the 2023-24 structures: 2022-23 network, reported.
    assert joins["assets/qof_structures_2023_2024.csv.gz"]["unmatched_codes"] == ["E81064"]
    assert joins["health/qof_MAPPING_NHS_GEOGRAPHIES_2223.csv.gz"]["filled_codes"] == ["E81064"]
    assert practices.loc["E81064", "pcn_name"] == "Phoenix Sunrisers PCN"
    classes = categorical(practices["pcn_name"])
    assert classes.labels == sorted(LUTON_PCNS)
    assert classes.colours == CATEGORY_COLOURS[:7]
    assert (classes.index >= 0).all()


def test_point_sets_have_metadata_rows_and_survive_the_geopackage(luton, luton_path):
    for point_set in luton.points:
        meta = luton.layer(point_set, f"points:{point_set}")
        assert meta["kind"] == "points"
        assert "Contains OS data" in meta["attribution"] and meta["licence"] and meta["period"]
    loaded = atlas.load(luton_path)
    assert set(loaded.points) == set(luton.points)
    for point_set, frame in luton.points.items():
        back = loaded.points[point_set]
        assert back.crs.to_epsg() == 27700
        assert back.index.tolist() == frame.index.tolist()
        assert back.geometry.geom_equals(frame.geometry).all()
    assert loaded.table("points:gp_practices")["qof_ob"].notna().all()
    with pytest.raises(AtlasError, match="no point set 'care_homes'"):
        loaded.table("points:care_homes")


def test_the_build_report_has_a_points_section(luton, luton_path):
    section = luton.report.points
    for info in section.values():
        for key in ("matched", "unmatched", "unmatched_postcodes", "closed_excluded", "postcode_lookup"):
            assert key in info
    assert atlas.load(luton_path).report.points


# -- synthetic files: spacing, closures, unmatched postcodes -----------------------------------------

ODS_COLUMNS = ["code", "name", "g", "h", "a1", "a2", "a3", "a4", "a5", "postcode", "open_date", "close_date",
               "status_code"] + [f"x{i}" for i in range(13, 27)]


def _ods_row(code, name, postcode, status="A", opened="20000101", closed="", setting="4"):
    cells = [code, name, "", "", "", "", "", "", "", postcode, opened, closed, status] + [""] * 14
    cells[25] = setting
    return ",".join(f'"{c}"' for c in cells)


@pytest.fixture
def tiny_source(tmp_path) -> Path:
    source = tmp_path / "source"
    (source / "assets" / "cp").mkdir(parents=True)
    (source / "assets" / "cp" / "zz.csv").write_text(
        '"ZZ1 1AA",10,500000,200000,"E92000001","","","","E06999999","W1"\n'
        '"ZZ1 1AB",10,500100,200100,"E92000001","","","","E06999999","W1"\n'
        '"ZZ9 9ZZ",10,600000,300000,"E92000001","","","","E06888888","W2"\n')
    rows = [
        _ods_row("P1", "SPACED", "zz1  1aa"),                     # odd spacing and case: still found
        _ods_row("P2", "CLOSED BY DATE", "ZZ1 1AB", closed="20230101"),
        _ods_row("P3", "CLOSED BY STATUS", "ZZ1 1AB", status="C"),
        _ods_row("P4", "UNKNOWN POSTCODE", "ZZ1 1XX"),            # same sector, not in the lookup: reported
        _ods_row("P5", "ELSEWHERE", "ZZ9 9ZZ"),
        _ods_row("P6", "NOT A PRACTICE", "ZZ1 1AA", setting="0"),
        _ods_row("P7", "FUTURE CLOSURE", "ZZ1 1AB", opened="20240101", closed="20990101"),
    ]
    with gzip.open(source / "assets" / "ods.csv.gz", "wt") as fh:
        fh.write("\n".join(rows) + "\n")
    return source


def _specs(**changes):
    lookup = PostcodeSpec(id="cp", title="test postcodes", files="assets/cp/*.csv", postcode="pc", x="e", y="n",
                          crs="EPSG:27700", publisher="t", licence="t", attribution="t", spec_file="test",
                          district="district", country="country",
                          reader={"columns": ["pc", "q", "e", "n", "country", "r", "h", "c", "district", "w"]})
    fields = dict(id="tests", label="Test practices", title="t", file="assets/ods.csv.gz", key="code",
                  name="name", postcode="postcode", locate="cp", period="t", publisher="t", licence="t",
                  attribution="t", description="t", spec_file="test", reader={"columns": ODS_COLUMNS},
                  where={"x25": "4"}, status={"column": "status_code", "active": ["A"]}, close_date="close_date",
                  dates=["open_date"])
    fields.update(changes)
    return PointSetSpec(**fields), lookup


def test_postcodes_match_whatever_their_spacing_and_closed_or_unknown_ones_are_counted(tiny_source):
    spec, lookup = _specs()
    postcodes = points.read_postcodes(lookup, tiny_source)
    placed = points.place(spec, postcodes, lookup, tiny_source, "E06999999", None)
    assert placed.district.index.tolist() == ["P1", "P7"]       # P7 closes after the data's date
    assert placed.district.loc["P1", "geometry"].x == 500000
    assert placed.report["data_date"] == "2024-01-01"
    assert placed.report["closed_excluded"] == 2
    assert sorted(placed.report["closed_excluded_codes"]) == ["P2", "P3"]
    assert placed.report["unmatched"] == 1
    assert placed.report["unmatched_postcodes"] == [{"code": "P4", "name": "UNKNOWN POSTCODE", "postcode": "ZZ1 1XX"}]
    assert set(placed.located.index) == {"P1", "P5", "P7"}      # every located practice, for distances
    warnings = points.warnings_for({"tests": placed.report}, "Testshire")
    assert any("P4 (ZZ1 1XX)" in w for w in warnings)


def test_a_district_outside_the_postcode_lookup_gets_a_warning_not_far_away_points(tiny_source):
    spec, lookup = _specs()
    placed = points.place(spec, points.read_postcodes(lookup, tiny_source), lookup, tiny_source, "E06777777", None)
    assert placed.district.empty and placed.report["district_postcodes"] == 0
    warnings = points.warnings_for({"tests": placed.report}, "Elsewhere")
    assert warnings == ["No test practices placed in Elsewhere: the postcode lookup (assets/cp/zz.csv) has no "
                        "postcode of the district."]


def test_the_nearest_point_may_lie_outside_the_district(tiny_source):
    spec, lookup = _specs()
    placed = points.place(spec, points.read_postcodes(lookup, tiny_source), lookup, tiny_source, "E06999999", None)
    # A1's centroid (600400, 300400) is 400 m east and north of P5 (in E06888888); A2's (500000, 201500)
    # is 1400 m north of and 100 m west of P7 (the closed P2 and P3 at the same postcode are not placed).
    areas = gpd.GeoDataFrame({"residents": [100.0, 50.0]},
                             geometry=[box(600300, 300300, 600500, 300500), box(499900, 201400, 500100, 201600)],
                             crs="EPSG:27700", index=pd.Index(["A1", "A2"], name="code"))
    source = SourceSpec(id="near", title="t", file="", key="code", geography="test", period="t", publisher="t",
                        licence="t", attribution="t", spec_file="test", computed="nearest_point", points="tests",
                        population="residents", radius_km=1.0)
    table = points.computed_table(source, areas, {"tests": placed}).set_index("code")
    assert table["nearest"].tolist() == ["P5", "P7"]
    assert table["distance_km"].tolist() == pytest.approx([math.hypot(400, 400) / 1000, math.hypot(100, 1400) / 1000])
    assert table["population_within"].tolist() == [100.0, 0.0]   # 0.57 km is within 1 km; 1.40 km is not


def test_bad_point_specs_and_files_give_clear_errors(tiny_source, spec_root):
    spec, lookup = _specs(postcode="post_code")
    with pytest.raises(SourceFileError, match="no column 'post_code'"):
        points.place(spec, points.read_postcodes(lookup, tiny_source), lookup, tiny_source, "E06999999", None)
    missing = PostcodeSpec(**{**lookup.__dict__, "files": "assets/nowhere/*.csv"})
    with pytest.raises(SourceFileError, match="No postcode lookup file matches assets/nowhere"):
        points.read_postcodes(missing, tiny_source)
    path = spec_root / "layers" / "ods_dentists.toml"
    path.write_text(path.read_text().replace('locate = "codepoint_open"', 'locate = "postcodes_2099"'))
    with pytest.raises(SpecError, match="locate 'postcodes_2099' is not a \\[postcodes\\] spec"):
        Catalogue.load(spec_root)


def test_indicator_on_an_unknown_point_set_is_refused(spec_root):
    path = spec_root / "layers" / "qof_2022_23_prevalence.toml"
    path.write_text(path.read_text().replace('geography = "points:gp_practices"', 'geography = "points:gps"'))
    with pytest.raises(SpecError, match="geography 'points:gps' names no point set"):
        Catalogue.load(spec_root)


def test_postcode_helpers():
    series = pd.Series([" lu1 1aa", "LU11AA", "LU1  1AA", None])
    assert points.normalise_postcodes(series).tolist()[:3] == ["LU11AA"] * 3
    assert points.postcode_sector(pd.Series(["LU4 0DZ", "AL5 2JQ"])).tolist() == ["LU4 0", "AL5 2"]


def test_point_style_colours_practices_by_network_or_by_prevalence_and_sizes_them_by_list(luton):
    style = points.point_style(luton, "gp_practices")
    assert style.title == "Primary Care Network"
    assert [label for label, _ in style.legend] == sorted(LUTON_PCNS)
    practices = luton.points["gp_practices"]
    biggest = practices["list_size"].idxmax()
    assert style.radii[biggest] == style.radii.max() == 14.0
    assert (style.radii.rank() == practices["list_size"].rank()).all()
    assert "registered patients" in style.size_note
    by_obesity = points.point_style(luton, "gp_practices", colour_by="qof_ob")
    assert by_obesity.title.startswith("Obesity: recorded prevalence")
    assert len(by_obesity.legend) == 5
    worst = practices["qof_ob"].idxmax()
    assert by_obesity.colours[worst] == by_obesity.legend[-1][1]  # darkest class: highest obesity
    plain = points.point_style(luton, "pharmacies")
    assert plain.legend == [] and plain.radii.nunique() == 1 and plain.size_note == ""
