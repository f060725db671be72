"""The map as the page's main object, in a real browser at 1366x768 (issue 16, items 1 and 2).

One app (``streamlit run`` against a test copy of Luton's atlas) in Debian's
chromium: the map's share of the viewport, the district fitted to it, the
foldable legend and one-line sources, a click popup whose link opens the
area's profile, the place search (a postcode, a ward) flying to the area, the
URL that reproduces a view, and the areas reached with the keyboard.
Expected areas come from the raw files (Code-Point Open, the boundaries) and
shapely, not from the atlas's search.
"""

from __future__ import annotations

import gzip
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import shapely

from atlas import config
from tests.app_support import map_frame, running_app, wait_rendered, write_test_atlas

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 1366, 768
FRAME = "iframe[title='streamlit_folium.st_folium']"


@pytest.fixture(scope="module")
def app_url(luton, tmp_path_factory):
    out, code = write_test_atlas(luton, tmp_path_factory.mktemp("map_view_out"))
    with running_app(out, log=out / "streamlit.log") as url:
        yield url, code


@pytest.fixture
def page(laptop_page):
    return laptop_page  # 1366 x 768


def open_map(page, url: str, query: str = "?geography=lsoa11"):
    """Open the map (on the LSOAs 2011 unless ``query`` says otherwise) and wait for it to be drawn."""
    page.goto(url + query)
    frame = map_frame(page)
    wait_rendered(frame)
    return frame


def visible_share(box: dict, width: int, height: int) -> float:
    """The part of the viewport a box covers."""
    across = max(0.0, min(box["x"] + box["width"], width) - max(box["x"], 0.0))
    down = max(0.0, min(box["y"] + box["height"], height) - max(box["y"], 0.0))
    return across * down / (width * height)


def test_the_map_takes_most_of_the_viewport_and_fits_the_district(page, app_url, luton):
    frame = open_map(page, app_url[0])
    box = page.locator(FRAME).bounding_box()
    assert visible_share(box, WIDTH, HEIGHT) >= 0.55, box
    # the district is fitted: its bounds lie inside the map, and fill most of its height or width
    west, south, east, north = luton.table("lsoa11").to_crs(4326).total_bounds
    corners = frame.evaluate("b => [window.map.latLngToContainerPoint(b[0]), window.map.latLngToContainerPoint(b[1])]",
                             [[south, west], [north, east]])
    size = frame.evaluate("window.map.getSize()")
    (left, bottom), (right, top) = (corners[0]["x"], corners[0]["y"]), (corners[1]["x"], corners[1]["y"])
    assert 0 <= left < right <= size["x"] and 0 <= top < bottom <= size["y"]
    assert max((right - left) / size["x"], (bottom - top) / size["y"]) > 0.6


def test_legend_folds_and_sources_are_one_line_that_opens(page, app_url):
    frame = open_map(page, app_url[0])
    legend = frame.locator(".atlas-legend")
    fold = legend.locator("button.atlas-fold")
    assert fold.get_attribute("aria-expanded") == "true" and legend.locator(".atlas-legend-item").count() >= 3
    fold.click()
    assert fold.get_attribute("aria-expanded") == "false" and legend.locator(".atlas-legend-item").first.is_hidden()
    fold.click()
    assert legend.locator(".atlas-legend-item").first.is_visible()
    sources = frame.locator(".atlas-sources")
    line = sources.locator("summary").bounding_box()
    assert line["height"] < 22                                      # one short line
    full = sources.locator(".atlas-sources-full")
    assert full.is_hidden()
    sources.locator("summary").click()
    assert full.is_visible() and "Contains OS data © Crown copyright" in full.inner_text()
    assert sources.locator("summary").bounding_box()["height"] < 22
    viewport = frame.evaluate("document.querySelector('meta[name=viewport]').content")
    assert "user-scalable=no" not in viewport and "maximum-scale" not in viewport


def lsoa_point(luton, code: str) -> shapely.Point:
    return luton.table("lsoa11").to_crs(4326).geometry[code].representative_point()


def click_at(page, frame, point: shapely.Point) -> None:
    where = frame.evaluate("ll => window.map.latLngToContainerPoint(ll)", [point.y, point.x])
    box = page.locator(FRAME).bounding_box()
    page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])


def test_click_opens_a_popup_whose_link_opens_the_area_profile(page, app_url, luton):
    frame = open_map(page, app_url[0])
    code = sorted(set(luton.table("lsoa11").index) - {app_url[1]})[5]
    name = str(luton.table("lsoa11").at[code, "name"])
    click_at(page, frame, lsoa_point(luton, code))
    popup = frame.locator(".atlas-popup")
    popup.wait_for()
    assert popup.locator(".atlas-tip-name").inner_text() == name and code in popup.inner_text()
    assert "Ward (from May 2023)" in popup.inner_text()
    link = popup.locator("a.atlas-profile-link")
    with page.context.expect_page() as opened:
        link.click()
    page = opened.value
    page.wait_for_load_state()
    query = parse_qs(urlsplit(page.url).query)
    assert query["area"] == [code] and query["la"] == ["E06000032"] and query["kind"] == ["lsoas"]
    page.get_by_role("heading", name="Area profiles: Luton").wait_for(timeout=120_000)
    chosen = page.locator("[data-testid='stMultiSelect']").first
    chosen.wait_for(timeout=60_000)
    assert f"{name} ({code})" in chosen.inner_text()
    page.get_by_role("heading", name="At a glance").wait_for(timeout=180_000)


