"""The map atlas page: choose a district, geography, indicator and classification; read the map.

The sidebar holds the authority, what the atlas was built from, and the upload
of your own indicator. Above the map sits one compact bar: geography, theme,
indicator, a place search (postcode, ward or LSOA name) and a "Map options"
button holding the classification, classes, palette, street map, second layer
and point colourings; all ordinary Streamlit widgets, labelled and
keyboard-usable. They and everything below them are one fragment, so changing
them reruns only that part of the page. The map takes the rest of the viewport
(its frame's height comes from the viewport: :data:`atlas.ui.common.MAP_PAGE_STYLE`),
with its title, a foldable legend, tooltips, popups linking to each area's
profile and the layer control; under it the match report of an uploaded file
(full width; adding the file's layer selects it, so the map shows it at once),
the statistics panel, an export for
reports, the indicator's metadata and the table of what the map shows, with a
CSV download. The URL keeps the view (authority, geography, indicator,
classification and the area found), so a link reproduces it. Point sets
(GP practices, pharmacies ...) are switchable overlays; a set with attributes or
indicators (GP practices: their Primary Care Network, QOF registers) has a
"Colour ... by" control, a legend on the map and a table of its points.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from .. import export, point_styles, view_defaults, webmap
from ..classify import DEFAULT_PALETTE, SCHEMES, SEQUENTIAL_PALETTES
from ..errors import AtlasError
from ..plaintext import plain
from . import analyses, common
from .assets import serve_assets
from .profile_page import warm_first_profile
from .upload import report_section, upload_section

#: The map frame's height before the page's style sizes it from the viewport.
MAP_HEIGHT = 560
PALETTE_NAMES = {
    "YlOrRd": "Yellow-orange-red", "OrRd": "Orange-red", "YlOrBr": "Yellow-orange-brown", "Reds": "Reds",
    "Oranges": "Oranges", "Purples": "Purples", "Blues": "Blues", "Greens": "Greens", "PuBu": "Purple-blue",
    "YlGnBu": "Yellow-green-blue", "BuPu": "Blue-purple",
}
DEFAULT_PALETTE_OPTION = "default"
#: Query parameters that make a view shareable as a link (widget keys, and ``area``: the place found).
LINK_KEYS = ("la", "geography", "layer", "scheme", "k", "palette", "area")
#: Session key of the place found by the search (a dict: key, label, code, bounds, point).
FOCUS_KEY = "_focus"
#: Widget keys whose values survive a visit to another page (Streamlit drops a widget's state when a
#: page without it runs).
KEPT_KEYS = ("la", "geography", "theme", "layer", "scheme", "k", "palette", "tiles")
#: Widget key of the "Colour ... by" control of a point set (kept across pages too).
COLOUR_KEY = "colour_by_{}"


def page() -> None:
    """Draw the map atlas page."""
    _restore_choices()
    _from_link()
    urls = serve_assets()
    st.html(common.MAP_PAGE_STYLE)
    built = common.chosen_atlas("la")
    _about_build(built)
    built = upload_section(built, container=st.sidebar)
    st.title(plain(f"Health Equity Atlas: {built.la_name}"), anchor="atlas-page-title")
    _atlas(built, urls)
    if built is common.load_atlas(built.la_code):  # no uploads: warm the profile page's first profile, once per build
        warm_first_profile(built)


@st.fragment
@common.guarded
def _atlas(built, urls) -> None:
    """Controls, map, statistics and table: a change here reruns only this part of the page."""
    geography_column, theme_column, indicator_column, search_column, options_column = st.columns(
        [1.1, 1.1, 2.2, 1.8, 0.9], vertical_alignment="bottom")
    with geography_column:
        geography = _geography_control(built)
    if geography is None:
        return
    layer, meta = _indicator_control(built, geography, theme_column, indicator_column)
    focus = _search(built, geography, search_column)
    with options_column.popover("Map options", width="stretch",
                                help="Classification, colours, street map, a second layer and point colourings"):
        scheme, k, palette, tiles = _classification_controls(meta)
        category_kind, partner = analyses.category_controls(built, geography, layer, st.container())
        chosen_layer = layer
        built, layer = analyses.smoothed_toggle(built, geography, layer, st.container())
        sets = _point_sets(built)
        colour_by = _point_colour_controls(built, sets)
    _to_link(built.la_code, geography, chosen_layer, focus)
    _keep_choices()
    try:
        view = common.map_view(built, layer, geography, scheme=scheme, k=k, palette=palette)
    except AtlasError as exc:
        st.error(plain(exc))
        return
    summary, no_summary = _summary(built, view, analyses.fdr_chosen(category_kind))
    lisa, lisa_note = _lisa(summary, no_summary)
    categories, category_entry, category_note = analyses.category_layer(built, view, category_kind, partner, lisa,
                                                                        lisa_note)

    if view.message:
        st.warning(plain(view.message))
    _draw_map(built, view, urls, categories, category_note, tiles, sets, colour_by, focus)
    report_section(built)
    about_column, stats_column = st.columns([3, 2], gap="medium")
    with about_column:
        st.subheader(plain(view.title))
        st.caption(plain(view.subtitle))
        if view.coverage_warning:  # below the map, so the map keeps its place
            st.warning(plain(view.coverage_warning))
        _export(built, view, scheme, k, palette)
        _metadata(view, category_note if categories is not None else lisa_note)
    with stats_column:
        _statistics(built, view, summary, no_summary)
        analyses.panel(built, view, category_kind, category_entry)
    _table(view, lisa, categories if category_kind != analyses.LISA else None)
    analyses.area_funnel(built, view)
    analyses.change_table(category_entry if category_kind == analyses.CHANGE else None)
    analyses.change_shares(built, geography)
    _points_tables(built, sets, colour_by)
    analyses.funnel_section(built)


# -- controls -----------------------------------------------------------------------------------------
def _about_build(built) -> None:
    """When and from what the atlas was built, its warnings, and a rebuild button."""
    report = built.report
    warnings = report.warnings
    title = f"About this atlas ({len(warnings)} warning{'' if len(warnings) == 1 else 's'})"
    with st.sidebar.expander(title):
        st.caption(plain(f"Built {_when(report.built)} from the official files in "
                         f"{report.source_dir or 'the source directory'}; saved as {built.path}."))
        for warning in warnings:
            st.caption(plain(warning))
        if st.button("Rebuild from the official files", key="rebuild",
                     help="Reads the source directory again, e.g. after new files or layer specs were added."):
            try:
                with st.spinner(f"Rebuilding the atlas of {built.la_name} ..."):
                    common.rebuild(built.la_code)
            except AtlasError as exc:
                st.error(plain(f"The rebuild failed; the earlier atlas is kept. {exc}"))
                return
            st.rerun()


def _when(timestamp: str | None) -> str:
    try:
        return dt.datetime.fromisoformat(timestamp).strftime("%d %B %Y at %H:%M %Z").replace(" UTC", " (UTC)")
    except (TypeError, ValueError):
        return "at an unknown time"


def _geography_control(built) -> str | None:
    available, labels = common.mapped_geographies(built)
    if not available:
        st.error(plain(f"The {built.la_name} atlas has no indicators on any geography."))
        return None
    current = st.session_state.get("geography")
    if current not in available:
        opening = _opening_geography(built, available)
        if current is not None:
            missing = labels.get(current, current)
            st.info(plain(f"{built.la_name} has no {missing} data in the source directory; showing "
                          f"{labels.get(opening, opening)} instead."))
        st.session_state["geography"] = opening
    return st.selectbox("Geography", available, key="geography", format_func=lambda g: labels.get(g, g),
                        help="Small areas (LSOA, output area), MSOAs or wards, with the boundary vintage.")


def _opening_geography(built, available: list[str]) -> str:
    """The geography the map opens on: the opening indicator's (the newest IoD, :mod:`atlas.view_defaults`)."""
    opening = view_defaults.opening_view(built)
    return opening[0] if opening and opening[0] in available else available[0]


