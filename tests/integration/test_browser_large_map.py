"""The "Large-area map" page in Debian's chromium, on a multi-district atlas (Cambridgeshire: 5 districts, 395 LSOAs).

The page draws every area on one canvas; the colour under the centre of the
largest areas is read from the canvas and checked against the class
mapclassify gives the area's value (called directly here) and the legend's
colour of that class; a layer switch changes those colours without one more
request for geometry; hovering an area shows its name, code and value; Enter
on the focused map names the area at its centre. Every request stays on the
app's host.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import mapclassify
import pytest
import shapely

import atlas
from tests.app_support import PROJECT, choose, running_app

pytestmark = pytest.mark.browser
COUNTY = "E10000003"
GEOGRAPHY = "lsoa21"
FRAME = "iframe[title='atlas.ui.large_map.large_map']"
ARTEFACTS = PROJECT / "artefacts"


@pytest.fixture(scope="module")
def county(source_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("large_map_out")
    built = atlas.build(COUNTY, source_dir=source_dir, out_dir=out / "atlas")
    return out, built


@pytest.fixture(scope="module")
def session(browser, county):
    out, built = county
    with running_app(out, log=out / "streamlit.log") as url:
        context = browser.new_context(viewport={"width": 1400, "height": 1100})
        page = context.new_page()
        requests = []
        context.on("request", lambda request: requests.append(request.url))
        page.goto(f"{url}/large-map?la={COUNTY}")
        frame = page.wait_for_selector(FRAME, timeout=120_000, state="attached").content_frame()
        drawn(frame)
        yield {"page": page, "frame": frame, "url": url, "built": built, "requests": requests}
        context.close()


def drawn(frame, layer: str | None = None, after: float = 0) -> dict:
    frame.wait_for_function("r => window.atlasLargeMap && atlasLargeMap.drawn > 0 && atlasLargeMap.at >= r.after && "
                            "(!r.layer || atlasLargeMap.layer === r.layer)", arg={"layer": layer, "after": after},
                            timeout=120_000, polling=20)
    return frame.evaluate("({drawn: atlasLargeMap.drawn, layer: atlasLargeMap.layer, errors: atlasLargeMap.errors})")


def largest(built, n: int = 12):
    """The ``n`` largest areas: code, name and a point inside each (longitude, latitude)."""
    table = built.table(GEOGRAPHY)
    chosen = table.loc[table.geometry.area.sort_values(ascending=False).index[:n]]
    points = shapely.point_on_surface(chosen.to_crs("EPSG:4326").geometry.values)
    return [(code, name, float(p.y), float(p.x)) for code, name, p in zip(chosen.index, chosen["name"], points)]


def colours_at(frame, points) -> list[str]:
    """The colour of the areas canvas at each (lat, lon), as #rrggbb."""
    return frame.evaluate("""points => {
        const map = atlasLargeMap.map, canvas = document.querySelector('.leaflet-overlay-pane canvas');
        const ctx = canvas.getContext('2d'), origin = canvas.getBoundingClientRect();
        const box = map.getContainer().getBoundingClientRect();
        return points.map(([lat, lon]) => {
            const p = map.latLngToContainerPoint([lat, lon]);
            const x = Math.round(p.x + box.left - origin.left), y = Math.round(p.y + box.top - origin.top);
            const d = ctx.getImageData(x, y, 1, 1).data;
            return '#' + [d[0], d[1], d[2]].map(v => v.toString(16).padStart(2, '0')).join('');
        });
    }""", [[lat, lon] for _, _, lat, lon in points])


def legend_colours(frame) -> list[str]:
    return frame.evaluate("""Array.from(document.querySelectorAll('.lm-legend .lm-swatch')).map(s => {
        const [r, g, b] = getComputedStyle(s).backgroundColor.match(/\\d+/g).map(Number);
        return '#' + [r, g, b].map(v => v.toString(16).padStart(2, '0')).join('');
    })""")


