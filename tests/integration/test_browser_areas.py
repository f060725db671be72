"""The "Your own areas" page in a real browser: pick a ward, click an LSOA on the map, save the set.

Chromium (playwright) against ``streamlit run`` on a copy of Luton's atlas. The
saved set must be in the atlas on disk, made of the ward's LSOAs (as the
ONS best-fit lookup assigns them) and the clicked one, and listed by
``atlas areas list``. No request may leave the machine.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pandas as pd
import pytest

from atlas import cli, store
from tests.app_support import PROJECT, running_app, write_test_atlas

from ..conftest import LUTON

pytestmark = pytest.mark.browser
WARD_LOOKUP = "boundaries/LSOA_(2021)_to_Electoral_Ward_(2023)_to_LAD_(2023)_Best_Fit_Lookup_in_EW.csv.gz"
WARD = "E05014750"  # South, Luton (May 2023 wards)
ARTEFACTS = PROJECT / "artefacts"
FRAME = "iframe[title='streamlit_folium.st_folium']"


@pytest.fixture(scope="module")
def app(luton, tmp_path_factory):
    out, _ = write_test_atlas(luton, tmp_path_factory.mktemp("areas_out"))
    with running_app(out, log=out / "streamlit.log") as url:
        yield url, out


def _ward_lsoas(source_dir) -> list[str]:
    table = pd.read_csv(source_dir / WARD_LOOKUP, dtype=str)
    return sorted(table.loc[table["WD23CD"] == WARD, "LSOA21CD"])


def _click_lsoa(page, frame, luton, code: str) -> None:
    """Click the map at a point inside the LSOA (Leaflet turns its latitude and longitude into pixels)."""
    point = luton.table("lsoa21").geometry.loc[[code]].representative_point().to_crs(4326).iloc[0]
    xy = frame.evaluate("([lat, lng]) => { const p = window.map.latLngToContainerPoint([lat, lng]); "
                        "return [p.x, p.y]; }", [point.y, point.x])
    frame.locator(".leaflet-container").click(position={"x": xy[0], "y": xy[1]})


def test_make_a_set_by_ward_and_click_and_save_it(app, browser, luton, source_dir, capsys):
    context = browser.new_context(viewport={"width": 1600, "height": 1400})
    try:
        _make_and_save(context, app, luton, source_dir, capsys)
    except Exception:
        ARTEFACTS.mkdir(exist_ok=True)  # what the page showed, for the failure's report
        context.pages[0].screenshot(path=str(ARTEFACTS / "areas_page_failure.png"), full_page=True)
        raise
    finally:
        context.close()


def _make_and_save(context, app, luton, source_dir, capsys) -> None:
    url, out = app
    ward = _ward_lsoas(source_dir)
    outside = next(c for c in sorted(luton.table("lsoa21").index) if c not in ward)
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(f"{url}/areas")
    page.get_by_role("heading", name="Make a set on the map").wait_for()
    frame = page.wait_for_selector(FRAME, state="attached").content_frame()
    frame.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length === 125")

    box = page.get_by_role("combobox", name="Start from wards", exact=True)  # the keyboard route: type, choose
    box.click()
    box.fill("South")
    page.get_by_role("option", name=f"South ({WARD})", exact=True).click()
    page.get_by_text(f"{len(ward)} LSOAs (2021),", exact=False).wait_for()

    frame = page.wait_for_selector(FRAME, state="attached").content_frame()
    frame.wait_for_function("document.querySelectorAll('path.leaflet-interactive').length === 125")
    _click_lsoa(page, frame, luton, outside)
    page.get_by_text(f"{len(ward) + 1} LSOAs (2021),", exact=False).wait_for()

    page.get_by_label("Name of this area").fill("South and a neighbour")
    page.get_by_role("button", name="Add this area to the set").click()
    page.get_by_text("0 LSOAs (2021),", exact=False).wait_for()
    page.get_by_label("Name of the set").first.fill("Browser localities")
    page.get_by_text("into one more area").click()
    page.get_by_role("button", name="Save the set").click()
    page.get_by_text("Saved area set Browser localities", exact=False).wait_for()

    built = store.load(out / "atlas" / f"{LUTON}.gpkg")
    areas = built.table("areas_browser_localities")
    assert sorted(areas["name"]) == ["Rest of Luton", "South and a neighbour"]
    mine = areas.index[areas["name"] == "South and a neighbour"][0]
    assert areas.at[mine, "n_lsoa21"] == len(ward) + 1
    assert areas["n_lsoa21"].sum() == len(luton.table("lsoa21"))
    assert areas.at[mine, "census21_population"] == pytest.approx(
        luton.table("lsoa21")["census21_population"].reindex([*ward, outside]).sum())
    capsys.readouterr()
    assert cli.main(["areas", "list", "--atlas-dir", str(out / "atlas")]) == 0
    assert "Browser localities [areas_browser_localities] E06000032: 2 areas, 125 LSOAs" in capsys.readouterr().out
    hosts = {urlsplit(u).hostname for u in requests if u.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts
