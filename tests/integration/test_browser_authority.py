"""The chosen authority is kept on every page, in a real browser (issue 13).

Before, choosing Bedford on the map and opening District trends showed Luton
again. Here one app (``atlas app``, Debian's chromium through playwright) reads
Luton's and Bedford's atlases; the authority chosen on any page is the one
every other page shows, and the Authority box lists counties too.
"""

from __future__ import annotations

import shutil

import pytest

import atlas
from tests.app_support import choose, map_frame, running_app, wait_rendered

from ..conftest import BEDFORD, LUTON

pytestmark = pytest.mark.browser
BEDFORD_OPTION = f"Bedford ({BEDFORD})"
LUTON_OPTION = f"Luton ({LUTON})"


@pytest.fixture(scope="module")
def app_url(luton, source_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("authority_out")
    (out / "atlas").mkdir()
    shutil.copy(luton.path, out / "atlas" / luton.path.name)
    atlas.build(BEDFORD, source_dir=source_dir, out_dir=out / "atlas")
    with running_app(out, log=out / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def page(app_url, browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1200})
    page = context.new_page()
    page.goto(app_url)
    wait_rendered(map_frame(page))
    yield page
    context.close()


def authority_shown(page) -> str:
    return page.get_by_role("combobox", name="Authority", exact=True).input_value() or \
        page.locator("[data-testid='stSidebar'] [data-baseweb='select']").first.inner_text()


def open_page(page, title: str) -> None:
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=title).click()


def heading(page, text: str, timeout: float = 120_000) -> None:
    page.get_by_role("heading", name=text).first.wait_for(timeout=timeout)


def map_of(page, la: str, timeout: float = 60_000) -> dict:
    """Wait until the map has drawn the areas of ``la``; what it drew."""
    frame = map_frame(page)
    frame.wait_for_function("la => window.atlasRendered && window.atlasRendered.la === la", arg=la,
                            timeout=timeout, polling=50)
    return frame.evaluate("window.atlasRendered")


def test_the_authority_chosen_on_the_map_is_kept_on_every_page(page):
    heading(page, "Health Equity Atlas: Luton")
    for title, text in (("District trends", "District context: Luton"), ("Area profiles", "Area profiles: Luton"),
                        ("Map atlas", "Health Equity Atlas: Luton")):
        open_page(page, title)  # each page has drawn its own Authority box once, with Luton
        heading(page, text)
    map_of(page, LUTON)
    choose(page, "Authority", BEDFORD_OPTION)
    heading(page, "Health Equity Atlas: Bedford")
    assert map_of(page, BEDFORD)["geography"]
    open_page(page, "District trends")
    heading(page, "District context: Bedford")
    assert "Bedford" in authority_shown(page)
    open_page(page, "Area profiles")
    heading(page, "Area profiles: Bedford")
    assert "Bedford" in authority_shown(page)
    open_page(page, "Map atlas")
    heading(page, "Health Equity Atlas: Bedford")
    assert page.get_by_role("heading", name="Health Equity Atlas: Luton").count() == 0


def test_an_authority_chosen_on_another_page_is_kept_on_the_map(page):
    open_page(page, "District trends")
    heading(page, "District context: Bedford")
    choose(page, "Authority", LUTON_OPTION)
    heading(page, "District context: Luton")
    open_page(page, "Map atlas")
    heading(page, "Health Equity Atlas: Luton")
    assert map_of(page, LUTON)["geography"]
    open_page(page, "Area profiles")
    heading(page, "Area profiles: Luton")


def test_the_authority_box_offers_counties_by_name(page):
    box = page.get_by_role("combobox", name="Authority", exact=True)
    box.click()
    box.fill("Hertford")
    options = page.get_by_role("option")
    options.first.wait_for()
    names = options.all_inner_texts()
    assert "Hertfordshire (county, E10000015)" in names
    assert any(name.startswith("East Hertfordshire") for name in names)
    page.keyboard.press("Escape")
