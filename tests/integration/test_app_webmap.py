"""The web map's pieces (atlas.webmap) on Luton's real atlas: geometry, view, payload, table, CSV, point styles."""

from __future__ import annotations

import dataclasses
import io
import json
import string

import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.colors import to_rgb

from atlas import point_styles, web_geometry, webmap
from atlas.classify import CATEGORY_COLOURS, DECILE_COLOURS, LISA_COLOURS, MISSING_COLOUR, MISSING_LABEL, classify
from atlas.errors import AtlasError
from tests.app_support import SCRIPT_NAME
from tests.integration.test_points import LUTON_PCNS


def gaps_and_overlaps(geoms) -> tuple[float, float]:
    """Area (m²) of the holes inside the union of a coverage, and of the overlaps between its polygons."""
    union = shapely.union_all(geoms)
    parts = getattr(union, "geoms", [union])
    holes = sum(shapely.Polygon(ring).area for part in parts for ring in part.interiors)
    return holes, float(shapely.area(geoms).sum() - union.area)


def test_lsoa_2011_polygons_need_snapping_before_coverage_simplification(luton):
    frame = luton.table("lsoa11")
    raw = np.asarray(frame.geometry.values)
    assert not shapely.coverage_is_valid(raw)          # neighbours' vertices differ by about 1e-6 m
    naive = shapely.coverage_simplify(raw, 10.0)
    holes, overlaps = gaps_and_overlaps(naive)
    assert holes > 100 and overlaps > 100              # simplified without snapping: slivers everywhere
    ours = web_geometry.web_geometry(frame, tolerance_m=10.0).to_crs(frame.crs)
    assert shapely.coverage_is_valid(np.asarray(ours.values))
    holes, overlaps = gaps_and_overlaps(np.asarray(ours.values))
    assert holes < 1 and abs(overlaps) < 1
    assert shapely.get_num_coordinates(np.asarray(ours.values)).sum() < shapely.get_num_coordinates(raw).sum()
    # at the app's tolerance no boundary moves by as much as the tolerance
    web = np.asarray(web_geometry.web_geometry(frame).to_crs(frame.crs).values)
    assert float(shapely.hausdorff_distance(raw, web).max()) < web_geometry.WEB_TOLERANCE_M


@pytest.mark.parametrize("geography", ["lsoa11", "lsoa21", "ward2023", "msoa11"])
def test_areas_document_has_every_area_with_its_name_and_the_outline(luton, geography):
    frame = luton.table(geography)
    text, bounds, count = web_geometry.areas_document(frame)
    document = json.loads(text)
    assert count == len(frame) == len(document["features"])
    assert [f["id"] for f in document["features"]] == list(frame.index)
    assert [f["properties"]["name"] for f in document["features"]] == list(frame["name"])
    (south, west), (north, east) = bounds
    assert 51.8 < south < north < 52.0 and -0.6 < west < east < -0.3          # Luton, in degrees
    outline = shapely.geometry.shape(document["outline"])
    areas = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in document["features"]])
    assert outline.symmetric_difference(areas).area < 1e-9                    # the outline is the areas' edge


def test_names_are_written_as_json_text(luton, tmp_path):
    frame = luton.table("lsoa11").copy()
    frame.iloc[0, frame.columns.get_loc("name")] = SCRIPT_NAME
    first = web_geometry.write_geometry(frame, tmp_path, "E06000032", "lsoa11")
    again = web_geometry.write_geometry(frame, tmp_path, "E06000032", "lsoa11")
    assert first == again and first.name.startswith("E06000032/lsoa11-")      # named by content, written once
    document = json.loads(first.path.read_text())
    assert document["features"][0]["properties"]["name"] == SCRIPT_NAME


def test_decile_view_is_categorical_with_decile_wording(luton):
    view = webmap.map_view(luton, "imd19_decile", "lsoa11")
    assert view.classes.colours == DECILE_COLOURS
    assert view.value_text(1) == "1: most deprived 10% nationally"
    assert view.title == "Index of Multiple Deprivation 2019: national decile"
    assert view.subtitle.startswith("LSOA (2011), Luton · IoD2019")
    assert view.extra is None                       # the decile itself is not repeated as the extra line


