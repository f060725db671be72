"""An uploaded indicator is shown on the map at once, its match report under the map (issue 16, item 5).

One app (``atlas app`` against a test copy of Luton's atlas) in Debian's chromium
at 1366x768: a CSV made here (one value per ward of May 2023, from the atlas's
own ward table) is uploaded through the sidebar's file input and added with
one click; with no further click the map draws the new layer (its title and
legend), the Indicator box names it, the URL keeps it, and the full match
report sits under the map, wider than the sidebar.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.app_support import map_frame, running_app, wait_rendered, write_test_atlas

pytestmark = pytest.mark.browser
FRAME = "iframe[title='streamlit_folium.st_folium']"
NAME = "Uptake of checks"
LAYER = "import_uptake_of_checks"


@pytest.fixture(scope="module")
def app_url(luton, tmp_path_factory):
    out, _ = write_test_atlas(luton, tmp_path_factory.mktemp("upload_out"))
    with running_app(out, log=out / "streamlit.log") as url:
        yield url


@pytest.fixture
def page(laptop_page):
    return laptop_page  # 1366 x 768


def ward_csv(luton) -> tuple[bytes, dict[str, float]]:
    """One value per ward of May 2023 (40, 41, ... in code order), as a user's CSV."""
    codes = sorted(luton.table("ward2023").index)
    values = {code: 40.0 + i for i, code in enumerate(codes)}
    text = "Ward code,Uptake of checks\n" + "".join(f"{c},{v:g}\n" for c, v in values.items())
    return text.encode(), values


def test_an_added_upload_is_drawn_at_once_with_its_report_under_the_map(page, app_url, luton):
    page.goto(app_url)
    frame = map_frame(page)
    opened = wait_rendered(frame)
    assert opened["layer"] != LAYER
    data, values = ward_csv(luton)
    page.locator("section[data-testid='stSidebar'] input[type='file']").set_input_files(
        files=[{"name": "uptake.csv", "mimeType": "text/csv", "buffer": data}])
    add = page.get_by_role("button", name="Add to the map")
    add.wait_for(timeout=60_000)
    # the match report: in the page's body under the map, wider than the sidebar
    report = page.get_by_text(f"Match report: {NAME}", exact=True)
    report.wait_for(timeout=60_000)
    map_box = page.locator(FRAME).bounding_box()
    sidebar = page.locator("section[data-testid='stSidebar']").bounding_box()
    table = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").first
    table_box = table.bounding_box()
    assert report.bounding_box()["y"] >= map_box["y"] + map_box["height"] - 1
    assert table_box["width"] > sidebar["width"] and table_box["x"] >= sidebar["x"] + sidebar["width"] - 1
    started = frame.evaluate("Date.now()")
    add.click()
    # no further click: the map draws the new layer (the frame may be drawn anew for its geography)
    drawn = wait_rendered(map_frame(page), layer=LAYER, after=started)
    frame = map_frame(page)
    assert drawn["layer"] == LAYER
    legend = frame.locator(".atlas-legend")
    assert legend.get_attribute("data-layer") == LAYER
    assert legend.locator(".atlas-legend-title").inner_text() == NAME
    assert frame.locator(".atlas-title-main").inner_text() == NAME
    assert frame.locator("path.atlas-area").count() == len(values)
    page.wait_for_function("n => new URLSearchParams(location.search).get('layer') === n", arg=LAYER)
    query = parse_qs(urlsplit(page.url).query)
    assert query["layer"] == [LAYER] and query["geography"] == ["ward2023"]
    for label, shown in (("Indicator", NAME), ("Theme", "Imported")):
        box = page.get_by_role("combobox", name=label, exact=True)
        assert shown in (box.input_value() or box.locator("xpath=ancestor::*[@data-baseweb='select'][1]").inner_text())
