"""The Streamlit app: five pages, each a module of :mod:`atlas.ui` with a ``page()`` function.

Started by ``atlas app`` (which runs this file with ``streamlit run``); the
checkout's top-level ``app.py`` runs the same :func:`run`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from atlas.ui import areas_page, district_page, large_map_page, map_page, profile_page
from atlas.ui.common import guarded, page_style

#: This file: the script ``atlas app`` hands to ``streamlit run``.
APP_SCRIPT = Path(__file__).resolve()


def pages() -> list:
    """The map atlas first, then the area profiles, the district page, your own areas and the large-area map."""
    return [st.Page(guarded(map_page.page), title="Map atlas", url_path="map", default=True),
            st.Page(guarded(profile_page.page), title="Area profiles", url_path="profiles"),
            st.Page(guarded(district_page.page), title="District trends", url_path="district"),
            st.Page(guarded(areas_page.page), title="Your own areas", url_path="areas"),
            st.Page(guarded(large_map_page.page), title="Large-area map", url_path="large-map")]


def run() -> None:
    """Lay out the app and run the page the reader chose (called on every rerun)."""
    # No page or navigation icons: Streamlit fetches Material icons for the favicon from fonts.gstatic.com.
    st.set_page_config(page_title="Health Equity Atlas", layout="wide")
    page_style()
    st.navigation(pages()).run()


if __name__ == "__main__":
    run()
