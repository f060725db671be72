"""Ward coverage in a real browser (issue 16 item 4): Bedford's Biddenham, its IoD2019 figure and its LSOAs.

The app (``streamlit run``) opens Bedford's atlas on the wards' IoD2019 IMD score; the tooltip of
Biddenham (reached with the keyboard) and the note under the map say how much of its residents the
LSOAs 2011 placed in it hold. The figures are worked out from the raw files (test_honest_classes).
"""

from __future__ import annotations

import pytest

import atlas
from tests.app_support import map_frame, running_app, wait_rendered
from tests.integration.test_honest_classes import BEDFORD, BIDDENHAM, biddenham_from_the_files

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bedford_app(tmp_path_factory, source_dir):
    out = tmp_path_factory.mktemp("coverage_out")
    atlas.build(BEDFORD, source_dir=source_dir, out_dir=out / "atlas")
    with running_app(out, log=out / "streamlit.log") as url:
        yield url


def test_biddenham_tooltip_and_note_say_its_lsoas_hold_fewer_residents(browser, bedford_app, source_dir):
    in_2021, in_2015 = biddenham_from_the_files(source_dir)
    share = in_2015 / in_2021 * 100
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    try:
        page.goto(bedford_app + f"?la={BEDFORD}&geography=ward2023&layer=imd19_score")
        frame = map_frame(page)
        wait_rendered(frame, "imd19_score", timeout=180_000)
        area = frame.locator(f"path.atlas-area[data-code='{BIDDENHAM}']")
        area.focus()
        tip = frame.locator(".leaflet-tooltip")
        tip.wait_for()
        assert (f"Residents of its LSOA (2011) areas: {share:.0f}% ({in_2015:,.0f} of {in_2021:,.0f} residents): "
                f"more than 10% off") in tip.inner_text()
        page.get_by_text(f"Biddenham {share:.0f}%", exact=False).first.wait_for(timeout=60_000)
    finally:
        page.context.close()
