"""Every page of the app scanned with axe-core in a real browser: no serious or critical finding (issue 16, item 7).

axe-core comes from the pinned dev dependency ``axe-playwright-python`` (its
``axe.min.js``), injected into each page and into the map's frame, and run
with the WCAG 2.0, 2.1 and 2.2 A and AA rules. Pages: the map atlas (with its
options open, and the map frame), an area profile (opened from a link), the
district trends and your own areas (with its map's frame); the large-area map
is scanned in ``test_browser_large_map.py``. Each finding is reported by rule, impact and the
elements it names.
"""

from __future__ import annotations

import json

import pytest

from tests.app_support import choose, map_frame, running_app, wait_idle, wait_rendered, write_test_atlas

pytestmark = pytest.mark.browser
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
         "resultTypes": ["violations"]}
SERIOUS = ("serious", "critical")


@pytest.fixture(scope="module")
def app_url(luton, tmp_path_factory):
    out, _ = write_test_atlas(luton, tmp_path_factory.mktemp("axe_out"))
    with running_app(out, log=out / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def axe_script() -> str:
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


def findings(target, axe_script: str) -> list[dict]:
    """The serious and critical axe-core findings in a page or frame: rule, impact, help and elements."""
    target.evaluate(axe_script)
    result = target.evaluate("options => axe.run(document, options)", RULES)
    return [{"rule": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [" ".join(map(str, n["target"])) + " :: " + n.get("failureSummary", "")[:200]
                       for n in v["nodes"][:6]]}
            for v in result["violations"] if v["impact"] in SERIOUS]


def assert_clean(target, axe_script: str, where: str) -> None:
    found = findings(target, axe_script)
    assert not found, f"{where}: " + json.dumps(found, indent=1, ensure_ascii=False)


def test_the_map_page_and_its_frame(page, app_url, axe_script):
    page.goto(app_url)
    frame = map_frame(page)
    wait_rendered(frame)
    page.get_by_role("heading", name="Table of the map's values").wait_for(timeout=60_000)
    assert_clean(page, axe_script, "map page")
    assert_clean(frame, axe_script, "map frame")
    page.get_by_role("button", name="Map options").click()
    page.get_by_text("Street map underneath").wait_for()
    assert_clean(page, axe_script, "map page with its options open (a decile layer)")
    page.keyboard.press("Escape")
    started = frame.evaluate("Date.now()")
    choose(page, "Indicator", "Income 2025: score")   # the map opens on IoD2025 (LSOA 2021): its income rate
    wait_rendered(frame, layer="income25_score", after=started)
    page.get_by_role("button", name="Map options").click()
    page.get_by_role("combobox", name="Classification").wait_for()
    wait_idle(page)
    assert_clean(page, axe_script, "map page with its options open (a rate)")
    assert_clean(frame, axe_script, "map frame (a rate)")
    page.keyboard.press("Escape")


def test_a_profile_page(page, app_url, luton, axe_script):
    code = luton.table("lsoa11").index[0]
    page.goto(f"{app_url}/profiles?la=E06000032&kind=lsoas&vintage=lsoa11&area={code}")
    page.get_by_role("heading", name="At a glance").wait_for(timeout=180_000)
    assert_clean(page, axe_script, "profile page")


def test_the_profile_page_downloads_a_tagged_pdf(page, app_url, tmp_path):
    """The accessible PDF button prints the profile through chromium from inside the app (its own thread)."""
    import pypdf

    page.goto(f"{app_url}/profiles?la=E06000032&kind=ward2023&area=E05014737")
    page.get_by_role("heading", name="At a glance").wait_for(timeout=180_000)
    wait_idle(page)
    with page.expect_download(timeout=120_000) as download:
        page.get_by_role("button", name="Download the accessible PDF (tagged)").click()
    out = tmp_path / download.value.suggested_filename
    download.value.save_as(out)
    root = pypdf.PdfReader(out).trailer["/Root"]
    assert out.name.endswith("-accessible.pdf") and "/StructTreeRoot" in root and root["/Lang"] == "en-GB"


def test_the_district_page(page, app_url, axe_script):
    page.goto(f"{app_url}/district")
    page.get_by_role("heading", name="District context: Luton").wait_for(timeout=120_000)
    page.wait_for_timeout(3000)    # its charts and tables come after the heading
    assert_clean(page, axe_script, "district page")


def test_the_own_areas_page_and_its_map(page, app_url, axe_script):
    page.goto(f"{app_url}/areas")
    page.get_by_role("heading", name="Make a set on the map").wait_for(timeout=120_000)
    wait_idle(page)
    frame = drawn_frame(page)
    assert_clean(page, axe_script, "own areas page")
    assert_clean(frame, axe_script, "own areas map frame")


def drawn_frame(page, timeout_s: float = 60):
    """The frame whose Leaflet map has drawn its areas (the page may hold an older frame it made first)."""
    count = "document.querySelectorAll('path.leaflet-interactive').length"
    for _ in range(int(timeout_s * 2)):
        for frame in page.frames:
            try:
                if frame != page.main_frame and frame.evaluate(count) > 0:
                    return frame
            except Exception:   # a frame detached while being asked
                continue
        page.wait_for_timeout(500)
    raise AssertionError("No map frame drew its areas in time.")