def test_payload_matches_the_classification(luton):
    view = webmap.map_view(luton, "income19_score", "lsoa11", scheme="natural_breaks", k=6, palette="Blues")
    expected = classify(luton.values("income19_score", "lsoa11"), kind="rate", scheme="natural_breaks", k=6,
                        palette="Blues", higher_is="worse", decimals=3)
    areas = web_geometry.GeometryFile(None, "E06000032/lsoa11-x.json", [[51.8, -0.5], [51.9, -0.4]], 121)
    clusters = pd.Series("Not significant", index=view.values.index)
    clusters.iloc[:3] = "High-High"
    payload = webmap.map_payload(view, areas, "../web/E06000032/lsoa11-x.json", lisa=clusters,
                                 lisa_note="Local Moran's I")
    assert payload["codes"] == list(view.values.index)
    assert payload["fill"]["cls"] == expected.index.tolist()
    assert payload["fill"]["legend"] == [list(item) for item in expected.legend()]
    assert payload["fill"]["text"][0] == f"{view.values.iloc[0]:,.3f}"
    # the national IMD decile is shown beside the value, as its legend wording
    deciles = luton.values("imd19_decile", "lsoa11")
    assert payload["extra"]["label"] == "Index of Multiple Deprivation 2019: national decile"
    assert payload["extra"]["text"][0] == webmap.decile_label(int(deciles.iloc[0]))
    lisa = payload["lisa"]
    high = "High-High: high values (worse) near high values"  # income deprivation: high is worse
    assert [lisa["labels"][c] for c in lisa["cls"][:4]] == [high] * 3 + ["Not significant"]
    assert lisa["colours"][lisa["labels"].index(high)] == LISA_COLOURS["High-High"]
    assert "Contains OS data © Crown copyright" in payload["attribution"]
    assert "Indices of Deprivation 2019" in payload["attribution"]