def expected_classes(built, layer: str, codes: list[str]) -> list[int]:
    """Quintile class of each area's value, by mapclassify called directly."""
    values = built.values(layer, GEOGRAPHY)
    present = values.dropna()
    yb = dict(zip(present.index, mapclassify.Quantiles(present.to_numpy(), k=5).yb))
    return [int(yb[code]) for code in codes]


def test_the_page_draws_every_area_with_legend_title_and_sources(session):
    frame, built, page = session["frame"], session["built"], session["page"]
    assert drawn(frame) == {"drawn": len(built.table(GEOGRAPHY)), "layer": f"{GEOGRAPHY}:imd25_score", "errors": []}
    assert len(built.table(GEOGRAPHY)) == 395
    assert frame.locator(".lm-heading").inner_text().startswith("Index of Multiple Deprivation 2025: score")
    assert frame.locator(".lm-legend .lm-swatch").count() == 5
    assert "Contains OS data" in frame.locator(".leaflet-control-attribution").inner_text()
    assert "395 areas coloured in 5 classes" in frame.locator("#large-map").get_attribute("aria-label")
    assert page.get_by_role("heading", name="Table of the map's values").count() == 1
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "large_map_cambridgeshire.png"))


def test_fills_are_the_classes_of_the_values(session):
    frame, built = session["frame"], session["built"]
    points = largest(built)
    legend = legend_colours(frame)
    wanted = [legend[c] for c in expected_classes(built, "imd25_score", [code for code, *_ in points])]
    assert colours_at(frame, points) == wanted


def test_a_layer_switch_recolours_without_fetching_geometry(session):
    page, frame, built, requests = session["page"], session["frame"], session["built"], session["requests"]
    points = largest(built)
    before, geometry_before = colours_at(frame, points), frame.evaluate("atlasLargeMap.fetched.length")
    started = frame.evaluate("Date.now()")
    count = len(requests)
    choose(page, "Indicator", built.layer("income25_score", GEOGRAPHY)["label"])
    drawn(frame, layer=f"{GEOGRAPHY}:income25_score", after=started)
    page.wait_for_timeout(500)
    after = colours_at(frame, points)
    legend = legend_colours(frame)
    assert after == [legend[c] for c in expected_classes(built, "income25_score", [code for code, *_ in points])]
    assert after != before
    later = requests[count:]
    assert not [url for url in later if "/large/" in url], later
    assert frame.evaluate("atlasLargeMap.fetched.length") == geometry_before
    assert frame.locator(".lm-legend").get_attribute("data-layer") == f"{GEOGRAPHY}:income25_score"


def dark_pixels(frame) -> int:
    """Pixels of the outlines canvas (the second of the overlay pane) drawn in the boundary's dark line colour."""
    return frame.evaluate("""() => {
        const canvas = document.querySelectorAll('.leaflet-overlay-pane canvas')[1];
        const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) { if (d[i + 3] > 200 && d[i] < 80 && d[i + 1] < 80 && d[i + 2] < 80) n++; }
        return n;
    }""")


def test_district_boundaries_are_drawn_over_the_areas_and_can_be_taken_off(session):
    page, frame, built, requests = session["page"], session["frame"], session["built"], session["requests"]
    districts = built.geographies_at("district")[0]
    label = built.geography_labels.get(districts) or built.report.geography_labels()[districts]
    frame.wait_for_function("n => atlasLargeMap.outlineDrawn === n", arg=len(built.table(districts)), timeout=60_000)
    assert len(built.table(districts)) == 5
    assert frame.evaluate("atlasLargeMap.outline") == f"Boundaries: {label}"
    assert f"Boundaries: {label}" in frame.locator(".lm-legend").inner_text()
    assert f"The boundaries of {label} are drawn over the areas" in frame.locator("#large-map").get_attribute(
        "aria-label")
    assert dark_pixels(frame) > 500
    count = len(requests)
    choose(page, "Boundaries on top", "None")
    frame.wait_for_function("atlasLargeMap.outline === null && atlasLargeMap.outlineDrawn === 0", timeout=30_000)
    assert dark_pixels(frame) == 0
    assert "Boundaries:" not in frame.locator(".lm-legend").inner_text()
    assert not [url for url in requests[count:] if "/large/" in url]
    choose(page, "Boundaries on top", label)
    frame.wait_for_function("n => atlasLargeMap.outlineDrawn === n", arg=5, timeout=30_000)
    assert frame.evaluate("atlasLargeMap.errors") == []