def _indicator_control(built, geography: str, theme_column, indicator_column) -> tuple[str, dict]:
    """Theme and indicator select boxes; the chosen layer and its metadata."""
    layers = built.layers_on(geography)
    layers["theme"] = layers["theme"].fillna("Other")
    themes = list(dict.fromkeys(layers["theme"]))
    wanted = st.session_state.get("layer")
    if wanted not in set(layers["layer"]):
        wanted = view_defaults.headline_layer(layers)
    if st.session_state.get("theme") not in themes or st.session_state.get("layer") != wanted:
        # follow the indicator (kept across geographies where it exists, else the headline one)
        st.session_state["theme"] = layers.loc[layers["layer"] == wanted, "theme"].iloc[0]
    theme = theme_column.selectbox("Theme", themes, key="theme")
    in_theme = layers[layers["theme"] == theme]
    labels = dict(zip(in_theme["layer"], in_theme["label"]))
    if st.session_state.get("layer") not in labels:
        st.session_state["layer"] = wanted if wanted in labels else next(iter(labels))
    layer = indicator_column.selectbox("Indicator", list(labels), key="layer", format_func=labels.get)
    return layer, in_theme[in_theme["layer"] == layer].iloc[0].to_dict()


def _classification_controls(meta: dict) -> tuple[str, int, str | None, bool]:
    """Classification, classes, palette and street map; a national decile has fixed classes (no controls)."""
    if meta["kind"] == "decile":
        st.caption("National deciles are always shown as ten fixed categories (1 = most deprived 10% "
                   "nationally), in one colour-blind-safe diverging palette.")
        return "quantiles", 5, None, _tiles_control(st.container())
    scheme_column, k_column, palette_column, tiles_column = (st.container() for _ in range(4))
    scheme = scheme_column.selectbox(
        "Classification", list(SCHEMES), key="scheme", format_func=SCHEMES.get,
        help="How values are grouped into classes: equal numbers of areas (quantiles), natural groupings "
             "(Fisher-Jenks) or equal ranges of values.")
    k = k_column.slider("Number of classes", min_value=3, max_value=9, value=5, key="k")
    own = meta.get("palette") or DEFAULT_PALETTE.get(meta.get("higher_is"), "Purples")
    palette = palette_column.selectbox(
        "Colour palette", [DEFAULT_PALETTE_OPTION, *SEQUENTIAL_PALETTES], key="palette",
        format_func=lambda p: "The indicator's own" if p == DEFAULT_PALETTE_OPTION else PALETTE_NAMES.get(p, p),
        help=plain(f"Colour-blind-safe ColorBrewer palettes; the darker end always marks the worse values. This "
                   f"indicator's own palette is {PALETTE_NAMES.get(own, own)}."))
    tiles = _tiles_control(tiles_column)
    return scheme, int(k), None if palette == DEFAULT_PALETTE_OPTION else palette, tiles