def test_payload_cannot_close_its_script():
    text = webmap.encode_payload({"title": SCRIPT_NAME + "</script><b>&amp;", "line": "a\u2028b"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"title": SCRIPT_NAME + "</script><b>&amp;", "line": "a\u2028b"}


def test_all_missing_layer_gives_a_message_and_a_no_data_legend(luton):
    empty = luton.with_layer("lsoa11", "nothing", pd.DataFrame({"value": np.nan}, index=luton.table("lsoa11").index),
                             {"label": "Nothing", "kind": "value", "geography_label": "LSOA (2011)"})
    view = webmap.map_view(empty, "nothing", "lsoa11")
    assert view.classes is None and "nothing to map" in view.message
    areas = web_geometry.GeometryFile(None, "x", [[0, 0], [1, 1]], 121)
    payload = webmap.map_payload(view, areas, "x")
    assert payload["fill"]["legend"] == [[MISSING_LABEL, payload["fill"]["missing_colour"]]]
    assert payload["upper"] is None  # a district's map: no upper-tier outline (a region's: test_regions.py)
    drawn = webmap.map_payload(view, areas, "x", upper=("../web/E12/upper.json", "Upper-tier authorities"))
    assert drawn["upper"] == {"url": "../web/E12/upper.json", "label": "Upper-tier authorities"}
    assert set(payload["fill"]["cls"]) == {-1}
    assert set(webmap.view_table(view)["Map class"]) == {MISSING_LABEL}


def test_table_and_csv_are_what_the_map_shows(luton):
    view = webmap.map_view(luton, "income19_score", "lsoa11")
    table = webmap.view_table(view)
    assert len(table) == 121
    labels = np.array(view.classes.labels)
    assert (table["Map class"].to_numpy() == labels[view.classes.index.to_numpy()]).all()
    csv = pd.read_csv(io.BytesIO(webmap.view_csv(view)), encoding="utf-8-sig")
    assert list(csv["Area code"]) == list(view.values.index)
    column = "Income deprivation 2019 (rate) (proportion of residents (0-1))"
    np.testing.assert_allclose(csv[column], view.values.to_numpy())
    assert set(csv["Indicator"]) == {"Income deprivation 2019 (rate)"}
    assert set(csv["Period"]) == {view.meta["period"]}
    assert set(csv["Geography"]) == {"LSOA (2011)"}
    assert csv["Attribution"].iloc[0].startswith("Source: Office for National Statistics")
    assert csv["Licence"].iloc[0] == "Open Government Licence v3.0"


def test_base_map_loads_nothing_from_the_internet():
    from streamlit_folium import _get_header, _get_map_string
    fmap = webmap.base_map("../leaflet/", "../static/")
    group = webmap.map_layers({"title": "x"})
    fmap.add_child(group)
    fmap.get_root().render()
    def walk(element):   # every element, as streamlit-folium walks them to collect script and style links
        yield element
        for child in getattr(element, "_children", {}).values():
            yield from walk(child)

    links = [href for element in walk(fmap)
             for _, href in getattr(element, "default_js", []) + getattr(element, "default_css", [])]
    assert links == ["../leaflet/leaflet.js", "../static/atlas-map.js", "../leaflet/leaflet.css",
                     "../static/atlas-map.css"]
    for text in (_get_header(fmap), _get_map_string(fmap)):
        assert "http:" not in text and "https:" not in text and "//cdn" not in text
    assert "openstreetmap" in _get_map_string(webmap.base_map("../l/", "../s/", tiles=True)).lower()


@pytest.mark.parametrize("layer, scheme, k, palette", [("income19_score", "quantiles", 5, None),
                                                      ("imd19_score", "natural_breaks", 7, "Blues"),
                                                      ("imd19_decile", "quantiles", 5, None)])
def test_web_legend_is_the_export_legend(luton, layer, scheme, k, palette):
    from atlas import export
    view = webmap.map_view(luton, layer, "lsoa11", scheme=scheme, k=k, palette=palette)
    printed = export.layer_classes(luton, layer, "lsoa11", scheme, k, palette)
    assert view.classes.legend() == printed.legend()
    assert (view.classes.index == printed.index).all()


def test_points_document_has_each_located_point_with_its_tooltip_rows(luton):
    practices = luton.points["gp_practices"].copy()
    practices.loc[practices.index[0], "list_size"] = np.nan
    text, bounds, count = web_geometry.points_document(practices, {"postcode": "Postcode", "list_size": "Patients",
                                                             "not_a_column": "Ignored"})
    document = json.loads(text)
    assert count == len(document["features"]) == len(practices)
    first, second = document["features"][:2]
    raw = practices["name"].iloc[0]
    assert raw.isupper()  # the data's capitals, shown in title case (names in one style)
    assert first["id"] == practices.index[0] and first["properties"]["name"] == string.capwords(raw)
    assert first["properties"]["rows"] == [["Postcode", practices["postcode"].iloc[0]]]   # missing: no row
    assert second["properties"]["rows"][1] == ["Patients", f"{int(practices['list_size'].iloc[1]):,}"]


# -- point sets coloured and sized (issue 5: practices by network, QOF registers) --------------------
def practice_style(built, colour_by=None):
    style = point_styles.point_style_payload(built, "gp_practices", colour_by)
    return style, pd.Series(style["colour"], index=style["codes"]), pd.Series(style["radius"], index=style["codes"])


def test_practices_are_coloured_by_network_with_a_legend_of_luton_network_names(luton):
    practices = luton.points["gp_practices"]
    style, colours, _ = practice_style(luton)
    assert style["key"] == "pcn_name" and style["title"] == "Primary Care Network"
    assert style["codes"] == list(practices.index) and len(colours) == 25
    legend = dict(style["legend"])
    assert list(legend) == sorted(LUTON_PCNS)                       # exactly Luton's seven networks, by name
    assert len(set(legend.values())) == 7 and set(legend.values()) <= set(CATEGORY_COLOURS)   # colour-blind safe
    for code, network in practices["pcn_name"].items():
        assert colours[code] == legend[network], code
    assert style["tip"] is None                                      # network and list size are in the document


def test_practice_markers_grow_with_list_size(luton):
    sizes = luton.points["gp_practices"]["list_size"]
    _, _, radii = practice_style(luton)
    ordered = radii[sizes.sort_values(kind="stable").index]
    assert ordered.is_monotonic_increasing and ordered.iloc[0] < ordered.iloc[-1]
    assert radii[sizes.idxmax()] == radii.max() and radii[sizes.idxmin()] == radii.min()
    # the size legend: the smallest, median and largest practice, with their marker sizes
    style, _, _ = practice_style(luton, "qof_ob")
    assert [label for label, _ in style["sizes"]] == [f"{sizes.min():,.0f}", f"{sizes.median():,.0f}",
                                                        f"{sizes.max():,.0f}"]
    assert [r for _, r in style["sizes"]] == [radii.min(), radii[sizes.sort_values().index[12]], radii.max()]
    assert "registered patients" in style["note"]


def test_a_qof_colouring_gives_the_classes_of_classify_and_tooltips_with_intervals(luton):
    practices = luton.points["gp_practices"]
    style, colours, _ = practice_style(luton, "qof_ob")
    expected = classify(practices["qof_ob"], kind="percentage", scheme="quantiles", k=5, palette="YlOrRd",
                        higher_is="worse", decimals=1)
    # the classes of classify, drawn in greys (not the areas' yellow-red): lighter for the lower, better classes
    assert [label for label, _ in style["legend"]] == [label for label, _ in expected.legend()]
    greys = [colour for _, colour in style["legend"]]
    assert all(len(set(to_rgb(g))) == 1 for g in greys) and len(set(greys)) == len(greys)
    assert [sum(to_rgb(g)) for g in greys] == sorted((sum(to_rgb(g)) for g in greys), reverse=True)
    grey_of = dict(zip(expected.colours, greys))
    pd.testing.assert_series_equal(colours, expected.colour_of().map(grey_of), check_names=False)
    assert style["title"] == "Obesity: recorded prevalence (QOF, aged 18+) (% of registered patients aged 18+)"
    assert style["benchmarks"] == "Luton 10.3 · England 11.4"        # 20,822 of 201,624 on Luton's register
    tip = style["tip"]
    assert tip["labels"] == ["Obesity: recorded prevalence (QOF, aged 18+)", "95% confidence interval",
                             "Compared with Luton (10.3)", "Compared with England (11.4)"]
    conway = practices.loc["E81063"]
    assert tip["values"][style["codes"].index("E81063")] == [
        f"{conway['qof_ob']:.1f}", f"{conway['qof_ob_lower']:.1f} to {conway['qof_ob_upper']:.1f}",
        conway["qof_ob_vs_district"], conway["qof_ob_vs_england"]]
    assert {row[2] for row in tip["values"]} == {"Better", "Similar", "Worse"}
    assert len(webmap.encode_payload(style)) < 4000                 # what one change of colouring sends


def test_a_practice_without_a_value_is_drawn_as_no_data(luton):
    practices = luton.points["gp_practices"].copy()
    practices.loc["E81005", ["qof_ob", "qof_ob_lower", "qof_ob_upper", "qof_ob_vs_district"]] = np.nan
    copy = dataclasses.replace(luton, points={**luton.points, "gp_practices": practices})
    style, colours, _ = practice_style(copy, "qof_ob")
    assert colours["E81005"] == MISSING_COLOUR and style["legend"][-1] == [MISSING_LABEL, MISSING_COLOUR]
    assert style["tip"]["values"][0][:3] == [None, None, None]      # shown as "No data", never as zero
    practices["qof_dm"] = np.nan
    empty = dataclasses.replace(luton, points={**luton.points, "gp_practices": practices})
    assert "qof_dm" not in point_styles.colour_options(empty, "gp_practices")
    with pytest.raises(AtlasError, match="nothing to map"):
        point_styles.point_style_payload(empty, "gp_practices", "qof_dm")


def test_colourings_offered_are_the_network_then_each_register(luton):
    options = point_styles.colour_options(luton, "gp_practices")
    assert list(options)[:2] == ["pcn_name", "qof_ob"]
    assert options["pcn_name"] == "Primary Care Network"
    registers = luton.layers_on("points:gp_practices").query("has_interval")["layer"]
    assert list(options)[1:] == list(registers)                        # not the list size, which sizes them
    assert point_styles.colour_options(luton, "pharmacies") == {}          # one colour: nothing to choose


def test_practice_table_is_what_the_map_shows(luton):
    table = point_styles.points_table(luton, "gp_practices", "qof_ob")
    assert len(table) == 25 and list(table.index) == list(luton.points["gp_practices"].index)
    assert list(table.columns) == ["Name", "Primary Care Network", "Registered patients",
                                   "Obesity: recorded prevalence (QOF, aged 18+) (% of registered patients aged 18+)",
                                   "Lower 95%", "Upper 95%", "Compared with Luton", "Compared with England", "Postcode"]
    assert list(point_styles.points_table(luton, "gp_practices").columns) == [
        "Name", "Primary Care Network", "Registered patients", "Postcode"]
