"""The "Large-area map" page: an atlas of many areas (a region, England) drawn on one canvas in the browser.

For atlases too big for the map atlas page's one SVG path per area (a region's
3,000-5,000 LSOAs, England's 33,755), though it works for any atlas. The
controls (authority in the sidebar; geography, indicator, classification and
number of classes above the map) are ordinary Streamlit widgets, labelled and
keyboard-usable; the map itself (:mod:`atlas.ui.large_map`) pans with the arrow
keys, zooms with + and -, and Enter names the area at its centre. Under the map:
the title, geography, period, source and licence, and the table alternative
(pages of :data:`TABLE_PAGE` rows, filterable by name or code, with a CSV of every
area).
"""

from __future__ import annotations

import math

import streamlit as st

from .. import webmap
from ..classify import SCHEMES
from ..errors import AtlasError
from ..plaintext import plain
from . import common, large_map
from .assets import serve_assets

#: Rows of the table shown at a time (the CSV download holds every area).
TABLE_PAGE = 500
#: The outline choice that draws none.
NO_OUTLINE = "none"
#: Numbers of classes offered.
CLASS_COUNTS = (3, 4, 5, 6, 7, 8, 9)


def page() -> None:
    """Draw the large-area map page."""
    urls = serve_assets()
    built = common.chosen_atlas("large_la")
    st.title(plain(f"Large-area map: {built.la_name}"), anchor="large-map-title")
    _map_and_table(built, urls)


@st.fragment
@common.guarded
def _map_and_table(built, urls) -> None:
    """Controls, map and table: a change of layer reruns only this part, and sends only classes to the map."""
    geography_column, indicator_column, scheme_column, k_column, outline_column = st.columns(
        [1.2, 2.4, 1.4, 0.8, 1.4], vertical_alignment="bottom")
    with geography_column:
        geography = _geography_control(built)
    if geography is None:
        return
    layer, meta = _indicator_control(built, geography, indicator_column)
    scheme, k = _classification_controls(meta, scheme_column, k_column)
    try:
        view = common.map_view(built, layer, geography, scheme=scheme, k=k)
    except AtlasError as exc:
        st.error(plain(exc))
        return
    if view.message:
        st.warning(plain(view.message))
    geometry = large_map.geometry(built, geography, urls.web_dir)
    values = large_map.layer_values_file(built, view, geometry, urls.web_dir)
    outline = _outline_control(built, geography, outline_column)
    outline_set = (large_map.geometry(built, outline, urls.web_dir), _outline_label(built, outline)) if outline else None
    large_map.draw(large_map.map_args(view, geometry, values, urls, outline_set))
    _about(view)
    _table(view)


def _geography_control(built) -> str | None:
    available, labels = common.mapped_geographies(built)
    if not available:
        st.error(plain(f"The {built.la_name} atlas has no indicators on any geography."))
        return None
    lsoas = [g for g in built.geographies_at("lsoa") if g in available]
    if st.session_state.get("large_geography") not in available:
        st.session_state["large_geography"] = lsoas[0] if lsoas else available[0]
    return st.selectbox("Geography", available, key="large_geography", format_func=lambda g: labels.get(g, g),
                        help="Small areas (LSOA), MSOAs, wards or districts, with the boundary vintage.")


def _outline_control(built, geography: str, column) -> str | None:
    """Which larger areas' boundaries are drawn over the map (districts by default where there are several)."""
    choices = large_map.outline_geographies(built, geography)
    if not choices:
        return None
    options = [NO_OUTLINE, *choices]
    if st.session_state.get("large_outline") not in options:
        levels = built.report.geography_levels()
        st.session_state["large_outline"] = next((g for g in choices if levels.get(g) == "district"), choices[0])
    chosen = column.selectbox("Boundaries on top", options, key="large_outline",
                              format_func=lambda g: "None" if g == NO_OUTLINE else _outline_label(built, g),
                              help="Outlines of larger areas drawn over the colours: upper-tier authorities "
                                   "(counties and unitaries), districts or wards.")
    return None if chosen == NO_OUTLINE else chosen