def _tiles_control(column) -> bool:
    return column.toggle(
        "Street map underneath", key="tiles", value=False,
        help="OpenStreetMap tiles under the areas. They come from openstreetmap.org, so they need internet "
             "access; the atlas is complete without them.")


def _point_sets(built) -> dict[str, dict]:
    """The district's point sets that have points: id -> the set's own metadata row ({} when the atlas has none)."""
    own = built.layers[built.layers["kind"] == "points"]
    rows = {(row["geography"], row["layer"]): row for row in own.to_dict("records")}
    return {name: rows.get((f"points:{name}", name), {}) for name, frame in built.points.items() if len(frame)}


def _set_label(name: str, meta: dict) -> str:
    """A point set's label (its metadata's, else its id in words)."""
    return str(meta.get("label") or name.replace("_", " ").capitalize())


def _point_colour_controls(built, sets: dict[str, dict]) -> dict[str, str]:
    """A "Colour <set> by" select box per point set that has colourings; the choice of each set."""
    options_of = {name: common.colour_options(built, name) for name in sets}
    options_of = {name: options for name, options in options_of.items() if options}
    chosen = {}
    for column, (name, options) in zip([st.container() for _ in options_of], options_of.items()):
        key = COLOUR_KEY.format(name)
        if st.session_state.get(key) not in options:
            st.session_state[key] = next(iter(options))
        label = _set_label(name, sets[name])
        chosen[name] = column.selectbox(
            plain(f"Colour {_in_sentence(label)} by"), list(options), key=key, format_func=options.get,
            help=plain(f"{label} on the map (switch them on in the map's layer list; choosing a colouring shows "
                 f"them): coloured by {next(iter(options.values()))}, or by one of their indicators (a QOF "
                 f"register's recorded prevalence, classed as the area maps are), with its 95% interval and the "
                 f"comparison with {built.la_name} and England in each tooltip. Larger markers: larger lists. "
                 f"Their table is under the map. When the areas are drawn in the same colours, choose another "
                 f"colour palette for the areas to tell the two apart."))
    return chosen