def test_hover_shows_the_name_code_and_value(session):
    page, frame, built = session["page"], session["frame"], session["built"]
    code, name, lat, lon = largest(built, 1)[0]
    box = page.locator(FRAME).bounding_box()
    point = frame.evaluate("([lat, lon]) => atlasLargeMap.map.latLngToContainerPoint([lat, lon])", [lat, lon])
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"])
    frame.wait_for_function("code => atlasLargeMap.hovered && atlasLargeMap.hovered.code === code", arg=code,
                            timeout=10_000)
    tip = frame.locator(".lm-tip")
    assert tip.is_visible()
    text = tip.inner_text()
    layer = frame.evaluate("atlasLargeMap.layer").split(":")[1]
    value = built.values(layer, GEOGRAPHY)[code]
    assert name in text and code in text and f"{value:.{int(built.layer(layer, GEOGRAPHY)['decimals'])}f}" in text
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    assert name in frame.locator(".leaflet-popup-content").inner_text()


def test_enter_on_the_focused_map_names_the_area_at_its_centre(session):
    frame = session["frame"]
    frame.locator("#large-map").focus()
    frame.locator("#large-map").press("Enter")
    centre = frame.evaluate("(() => { const c = atlasLargeMap.map.getCenter(); return [c.lng, c.lat]; })()")
    table = session["built"].table(GEOGRAPHY).to_crs("EPSG:4326")
    inside = table[table.geometry.contains(shapely.Point(*centre))]
    assert len(inside) == 1
    frame.wait_for_function("name => document.getElementById('lm-status').textContent.includes(name)",
                            arg=inside["name"].iloc[0], timeout=10_000)


def test_every_request_stays_on_the_app(session):
    host = urlsplit(session["url"]).netloc
    assert {urlsplit(url).netloc for url in session["requests"] if url.startswith("http")} == {host}


def test_the_page_and_the_map_frame_pass_axe(session):
    """axe-core (WCAG 2.0-2.2 A and AA): no serious or critical finding on the page or in the map's frame."""
    from axe_playwright_python.base import AXE_SCRIPT

    from tests.integration.test_browser_accessibility import assert_clean

    assert_clean(session["page"], AXE_SCRIPT, "large-area map page")
    assert_clean(session["frame"], AXE_SCRIPT, "large-area map frame")


def test_another_geography_brings_its_own_geometry_once(session):
    page, frame, built = session["page"], session["frame"], session["built"]
    wards = built.geographies_at("ward")[0]
    label = built.geography_labels.get(wards) or built.report.geography_labels()[wards]
    fetched = frame.evaluate("atlasLargeMap.fetched.length")
    choose(page, "Geography", label)
    frame.wait_for_function("g => atlasLargeMap.layer.startsWith(g + ':')", arg=wards, timeout=120_000)
    frame.wait_for_function("n => atlasLargeMap.drawn === n", arg=len(built.table(wards)), timeout=60_000)
    new = frame.evaluate("atlasLargeMap.fetched").__getitem__(slice(fetched, None))
    assert len(new) == 2 and sum(url.endswith("-manifest.json") for url in new) == 1, new
    assert sum("-coarse-" in url for url in new) == 1, new
    assert frame.evaluate("atlasLargeMap.errors") == []
