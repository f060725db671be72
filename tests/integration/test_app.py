"""The Streamlit app, run with Streamlit's AppTest against Luton's atlas built from the real files.

The app reads a test copy of the atlas (see ``tests/app_support.py``) from a
temporary output folder; the map itself is checked through the payload the
page hands to the map script (title, legend, classes), and the table through
the page's dataframe.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from atlas.classify import DECILE_COLOURS
from atlas.plaintext import plain  # the page shows names and labels escaped as Markdown source
from tests.app_support import PROJECT, SCRIPT_NAME, TEST_THEME, write_test_atlas

LUTON = "E06000032"
BEDFORD = "E06000055"
# A district code no source file knows (every listed authority has the national files since issue 13)
NO_DATA_DISTRICT = "E06000099"
TIMEOUT = 180


@pytest.fixture(scope="module")
def app_out(luton, tmp_path_factory):
    """An output folder holding the test copy of Luton's atlas; the app is pointed at it."""
    out, code = write_test_atlas(luton, tmp_path_factory.mktemp("app_out"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATLAS_OUT_DIR", str(out))
        patch.delenv("ATLAS_DEFAULT_LA", raising=False)
        yield out, code


@pytest.fixture
def app(app_out):
    """The app opened on the LSOAs 2011, where the test copy has its awkward cases (a link's ``?geography=``)."""
    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=TIMEOUT)
    at.query_params["geography"] = "lsoa11"
    at.run()
    assert not at.exception, at.exception
    return at


def test_app_opens_on_the_newest_deprivation_with_the_20_20_index_only_under_income(app_out, luton):
    """No link: the map opens on the role ``opening_indicator`` (IoD2025's IMD decile) on LSOA 2021."""
    from atlas.specs import Catalogue

    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    roles = Catalogue.load().roles
    drawn = payload(at)
    assert (drawn["geography"], drawn["layer"]) == ("lsoa21", roles["opening_indicator"]) == ("lsoa21", "imd25_decile")
    assert len(drawn["codes"]) == len(luton.table("lsoa21"))
    assert "IoD2025" in drawn["subtitle"]
    labels = [metric.label for metric in at.metric]
    assert plain("20:20 index") not in labels and plain("10:10 index") not in labels
    pointer = [c.value for c in at.caption if plain("20:20 and 10:10") in c.value]
    assert pointer == [plain("The district's 20:20 and 10:10 indices (income deprivation) are shown with "
                             "Income 2019: national decile and Income deprivation 2019 (rate).")], pointer
    for layer in (roles["income_score"], roles["income_decile"]):
        geography = luton.native_geography(layer)
        choose(at, "geography", geography)
        choose(at, "theme", luton.layer(layer, geography)["theme"])
        choose(at, "layer", layer)
        assert plain("20:20 index") in [metric.label for metric in at.metric], layer


def payload(at: AppTest) -> dict:
    """What the page gave the map script to draw (title, legend, classes ...)."""
    components = at.get("component_instance")
    assert len(components) == 1, "one map on the page"
    script = json.loads(components[0].proto.json_args)["feature_group"]
    found = re.search(r"window\.AtlasMap\.draw\([^,]+, (\{.*\})\);", script)
    assert found, script[:500]
    return json.loads(found.group(1))


def table(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


def choose(at: AppTest, key: str, value) -> AppTest:
    at.selectbox(key=key).set_value(value).run()
    assert not at.exception, at.exception
    return at


def test_app_opens_on_luton_with_its_map_table_and_statistics(app, luton, app_out):
    assert app.title[0].value == plain("Health Equity Atlas: Luton")
    drawn = payload(app)
    assert drawn["la"] == LUTON and drawn["geography"] == "lsoa11"
    assert sorted(drawn["codes"]) == sorted(luton.table("lsoa11").index)
    assert drawn["areas"]["count"] == 121 and len(drawn["fill"]["cls"]) == 121
    assert plain(drawn["title"]) == app.subheader[0].value == plain(luton.layer(drawn["layer"], "lsoa11")["label"])
    assert "LSOA (2011), Luton" in drawn["subtitle"] and "IoD2019" in drawn["subtitle"]
    assert "Contains OS data © Crown copyright" in drawn["attribution"]
    # the geometry the map fetches was written for the app, with one feature per area
    geometry = json.loads(next((app_out[0] / "web" / LUTON).glob("lsoa11-*.json")).read_text())
    assert len(geometry["features"]) == 121
    assert len(table(app)) == 121
    assert {button.proto.label for button in app.download_button} == {"Export map", "Download this table (CSV)"}
    # the district's point sets are overlays, off until switched on
    assert [(p["id"], p["count"], p["show"]) for p in drawn["points"]] == [
        (name, len(frame), False) for name, frame in luton.points.items() if len(frame)]
    labels = [metric.label for metric in app.metric]
    assert plain("Spatial pattern: Moran's I") in labels  # labels are Markdown
    assert plain("20:20 index") not in labels  # only with the income-deprivation layers it is computed from


def test_changing_indicator_changes_title_legend_table_and_statistics(app, luton):
    before = payload(app)
    choose(app, "layer", "income19_score")
    after = payload(app)
    assert plain(after["title"]) == app.subheader[0].value == plain("Income deprivation 2019 (rate)")
    assert after["fill"]["legend"] != before["fill"]["legend"]
    # quintiles worked out here, not by the atlas: pandas' percentiles (linear between ranks), 3 decimals
    values = luton.values("income19_score", "lsoa11")
    cuts = values.quantile([0, 0.2, 0.4, 0.6, 0.8, 1]).tolist()
    labels = [f"{low:.3f} to {high:.3f}" for low, high in zip(cuts, cuts[1:])]
    assert [label for label, _ in after["fill"]["legend"]] == labels
    shown = table(app)
    column = "Income deprivation 2019 (rate) (proportion of residents (0-1))"
    assert column in shown.columns
    pd.testing.assert_series_equal(shown.set_index("Area code")[column].sort_index(), values.sort_index(),
                                   check_names=False)
    # each area in the quintile whose range holds its value (upper bound included)
    quintile = pd.cut(values, cuts, labels=labels, include_lowest=True).astype(str)
    assert shown.set_index("Area code")["Map class"].astype(str).sort_index().tolist() == quintile.sort_index().tolist()
    metrics = {metric.label: metric.value for metric in app.metric}
    assert metrics[plain("Spatial pattern: Moran's I")] == "0.410"   # English Atlas of Inequality: 0.41
    assert metrics[plain("20:20 index")] == "10 : 34"            # published: 10 least : 34 most


def test_deciles_are_categorical_with_fixed_colours(app):
    choose(app, "layer", "imd19_decile")
    drawn = payload(app)
    assert [colour for _, colour in drawn["fill"]["legend"]][:10] == DECILE_COLOURS
    assert drawn["fill"]["legend"][0][0] == "1: most deprived 10% nationally"
    # fixed classes: no classification controls (disabled ones were unreadable, 2.3:1), a caption says why
    assert not [box for box in app.selectbox if box.key in ("scheme", "palette")] and not app.slider
    assert any("ten fixed categories" in caption.value for caption in app.caption)


def test_changing_classification_changes_legend_and_table(app):
    choose(app, "layer", "imd19_score")
    quantiles = payload(app)
    classes_before = table(app)["Map class"].tolist()
    choose(app, "scheme", "equal_interval")
    equal = payload(app)
    assert equal["fill"]["scheme"] == "Equal interval"
    assert equal["fill"]["legend"] != quantiles["fill"]["legend"]
    assert table(app)["Map class"].tolist() != classes_before
    app.slider(key="k").set_value(3).run()
    assert len(payload(app)["fill"]["legend"]) == 3
    choose(app, "palette", "Blues")
    assert payload(app)["fill"]["colours"] != equal["fill"]["colours"]


def test_changing_geography_changes_title_and_table(app, luton):
    choose(app, "layer", "income19_score")
    choose(app, "geography", "ward2023")
    drawn = payload(app)
    assert drawn["geography"] == "ward2023" and len(drawn["codes"]) == 20
    assert drawn["layer"] == "income19_score"          # the indicator is kept where it exists
    assert "Wards (from May 2023), Luton" in drawn["subtitle"]
    assert app.caption[0].value == plain(drawn["subtitle"])
    assert len(table(app)) == 20
    assert drawn["wards"]["label"] == "Wards (to May 2023)"   # the other ward set as outlines


def test_street_map_tiles_are_an_option_off_by_default(app):
    args = json.loads(app.get("component_instance")[0].proto.json_args)
    assert "tile" not in args["script"].lower() and payload(app)["fill_opacity"] == 0.9
    app.toggle(key="tiles").set_value(True).run()
    args = json.loads(app.get("component_instance")[0].proto.json_args)
    assert "tile.openstreetmap.org" in args["script"] and payload(app)["fill_opacity"] == 0.7


def test_practices_can_be_coloured_by_network_or_a_register_with_a_table(app, luton):
    practices = {p["id"]: p for p in payload(app)["points"]}["gp_practices"]
    assert app.selectbox(key="colour_by_gp_practices").label == "Colour GP practices by"
    assert practices["style"]["key"] == "pcn_name" and not practices["show"]
    assert [label for label, _ in practices["style"]["legend"]] == sorted(set(luton.points["gp_practices"]["pcn_name"]))
    assert all("style" not in p for p in payload(app)["points"] if p["id"] != "gp_practices")
    choose(app, "colour_by_gp_practices", "qof_dm")
    style = {p["id"]: p for p in payload(app)["points"]}["gp_practices"]["style"]
    assert style["key"] == "qof_dm" and style["title"].startswith("Diabetes: recorded prevalence")
    assert style["tip"]["labels"][2] == f"Compared with Luton ({style['benchmarks'].split(' ')[1]})"
    shown = next(df.value for df in app.dataframe if "Compared with England" in df.value.columns)
    assert len(shown) == 25 and shown.index.tolist() == luton.points["gp_practices"].index.tolist()
    assert shown["Compared with Luton"].isin(["Higher", "Similar", "Lower"]).all()   # no judgement: neutral
    assert table(app)["Area code"].tolist()[:3] == payload(app)["codes"][:3]        # the area table stays


def test_changing_authority_builds_and_maps_it(app, app_out):
    choose(app, "geography", "ward2013")
    choose(app, "la", BEDFORD)
    assert app.title[0].value == plain("Health Equity Atlas: Bedford")
    assert (app_out[0] / "atlas" / f"{BEDFORD}.gpkg").exists()
    # Bedford has no wards of the pre-2023 vintage: the page says so and shows a geography it has
    assert any(plain("Bedford has no Wards (to May 2023)") in info.value for info in app.info), [i.value for i in app.info]
    drawn = payload(app)
    assert drawn["la"] == BEDFORD and drawn["geography"] != "ward2013"
    assert len(table(app)) == len(drawn["codes"]) > 0
    assert plain(drawn["title"]) == app.subheader[0].value


def test_an_authority_without_data_gets_a_message_not_a_traceback(app_out, monkeypatch):
    monkeypatch.setenv("ATLAS_DEFAULT_LA", NO_DATA_DISTRICT)  # offered, though no file knows it
    app = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=TIMEOUT)
    app.run()
    assert not app.exception
    assert any(plain(f"No atlas for {NO_DATA_DISTRICT}") in error.value for error in app.error)
    assert not app.get("component_instance")


def test_constant_and_missing_indicators_get_messages(app):
    choose(app, "theme", TEST_THEME)
    choose(app, "layer", "test_constant")
    drawn = payload(app)
    assert drawn["fill"]["legend"] == [["all areas: 5.0", drawn["fill"]["colours"][0]]]
    assert "same value" in drawn["fill"]["scheme"]
    captions = " ".join(caption.value for caption in app.caption)
    assert "constant" in captions.lower() or "same value" in captions.lower()
    choose(app, "layer", "test_missing")
    drawn = payload(app)
    assert drawn["fill"]["legend"] == [["No data", drawn["fill"]["missing_colour"]]]
    assert any(plain("no value for All-missing test layer") in warning.value for warning in app.warning)
    assert any("no values" in info.value for info in app.info)
    assert set(table(app)["Map class"]) == {"No data"}


def test_names_reach_the_page_as_text(app, app_out):
    _, code = app_out
    assert table(app).set_index("Area code").loc[code, "Area name"] == SCRIPT_NAME
    script = json.loads(app.get("component_instance")[0].proto.json_args)["feature_group"]
    assert "<" not in script.split("window.AtlasMap.draw", 1)[1]
    geometry = json.loads(next((app_out[0] / "web" / LUTON).glob("lsoa11-*.json")).read_text())
    names = {feature["id"]: feature["properties"]["name"] for feature in geometry["features"]}
    assert names[code] == SCRIPT_NAME


def test_the_district_it_opens_on_is_configuration(app_out, monkeypatch):
    monkeypatch.setenv("ATLAS_DEFAULT_LA", BEDFORD)
    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == plain("Health Equity Atlas: Bedford")
    assert payload(at)["la"] == BEDFORD


def test_rebuild_reads_the_official_files_again(luton_path, tmp_path, monkeypatch):
    (tmp_path / "atlas").mkdir()
    copy = tmp_path / "atlas" / luton_path.name
    copy.write_bytes(luton_path.read_bytes())
    monkeypatch.setenv("ATLAS_OUT_DIR", str(tmp_path))
    at = AppTest.from_file(str(PROJECT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    before = copy.stat().st_mtime_ns
    expander = [e for e in at.sidebar.expander if e.label.startswith("About this atlas")][0]
    assert "Built " in expander.caption[0].value
    at.button(key="rebuild").click().run()
    assert not at.exception and not at.error
    assert copy.stat().st_mtime_ns > before
    assert at.title[0].value == plain("Health Equity Atlas: Luton")


def test_cached_views_follow_an_uploaded_layer_s_values_and_metadata(luton):
    """A layer uploaded again under the same id, with other values or another label, is not served from the cache."""
    from atlas.ui import common
    index = luton.table("lsoa11").index
    meta = {"label": "First upload", "kind": "value", "units": "units", "decimals": 1, "period": "test"}

    def uploaded(values, label):
        return luton.with_layer("lsoa11", "test_upload", pd.DataFrame({"value": values}, index=index),
                                {**meta, "label": label})

    first = uploaded(range(len(index)), "First upload")
    same = uploaded(range(len(index)), "First upload")
    relabelled = uploaded(range(len(index)), "Second upload")
    revalued = uploaded([2 * v for v in range(len(index))], "First upload")
    token = common.data_token(first, "test_upload", "lsoa11")
    assert common.data_token(same, "test_upload", "lsoa11") == token
    assert common.data_token(relabelled, "test_upload", "lsoa11") != token
    assert common.data_token(revalued, "test_upload", "lsoa11") != token
    # 0, 1 ... 120: the top quintile starts at the 80th percentile, 0.8 x 120 = 96; twice that when doubled
    assert common.map_view(first, "test_upload", "lsoa11").classes.labels[-1] == "96.0 to 120.0"
    assert common.map_view(first, "test_upload", "lsoa11").title == "First upload"
    assert common.map_view(relabelled, "test_upload", "lsoa11").title == "Second upload"
    assert common.map_view(revalued, "test_upload", "lsoa11").classes.labels[-1] == "192.0 to 240.0"