def _in_sentence(label: str) -> str:
    """A label inside a sentence: first letter in lower case unless it starts an acronym ("GP practices")."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]


def _kept_keys() -> list[str]:
    return [*KEPT_KEYS, *(k for k in st.session_state if str(k).startswith(COLOUR_KEY.format("")))]


def _restore_choices() -> None:
    prefix = "_kept_"
    for kept in [k for k in st.session_state if str(k).startswith(prefix)]:
        key = kept[len(prefix):]
        if key not in st.session_state:
            st.session_state[key] = st.session_state[kept]


def _keep_choices() -> None:
    for key in _kept_keys():
        if key in st.session_state:
            st.session_state[f"_kept_{key}"] = st.session_state[key]


def _from_link() -> None:
    """Start from the view a shared link names (``?la=...&geography=...&layer=...&scheme=...&k=...&area=...``).

    A value the page cannot show (an unknown scheme, palette or number of
    classes) is ignored: the control keeps its default.
    """
    if st.session_state.get("_link_read"):
        return
    st.session_state["_link_read"] = True
    for key in LINK_KEYS:
        value = st.query_params.get(key)
        if value is None or key == "area":
            continue
        if key == "k":
            value = int(value) if value.isdigit() and 3 <= int(value) <= 9 else None
        elif key == "scheme" and value not in SCHEMES or key == "palette" and value not in (
                DEFAULT_PALETTE_OPTION, *SEQUENTIAL_PALETTES):
            value = None
        if value is not None:
            st.session_state[key] = value
    if st.query_params.get("area"):
        st.session_state["_link_area"] = st.query_params["area"]


def _to_link(la: str, geography: str, layer: str, focus: dict | None) -> None:
    """Write the view into the URL (only when it changed, so the browser's history is not flooded)."""
    wanted = {"la": la, "geography": geography, "layer": layer,
              "scheme": str(st.session_state.get("scheme", "quantiles")), "k": str(st.session_state.get("k", 5)),
              "palette": str(st.session_state.get("palette", DEFAULT_PALETTE_OPTION))}
    if focus and focus.get("code"):
        wanted["area"] = focus["code"]
    if {key: st.query_params.get(key) for key in LINK_KEYS} != wanted:
        st.query_params.from_dict(wanted)


# -- finding a place ----------------------------------------------------------------------------------
def _search(built, geography: str, column) -> dict | None:
    """The "Find a place" box: a postcode, ward or LSOA name or code; the place to fly to, if any.

    The place found is kept (and written into the URL as ``area``) until
    another search, the geography or the authority changes; a link's ``area``
    is found again on opening. What was found (or that nothing was) is said in
    a toast, so the bar and the map keep their place on the page (an element
    put before the map would make Streamlit draw its frame anew).
    """
    with column:
        return _find(built, geography)


def _find(built, geography: str) -> dict | None:
    query = st.text_input("Find a place", key="place", placeholder="Postcode, ward or LSOA",
                              help="A postcode (LU1 3JU), or part of a ward's or LSOA's name or code: the map "
                                   "flies to it and outlines the area it lies in.")
    linked = st.session_state.pop("_link_area", None)
    if linked and not query:
        query = linked
    focus = st.session_state.get(FOCUS_KEY)
    wanted = (built.la_code, geography, " ".join(str(query).split()).lower())
    if focus and focus.get("query") == wanted:
        return focus
    if not wanted[2]:
        st.session_state.pop(FOCUS_KEY, None)
        return None
    named = [*built.geographies_at("ward"), geography]
    try:
        found = common.find_places(built, query, geography, list(dict.fromkeys(named)))
    except AtlasError as exc:
        st.toast(plain(f"The search cannot read postcodes: {exc}"))
        found = []
    if not found:
        st.toast(plain(f"No postcode, ward or area of {built.la_name} matches \"{query}\"."))
        st.session_state.pop(FOCUS_KEY, None)
        return None
    place = found[0]
    focus = {"key": "|".join(wanted), "query": wanted, "label": place.label, "code": place.code,
             "bounds": place.bounds, "point": place.point}
    st.session_state[FOCUS_KEY] = focus
    more = f" ({len(found) - 1} more match: type more of the name)" if len(found) > 1 else ""
    st.toast(plain(f"Found {place.label}{more}."))
    return focus


# -- the map ----------------------------------------------------------------------------------------
def _summary(built, view: webmap.MapView, fdr: bool) -> tuple[dict | None, str | None]:
    """The layer's statistics (LISA with the false-discovery-rate cut-off when ``fdr``), or why there are none."""
    if view.classes is None:
        return None, "No statistics: the indicator has no values in these areas."
    try:
        return common.summary(built, view.layer, view.geography, fdr=fdr), None
    except AtlasError as exc:
        return None, f"No statistics for this indicator: {exc}"


def _lisa(summary: dict | None, reason: str | None) -> tuple[pd.Series | None, str]:
    """The LISA cluster of each area (from the statistics, so map and panel agree), or why there is none."""
    entry = (summary or {}).get("lisa") or {}
    if not entry.get("available"):
        return None, entry.get("message") or reason or "No LISA clusters for this indicator."
    cut = f"false-discovery-rate cut-off at {entry['alpha']:g}" if entry.get("fdr") else f"p < {entry['alpha']:g}"
    note = f"Local Moran's I, {entry['permutations']} permutations (seed {entry['seed']}), {cut}"
    return pd.Series(entry["areas"], dtype=object), note


def _ward_overlay(built, geography: str) -> str | None:
    """The outlines drawn over the map: a county's districts, else the newest ward geography (not the one mapped)."""
    levels = built.report.geography_levels()
    for level in ("district", "ward"):
        found = [g for g in built.geographies if levels.get(g) == level and g != geography]
        if found:
            return found[-1]
    return None


def upper_tier_overlay(built, geography: str) -> str | None:
    """The upper-tier authorities drawn over a region's or England's map (with the districts), else None."""
    found = [g for g in built.geographies_at("upper_tier")
             if g != geography and built.report.geographies[g].get("areas", 0) > 1]
    return found[0] if found else None


def _point_overlays(built, urls, sets: dict[str, dict], colour_by: dict[str, str]) -> list[dict]:
    """The district's point sets (GP practices, pharmacies ...) as overlays, off until switched on.

    A set in ``colour_by`` carries its ``style`` (colours, sizes, legend and
    tooltip lines: :func:`atlas.point_styles.point_style_payload`).
    """
    overlays = []
    for name, meta in sets.items():
        file = common.points_file(built, name, built.points[name], point_styles.POINT_FIELDS, urls.web_dir)
        label = _set_label(name, meta)
        overlay = {"id": name, "label": label, "url": urls.web + file.name, "count": file.count,
                   "attribution": meta.get("attribution") or "", "show": False}
        if name in colour_by:
            overlay["style"] = _point_style(built, name, label, colour_by[name])
        overlays.append(overlay)
    return overlays


def _point_style(built, point_set: str, label: str, colour_by: str) -> dict:
    """The set's style for the map, or its default colouring (with a warning) when that cannot be drawn."""
    try:
        return common.point_style(built, point_set, colour_by)
    except AtlasError as exc:
        st.warning(plain(f"{label} cannot be coloured by {colour_by}: {exc} They are shown in their default colours."))
        return common.point_style(built, point_set)


def _draw_map(built, view, urls, categories, category_note, tiles: bool, sets: dict[str, dict],
              colour_by: dict[str, str], focus: dict | None = None) -> None:
    areas = common.geometry_file(built, view.geography, urls.web_dir)
    wards = ward = None
    ward_geography = _ward_overlay(built, view.geography)
    if ward_geography:
        ward_file = common.geometry_file(built, ward_geography, urls.web_dir)
        label = built.geography_labels.get(ward_geography, ward_geography)
        wards = (urls.web + ward_file.name, label)
        ward = (label.replace("Wards", "Ward"), common.area_wards(built, view.geography, ward_geography))
    upper = upper_tier_overlay(built, view.geography)
    if upper:
        upper_file = common.geometry_file(built, upper, urls.web_dir)
        upper = (urls.web + upper_file.name, common.mapped_geographies(built)[1].get(upper, upper))
    payload = webmap.map_payload(view, areas, urls.web + areas.name, wards=wards, lisa_note=category_note, upper=upper,
                                 points=_point_overlays(built, urls, sets, colour_by), tiles=tiles,
                                 categories=categories, ward=ward, profile=_profile_link(built, view.geography),
                                 focus={k: v for k, v in focus.items() if k != "query"} if focus else None)
    fmap = webmap.base_map(urls.leaflet, urls.static, tiles=tiles)
    st_folium(fmap, key="atlas_map", height=MAP_HEIGHT, use_container_width=True, returned_objects=[],
              feature_group_to_add=webmap.map_layers(payload))


#: Relative to the map frame (``/component/<name>/index.html``): the app's root, where the pages are.
APP_ROOT = "../../"


def _profile_link(built, geography: str) -> str | None:
    """The URL of an area's profile (``{code}`` for its code), or None when the geography has no profiles.

    The profile page reads the authority, the kind of area and the area from
    these query parameters (:func:`atlas.ui.profile_page.page`).
    """
    from ..profiles import lsoa_geographies, named_geographies

    if geography in lsoa_geographies(built):
        return f"{APP_ROOT}profiles?la={built.la_code}&kind=lsoas&vintage={geography}&area={{code}}"
    if geography in named_geographies(built):
        return f"{APP_ROOT}profiles?la={built.la_code}&kind={geography}&area={{code}}"
    return None


def _metadata(view: webmap.MapView, lisa_note: str | None) -> None:
    meta = view.meta
    st.markdown("#### About this indicator")
    st.markdown(plain(str(meta.get("description") or "")))
    rows = {
        "Units": meta.get("units"),
        "Period": meta.get("period"),
        "Geography": f"{meta.get('geography_label')} ({view.values.notna().sum()} of {len(view.values)} areas "
                     f"with a value)",
        "Method": meta.get("method"),
        "Classification": view.classes.scheme if view.classes is not None else "none",
        "Source": f"{meta.get('source_title')}, {meta.get('publisher')}",
        "Licence": meta.get("licence"),
        "Attribution": webmap.attribution(meta),
        "Second map layer": lisa_note,
    }
    if meta.get("url"):
        rows["Official file"] = meta["url"]
    lines = [f"- **{plain(name)}:** {plain(str(value))}" for name, value in rows.items() if value]
    st.markdown("\n".join(lines))


# -- statistics, table, export ------------------------------------------------------------------------
def _statistics(built, view: webmap.MapView, summary: dict | None, reason: str | None) -> None:
    st.subheader("Inequality statistics")
    st.caption(plain(f"{view.title}, {view.meta['geography_label']}, {built.la_name}"))
    if summary is None:
        st.info(plain(reason))
        return
    moran, lisa, gini = summary["moran"], summary["lisa"], summary["gini"]
    _figure("Spatial pattern: Moran's I", moran, lambda e: f"{e['I']:.3f}")
    _figure("Local clusters (LISA)", lisa, lambda e: f"{_clustered(e['counts'])} of {summary['n_areas']} areas")
    _figure("Area Gini", gini, lambda e: f"{e['gini']:.3f}")
    _deprivation_indices(built, view, summary)
    st.caption(plain(f"Neighbours: {summary['weights']['description']}"))


def _deprivation_indices(built, view: webmap.MapView, summary: dict) -> None:
    """The district's 20:20 and 10:10 indices, under the income-deprivation layers they are computed from only."""
    if view_defaults.shows_twenty_twenty(view.layer):
        _figure("20:20 index", summary["twenty_twenty"], lambda e: e["label"], "source")
        _figure("10:10 index", summary["ten_ten"], lambda e: e["label"], "source")
        return
    labels = [built.layers.loc[built.layers["layer"] == layer, "label"] for layer in
              sorted(view_defaults.income_layers())]
    names = [str(found.iloc[0]) for found in labels if len(found)]
    if names:
        st.caption(plain(f"The district's 20:20 and 10:10 indices (income deprivation) are shown with "
                         f"{' and '.join(names)}."))


def _clustered(counts: dict) -> int:
    return sum(counts.get(name, 0) for name in ("High-High", "Low-Low", "High-Low", "Low-High"))


def _figure(title: str, entry: dict, value, source_key: str | None = None) -> None:
    """One statistic: its figure and plain-English reading, or the message saying why there is none."""
    source = f" From {entry[source_key]}." if source_key and entry.get(source_key) else ""
    if entry.get("available"):
        st.metric(plain(title), value(entry))
        st.caption(plain(entry.get("reading", "") + source))
        for note in entry.get("notes") or []:
            st.caption(plain(note))
    else:
        st.markdown(f"**{plain(title)}**")
        st.caption(plain(entry.get("message", "Not available.") + source))


def _table(view: webmap.MapView, lisa: pd.Series | None, categories: webmap.CategoryLayer | None = None) -> None:
    st.subheader("Table of the map's values")
    st.caption("The same values, classes and clusters as the map, one row per area. Select a column "
               "heading to sort.")
    table = webmap.view_table(view, lisa, categories)
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button("Download this table (CSV)", lambda: webmap.view_csv(view, lisa, categories), on_click="ignore",
                       file_name=f"{view.la_code}_{view.geography}_{view.layer}.csv", mime="text/csv",
                       help="The table with the indicator, units, period, geography, source and licence "
                            "on every row.")


def _points_tables(built, sets: dict[str, dict], colour_by: dict[str, str]) -> None:
    """The table alternative of each coloured point set: its points with the attribute or layer shown."""
    for name, chosen in colour_by.items():
        label = _set_label(name, sets[name])
        with st.expander(plain(f"Table: {_in_sentence(label)} on the map ({len(built.points[name])})")):
            layer = chosen if chosen in set(built.layers_on(f"points:{name}")["layer"]) else None
            st.caption(plain(f"The {_in_sentence(label)} of {built.la_name} placed by postcode, as the map shows "
                             f"them" + (", with 95% intervals and comparisons with the district and England."
                                        if layer else ".") + " Select a column heading to sort."))
            st.dataframe(point_styles.points_table(built, name, layer).round(1), width="stretch")


EXPORT_FORMATS = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
PAPERS = {"a4-landscape": "A4 landscape", "a4-portrait": "A4 portrait"}


def _export(built, view: webmap.MapView, scheme: str, k: int, palette: str | None) -> None:
    """Download the map as an A4 PNG (300 dpi), SVG or PDF for a report, drawn by :mod:`atlas.export`."""
    with st.expander("Export this map for a report (PNG, SVG or PDF)"):
        format_column, paper_column, button_column = st.columns([1, 1, 1], vertical_alignment="bottom")
        fmt = format_column.selectbox("Format", list(EXPORT_FORMATS), key="export_format", format_func=str.upper)
        paper = paper_column.selectbox("Paper", list(PAPERS), key="export_paper", format_func=PAPERS.get)
        if view.classes is None:
            button_column.caption("Nothing to export: the indicator has no values here.")
            return
        button_column.download_button(
            "Export map", lambda: export.render_map(built, view.layer, view.geography, fmt, scheme=scheme, k=k,
                                                    palette=palette, paper=paper),
            file_name=f"{view.la_code}_{view.geography}_{view.layer}.{fmt}", mime=EXPORT_FORMATS[fmt],
            on_click="ignore", help="Title, legend, scale bar, north arrow, source and licence attribution; "
                                    "the same classes and colours as the map above.")
