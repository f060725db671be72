"""Health Equity Atlas: the Streamlit app (``streamlit run app.py``).

Thin: each page is a module of ``atlas/ui`` with a ``page()`` function.
"""

from __future__ import annotations

import streamlit as st

from atlas.ui import district_page, map_page, profile_page


def pages() -> list:
    """The map atlas first, then the area profiles and the district page."""
    return [st.Page(map_page.page, title="Map atlas", url_path="map", default=True),
            st.Page(profile_page.page, title="Area profiles", url_path="profiles"),
            st.Page(district_page.page, title="District trends", url_path="district")]


# No page or navigation icons: Streamlit fetches Material icons for the favicon from fonts.gstatic.com.
st.set_page_config(page_title="Health Equity Atlas", layout="wide")
st.navigation(pages()).run()
