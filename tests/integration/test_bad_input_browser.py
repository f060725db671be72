"""Text from data is text in the browser (issue 15): a layer named with Markdown image syntax and ``$x^2$``.

The app reads a copy of Luton's atlas with one more layer whose label, units
and area name are Markdown and mathematics. In Debian's chromium the label must
show as written (no image, no typeset formula) and the page must request nothing
from any host but the app's.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest

from tests.app_support import CHROMIUM, launch, map_frame, running_app, wait_rendered, write_test_atlas

pytestmark = pytest.mark.browser
OUTSIDE = "http://example.invalid/pixel.png"
LABEL = f"![pixel]({OUTSIDE}) $x^2$"
LAYER = "test_markdown"


@pytest.fixture(scope="module")
def app_url(luton, tmp_path_factory):
    from atlas import store

    out, _ = write_test_atlas(luton, tmp_path_factory.mktemp("markdown_out"))
    built = store.load(out / "atlas" / "E06000032.gpkg")
    frame = built.table("lsoa11")
    base = built.layer("test_constant", "lsoa11")
    meta = {**base, "label": LABEL, "units": "$", "description": f"Described as {LABEL}.",
            "attribution": f"Source: [a link]({OUTSIDE}) $y$"}
    values = pd.DataFrame({"value": np.linspace(1, 9, len(frame))}, index=frame.index)
    store.save(built.with_layer("lsoa11", LAYER, values, meta), out / "atlas")
    with running_app(out, log=out / "streamlit.log") as url:
        yield url


def test_markdown_and_math_in_a_layer_name_show_as_written_and_fetch_nothing(app_url):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"The browser tests need Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1600, "height": 1300})
        requests = []
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.goto(f"{app_url}/?la=E06000032&geography=lsoa11&layer={LAYER}")
        wait_rendered(map_frame(page), layer=LAYER)
        heading = page.locator("h3", has_text="pixel").first
        heading.wait_for(timeout=60_000)
        assert LABEL in heading.inner_text()  # the brackets, URL and dollars, as written
        page.get_by_text(f"Described as {LABEL}.").first.wait_for(timeout=30_000)
        assert page.locator("img[src*='example.invalid']").count() == 0
        assert page.locator(".katex, math, mjx-container").count() == 0  # nothing typeset
        page.wait_for_timeout(1000)
        host = urlsplit(app_url).netloc
        hosts = {urlsplit(u).netloc for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
        assert hosts == {host}, json.dumps(sorted(requests), indent=1)
        context.close()
        browser.close()
