"""Health Equity Atlas: the Streamlit app (``streamlit run app.py``).

Thin: each page is a module of ``atlas/ui`` with a ``page()`` function. The
pages other parts of the atlas add are registered below when their module
exists.
"""

from __future__ import annotations

import importlib
import importlib.util

import streamlit as st

from atlas.ui import map_page

#: Optional pages: module -> (title, URL path). Each is shown when its module exists.
OPTIONAL_PAGES = {
    "atlas.ui.profile_page": ("Area profiles", "profiles"),
    "atlas.ui.district_page": ("District trends", "district"),
}


def pages() -> list:
    """The map atlas first, then each optional page whose module is installed."""
    found = [st.Page(map_page.page, title="Map atlas", url_path="map", default=True)]
    for module, (title, path) in OPTIONAL_PAGES.items():
        if importlib.util.find_spec(module) is not None:
            found.append(st.Page(importlib.import_module(module).page, title=title, url_path=path))
    return found


# No page or navigation icons: Streamlit fetches Material icons for the favicon from fonts.gstatic.com.
st.set_page_config(page_title="Health Equity Atlas", layout="wide")
st.navigation(pages()).run()