def lookup_postcode(postcode: str) -> tuple[float, float]:
    """Easting and northing of a postcode, read from the Code-Point Open file itself."""
    path = config.source_dir() / "assets" / "codepoint_open_2025_4" / "lu.csv.gz"
    with gzip.open(path, "rt") as handle:
        table = pd.read_csv(handle, header=None, usecols=[0, 2, 3], names=["postcode", "x", "y"], dtype={0: str})
    row = table[table["postcode"].str.replace(" ", "") == postcode.replace(" ", "")].iloc[0]
    return float(row["x"]), float(row["y"])


def lonlat_of(x: float, y: float) -> list[float]:
    """``[lat, lon]`` of a British National Grid point."""
    import geopandas as gpd

    point = gpd.GeoSeries([shapely.Point(x, y)], crs=27700).to_crs(4326).iloc[0]
    return [point.y, point.x]


def search(page, text: str) -> None:
    box = page.get_by_role("textbox", name="Find a place")
    box.fill(text)
    box.press("Enter")


def test_postcode_search_flies_to_the_area_and_the_link_keeps_it(page, app_url, luton):
    frame = open_map(page, app_url[0])
    postcode = "LU1 1AA"
    x, y = lookup_postcode(postcode)
    areas = luton.table("lsoa11")
    expected = [code for code, geom in areas.geometry.items() if geom.contains(shapely.Point(x, y))]
    assert len(expected) == 1
    zoom = frame.evaluate("window.map.getZoom()")
    search(page, postcode.lower())
    frame.wait_for_function("code => window.atlasRendered.focus === code", arg=expected[0], timeout=60_000)
    # flown to: zoomed in further than the district's view, the whole area in sight, the postcode marked
    west, south, east, north = areas.to_crs(4326).geometry[expected[0]].bounds
    frame.wait_for_function("a => window.map.getZoom() > a.zoom && window.map.getBounds().contains("
                            "L.latLngBounds(a.bounds)) && window.map.getBounds().contains(a.point)",
                            arg={"zoom": zoom, "bounds": [[south, west], [north, east]],
                                 "point": lonlat_of(x, y)},
                            timeout=10_000)
    found = frame.locator(f"path.atlas-area[data-code='{expected[0]}']")
    assert found.get_attribute("stroke-width") == "4"
    assert frame.locator(".leaflet-tooltip", has_text="Postcode LU1 1AA").count() == 1
    page.wait_for_function("code => location.search.includes('area=' + code)", arg=expected[0])
    query = parse_qs(urlsplit(page.url).query)
    assert query["la"] == ["E06000032"] and query["geography"] == ["lsoa11"] and query["area"] == expected
    assert {"layer", "scheme", "k", "palette"} <= set(query)


def test_ward_search_and_a_shared_link_reproduce_the_view(browser, page, app_url, luton):
    wards = luton.table("ward2023")
    code = wards.index[3]
    name = str(wards.at[code, "name"])
    # the LSOA over which the ward lies most, worked out here with shapely
    areas = luton.table("lsoa11")
    overlap = areas.geometry.intersection(wards.geometry[code]).area
    expected = overlap.idxmax()
    frame = open_map(page, app_url[0], "?la=E06000032&geography=lsoa11&layer=income19_score&scheme=natural_breaks"
                                       "&k=4&palette=Blues")
    assert frame.evaluate("window.atlasRendered.layer") == "income19_score"
    assert frame.locator(".atlas-legend .atlas-legend-item").count() == 4
    search(page, name)
    frame.wait_for_function("code => window.atlasRendered.focus === code", arg=expected, timeout=60_000)
    page.wait_for_function("code => location.search.includes('area=' + code)", arg=expected)
    link = page.url
    other = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}).new_page()
    try:
        again = open_map(other, link, "")
        again.wait_for_function("code => window.atlasRendered.focus === code", arg=expected, timeout=60_000)
        drawn = again.evaluate("window.atlasRendered")
        assert (drawn["la"], drawn["geography"], drawn["layer"]) == ("E06000032", "lsoa11", "income19_score")
        assert again.locator(".atlas-legend .atlas-legend-item").count() == 4
        assert other.get_by_role("combobox", name="Indicator").count() == 1
    finally:
        other.context.close()


def test_areas_are_reached_with_the_keyboard_and_read_their_value(page, app_url, luton):
    frame = open_map(page, app_url[0])
    paths = frame.locator("path.atlas-area[tabindex='0']")
    assert paths.count() == len(luton.table("lsoa11"))
    first = paths.first
    first.focus()
    label = first.get_attribute("aria-label")
    code = first.get_attribute("data-code")
    assert code in label and str(luton.table("lsoa11").at[code, "name"]) in label
    frame.locator(".leaflet-tooltip").wait_for()
    page.keyboard.press("Enter")
    frame.locator(".atlas-popup a.atlas-profile-link").wait_for()
    assert code in frame.locator(".atlas-popup").inner_text()
