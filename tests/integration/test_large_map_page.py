"""The "Large-area map" page with Streamlit's AppTest on Luton's atlas: controls, files for the browser, the table."""

from __future__ import annotations

import json

import pytest

from atlas.plaintext import plain
from atlas.ui.large_map import LARGE_FOLDER
from tests.conftest import page_test


@pytest.fixture(scope="module")
def app(luton_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("large_map_page_out")
    with page_test("atlas.ui.large_map_page", luton_path, folder) as at:
        yield at, folder


def large_files(folder):
    return {path.name: path.stat().st_mtime_ns for path in (folder / "web" / LARGE_FOLDER).iterdir()}


def test_the_page_opens_on_the_newest_lsoas_and_their_imd_score(app, luton):
    at, _ = app
    assert not at.exception and not at.error
    assert at.title[0].value == plain("Large-area map: Luton")
    assert at.selectbox(key="large_geography").value == luton.geographies_at("lsoa")[0] == "lsoa21"
    assert at.selectbox(key="large_layer").value == "imd25_score"
    assert any(plain("Licence: Open Government Licence v3.0") in caption.value for caption in at.caption)


def test_the_browser_files_are_the_areas_and_the_values_in_one_order(app, luton):
    _, folder = app
    files = large_files(folder)
    manifests = [json.loads((folder / "web" / LARGE_FOLDER / name).read_text()) for name in files
                 if name.endswith("-manifest.json")]
    [manifest] = [m for m in manifests if m["label"] == "E06000032 lsoa21"]  # the areas; the other: ward outlines
    assert sorted(m["label"] for m in manifests) == ["E06000032 lsoa21", f"E06000032 {luton.geographies_at('ward')[0]}"]
    table = luton.table("lsoa21")
    assert manifest["codes"] == list(table.index) and manifest["names"] == list(table["name"])
    [values_name] = [name for name in files if name.startswith("values-")]
    texts = json.loads((folder / "web" / LARGE_FOLDER / values_name).read_text())
    decimals = int(luton.layer("imd25_score", "lsoa21")["decimals"])
    assert texts == [f"{value:,.{decimals}f}" for value in table["imd25_score"]]


def test_the_table_lists_every_area_and_filters_by_code(app, luton):
    at, _ = app
    table = at.dataframe[0].value
    assert len(table) == len(luton.table("lsoa21")) and not at.number_input   # one page: no page control
    code = luton.table("lsoa21").index[7]
    at.text_input(key="large_filter").input(code.lower()).run()
    assert list(at.dataframe[0].value["Area code"]) == [code]
    at.text_input(key="large_filter").input("").run()


def test_a_layer_switch_writes_a_values_file_and_no_geometry(app):
    at, folder = app
    before = large_files(folder)
    at.selectbox(key="large_layer").select("income25_score").run()
    assert not at.exception and not at.error
    after = large_files(folder)
    new = set(after) - set(before)
    assert len(new) == 1 and new.pop().startswith("values-")
    assert {name: after[name] for name in before} == before         # geometry neither rewritten nor added


def test_files_removed_while_the_app_runs_are_written_again(app):
    at, folder = app
    for path in (folder / "web" / LARGE_FOLDER).iterdir():
        path.unlink()
    at.selectbox(key="large_layer").select("imd25_score").run()
    assert not at.exception and not at.error
    names = set(large_files(folder))
    assert any(name.endswith("-manifest.json") for name in names)
    assert any(name.startswith("values-") for name in names)