def _outline_label(built, geography: str) -> str:
    """The outlined geography's label (with its vintage), as the control, legend and text alternative name it."""
    return common.mapped_geographies(built)[1].get(geography, geography)


def _indicator_control(built, geography: str, column) -> tuple[str, dict]:
    layers = built.layers_on(geography)
    labels = dict(zip(layers["layer"], layers["label"].astype(str)))
    if st.session_state.get("large_layer") not in labels:
        st.session_state["large_layer"] = _headline_layer(layers)
    layer = column.selectbox("Indicator", list(labels), key="large_layer", format_func=labels.get,
                             help="Type to search. Switching sends only each area's class to the map.")
    return layer, layers[layers["layer"] == layer].iloc[0].to_dict()


def _headline_layer(layers) -> str:
    """The indicator a geography opens on: its first IMD layer that is not a decile, else its first layer."""
    imd = layers[layers["layer"].str.startswith("imd") & (layers["kind"] != "decile")]
    return (imd if len(imd) else layers)["layer"].iloc[0]


def _classification_controls(meta: dict, scheme_column, k_column) -> tuple[str, int]:
    if meta["kind"] == "decile":
        scheme_column.caption("National deciles: ten fixed classes.")
        return "quantiles", 5
    scheme = scheme_column.selectbox("Classification", list(SCHEMES), key="large_scheme", format_func=SCHEMES.get)
    k = k_column.selectbox("Classes", CLASS_COUNTS, index=CLASS_COUNTS.index(5), key="large_k")
    return scheme, int(k)


def _about(view: webmap.MapView) -> None:
    """Title, geography and period, classification, source, licence and attribution of what the map shows."""
    meta = view.meta
    st.subheader(plain(view.title))
    st.caption(plain(f"{view.subtitle}. {view.values.notna().sum()} of {len(view.values)} areas with a value; "
                     f"classes: {view.classes.scheme if view.classes is not None else 'none'}."))
    st.caption(plain(f"Source: {meta.get('source_title')}, {meta.get('publisher')}. Licence: {meta.get('licence')}. "
                     f"{webmap.attribution(meta)}"))
    st.caption("On the map: drag or use the arrow keys to pan, + and - to zoom, Enter to name the area at the "
               "centre; hover or click an area for its figures.")


def _table(view: webmap.MapView) -> None:
    """The table alternative to the map: every area's value and class, a page at a time, and a CSV of all."""
    st.subheader("Table of the map's values")
    table = webmap.view_table(view)
    query = st.text_input("Filter the table by area name or code", key="large_filter",
                          placeholder="e.g. Luton 001 or E01015...")
    words = " ".join(str(query).split()).lower()
    if words:
        found = table["Area code"].str.lower().str.contains(words, regex=False) | \
            table["Area name"].str.lower().str.contains(words, regex=False)
        table = table[found.to_numpy()]
    pages = max(1, math.ceil(len(table) / TABLE_PAGE))
    number = 1
    if pages > 1:
        number = int(st.number_input(plain(f"Table page (of {pages}, {TABLE_PAGE} rows each)"), min_value=1,
                                     max_value=pages, value=1, step=1, key="large_table_page"))
    start = (number - 1) * TABLE_PAGE
    st.caption(plain(f"Rows {min(start + 1, len(table))} to {min(start + TABLE_PAGE, len(table))} of {len(table)} "
                     f"areas{' matching the filter' if words else ''}. Select a column heading to sort this page; "
                     f"the CSV holds every area."))
    st.dataframe(table.iloc[start:start + TABLE_PAGE], hide_index=True, width="stretch")
    st.download_button("Download the whole table (CSV)", lambda: webmap.view_csv(view), on_click="ignore",
                       file_name=f"{view.la_code}_{view.geography}_{view.layer}.csv", mime="text/csv",
                       help="Every area, with the indicator, units, period, geography, source and licence on "
                            "every row.")
