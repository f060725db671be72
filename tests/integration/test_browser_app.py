"""The app in a real browser: Debian's chromium driven by playwright against ``streamlit run``.

One app is started for the module on a free localhost port, reading a test
copy of Luton's atlas (one area and one GP practice named ``<script>alert(1)</script>``). Every
request the browser makes is recorded; none may go to another host.
Screenshots go to the git-ignored ``artefacts/`` folder.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pandas as pd
import pytest
import shapely

from atlas.classify import CATEGORY_COLOURS, classify
from tests.app_support import (
    PROJECT,
    SCRIPT_NAME,
    choose,
    map_frame,
    running_app,
    wait_idle,
    wait_rendered,
    write_test_atlas,
)
from tests.integration.test_points import LUTON_PCNS

pytestmark = pytest.mark.browser
ARTEFACTS = PROJECT / "artefacts"


@pytest.fixture(scope="module")
def app_url(luton, tmp_path_factory):
    out, code = write_test_atlas(luton, tmp_path_factory.mktemp("browser_out"))
    with running_app(out, log=out / "streamlit.log") as url:
        yield url, code


@pytest.fixture(scope="module")
def session(browser, app_url):
    """One page on the app, with every request and dialog it causes recorded."""
    url, code = app_url
    context = browser.new_context(viewport={"width": 1600, "height": 1300})
    page = context.new_page()
    requests, dialogs = [], []
    context.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{url}/?geography=lsoa11")  # the test copy's awkward cases are on the LSOAs 2011
    frame = map_frame(page)
    wait_rendered(frame)
    yield {"page": page, "frame": frame, "url": url, "code": code, "requests": requests, "dialogs": dialogs}
    context.close()


def screenshot(page, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / name), full_page=True)
    assert (ARTEFACTS / name).stat().st_size > 10_000


def test_page_loads_and_draws_one_path_per_area(session, luton):
    page, frame = session["page"], session["frame"]
    drawn = frame.evaluate("window.atlasRendered")
    assert drawn["la"] == "E06000032" and drawn["geography"] == "lsoa11"
    assert frame.locator("path.atlas-area").count() == len(luton.table("lsoa11")) == 121
    assert frame.locator(".atlas-title").inner_text().startswith(
        luton.layer(drawn["layer"], "lsoa11")["label"])
    assert "Contains OS data © Crown copyright" in frame.locator(".atlas-sources-full").text_content()
    screenshot(page, "app_luton_lsoa11.png")


def test_switching_indicator_redraws_the_legend(session):
    page, frame = session["page"], session["frame"]
    before = frame.locator(".atlas-legend").inner_text()
    started = frame.evaluate("Date.now()")
    choose(page, "Indicator", "Income deprivation 2019 (rate)")
    wait_rendered(frame, layer="income19_score", after=started)
    legend = frame.locator(".atlas-legend")
    assert legend.get_attribute("data-layer") == "income19_score"
    assert legend.inner_text() != before
    assert legend.locator(".atlas-legend-title").inner_text() == "Income deprivation 2019 (rate)"
    assert legend.locator(".atlas-legend-item").count() == 5
    assert frame.locator("path.atlas-area").count() == 121          # redrawn, not drawn twice
    assert page.get_by_role("heading", name="Income deprivation 2019 (rate)").count() >= 1


def test_layer_control_toggles_overlays(session, luton):
    frame = session["frame"]
    control = frame.locator(".leaflet-control-layers")
    practices = control.get_by_label("GP practices", exact=False)
    assert not practices.is_checked() and frame.locator("path.atlas-point").count() == 0
    practices.check()
    assert frame.locator("path.atlas-point").count() == len(luton.points["gp_practices"]) > 0
    assert frame.evaluate("window.atlasRendered.drawn['points:gp_practices']") == len(luton.points["gp_practices"])
    practices.uncheck()
    assert frame.locator("path.atlas-point").count() == 0
    wards = control.get_by_label("Wards (from May 2023)", exact=False)
    labels = "Array.from(document.querySelectorAll('.leaflet-control-layers label'))"
    assert wards.is_checked(), frame.evaluate(f"{labels}.map(l => [l.innerText, l.querySelector('input').checked])")
    assert frame.evaluate("window.atlasRendered.drawn.wards") == 20
    wards.uncheck()
    assert frame.evaluate("window.atlasRendered.drawn.wards") == 0
    wards.check()
    assert frame.evaluate("window.atlasRendered.drawn.wards") == 20


def test_lisa_clusters_are_a_layer_with_their_own_legend(session):
    page, frame = session["page"], session["frame"]
    frame.locator(".leaflet-control-layers").get_by_label("Local clusters (LISA)").check()
    assert frame.locator("path.atlas-lisa").count() == 121
    assert frame.locator("path.atlas-area").count() == 0
    legend = frame.locator(".atlas-legend")
    assert legend.get_attribute("data-fill") == "lisa"
    assert "999 permutations" in legend.inner_text()
    screenshot(page, "app_luton_lisa.png")
    frame.locator(".leaflet-control-layers").get_by_label("Values").check()
    assert frame.locator("path.atlas-area").count() == 121


def test_tooltip_shows_a_script_name_as_text(session, luton):
    page, frame, code = session["page"], session["frame"], session["code"]
    inside = shapely.Point(luton.table("lsoa11").to_crs(4326).geometry[code].representative_point())
    point = frame.evaluate("ll => window.map.latLngToContainerPoint(ll)", [inside.y, inside.x])
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert tooltip.locator(".atlas-tip-name").inner_text() == SCRIPT_NAME
    assert code in tooltip.inner_text()
    assert tooltip.locator("script").count() == 0
    assert not session["dialogs"]
    screenshot(page, "app_luton_tooltip.png")


def practice_legend(frame) -> dict:
    """The practice legend on the map: its title and the labels of its entries."""
    legend = frame.locator(".atlas-point-legend [data-set='gp_practices']")
    return {"title": legend.locator(".atlas-legend-title").inner_text(),
            "labels": legend.locator(".atlas-legend-label").all_inner_texts(), "key": legend.get_attribute("data-key")}


def test_practices_are_coloured_by_network_with_a_legend_of_the_names(session, luton):
    page, frame = session["page"], session["frame"]
    assert frame.locator(".atlas-point-legend").is_hidden()           # no legend while the practices are off
    frame.locator(".leaflet-control-layers").get_by_label("GP practices", exact=False).check()
    markers = frame.locator("path.atlas-point")
    assert markers.count() == len(luton.points["gp_practices"]) == 25
    legend = practice_legend(frame)
    assert legend["title"] == "GP practices: Primary Care Network" and legend["key"] == "pcn_name"
    assert legend["labels"] == sorted(LUTON_PCNS)
    fills = set(markers.evaluate_all("paths => paths.map(p => p.getAttribute('fill'))"))
    assert fills == set(CATEGORY_COLOURS[:7])                         # one colour-blind-safe colour per network
    sizes = frame.locator(".atlas-point-legend .atlas-size-label").all_inner_texts()
    assert sizes == [f"{n:,.0f}" for n in luton.points["gp_practices"]["list_size"].quantile([0, .5, 1])]
    screenshot(page, "app_luton_practices_by_network.png")


def test_colouring_practices_by_obesity_redraws_them_and_their_legend(session, luton):
    page, frame = session["page"], session["frame"]
    obesity = luton.layer("qof_ob", "points:gp_practices")["label"]
    page.get_by_role("button", name="Map options").click()           # the colourings are in the options
    choose(page, "Colour GP practices by", obesity)
    page.keyboard.press("Escape")
    frame.wait_for_function("() => window.atlasRendered.styles.gp_practices === 'qof_ob'", timeout=60_000)
    legend = practice_legend(frame)
    assert legend["title"].startswith(f"GP practices: {obesity}") and legend["key"] == "qof_ob"
    expected = classify(luton.points["gp_practices"]["qof_ob"], kind="percentage", k=5, palette="YlOrRd",
                        higher_is="worse", decimals=1)
    assert legend["labels"] == expected.labels
    markers = frame.locator("path.atlas-point")
    assert markers.count() == 25 == frame.evaluate("window.atlasRendered.drawn['points:gp_practices']")
    # greys with black outlines, apart from the areas' colours: one grey per class
    fills = set(markers.evaluate_all("paths => paths.map(p => p.getAttribute('fill'))"))
    assert len(fills) == len(set(expected.colour_of())) and all(len({f[1:3], f[3:5], f[5:7]}) == 1 for f in fills)
    assert set(markers.evaluate_all("paths => paths.map(p => p.getAttribute('stroke'))")) == {"#000000"}
    assert page.get_by_text("Table: GP practices on the map (25)").count() == 1
    screenshot(page, "app_luton_practices_by_obesity.png")


def test_practice_tooltip_shows_a_script_name_as_text_with_its_interval(session, luton):
    page, frame = session["page"], session["frame"]
    code = luton.points["gp_practices"].index[0]                      # renamed in the test copy
    where = luton.points["gp_practices"].to_crs(4326).geometry[code]
    point = frame.evaluate("ll => window.map.latLngToContainerPoint(ll)", [where.y, where.x])
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    tooltip = frame.locator(".leaflet-tooltip", has_text="95% confidence interval")
    tooltip.wait_for()
    assert tooltip.locator(".atlas-tip-name").inner_text() == SCRIPT_NAME
    text = tooltip.inner_text()
    assert f"GP practices · {code}" in text and "Primary Care Network" in text and "Registered patients" in text
    assert "Compared with Luton (10.3)" in text and "Compared with England (11.4)" in text
    assert tooltip.locator("script").count() == 0 and not session["dialogs"]
    screenshot(page, "app_luton_practice_tooltip.png")


def test_downloads_the_table_and_the_map(session, tmp_path):
    page = session["page"]
    wait_idle(page)
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download this table (CSV)").click()
    csv = tmp_path / csv_download.value.suggested_filename
    csv_download.value.save_as(csv)
    table = pd.read_csv(csv, encoding="utf-8-sig")
    assert len(table) == 121 and set(table["Indicator"]) == {"Income deprivation 2019 (rate)"}
    page.get_by_text("Export this map for a report").click()
    button = page.get_by_role("button", name="Export map")
    button.wait_for(timeout=60_000)
    wait_idle(page)                    # a click during a rerun may be lost
    with page.expect_download(timeout=180_000) as map_download:
        button.click()
    image = tmp_path / map_download.value.suggested_filename
    map_download.value.save_as(image)
    assert image.suffix == ".png" and image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_request_goes_to_another_host(session):
    host = urlsplit(session["url"]).netloc
    hosts = {urlsplit(url).netloc for url in session["requests"] if urlsplit(url).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {host}, json.dumps(sorted(session["requests"]), indent=1)
    served = [url for url in session["requests"] if url.endswith("/leaflet.js") or url.endswith("/leaflet.css")]
    assert len(served) == 2 and all(urlsplit(url).netloc == host for url in served)
