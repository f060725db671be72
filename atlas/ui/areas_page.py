"""The "Your own areas" page: make an area set from LSOAs on the map, or upload a lookup, and keep it.

An area set (localities, neighbourhoods, PCN footprints ...) is a grouping of
LSOAs (2021) that becomes a geography of the atlas (:mod:`atlas.areas`). On
this page the user makes one area at a time: starts from wards or MSOAs
(select boxes that add their LSOAs), adds or removes LSOAs by clicking them on
the map, by choosing them in a select box or by typing their codes, names the
area and adds it to the set; then names the set and saves it. Saving writes
the set as a lookup (LSOA code, area name) and goes through
:func:`atlas.area_sets.add_area_set_data`, the same code as ``atlas areas
add``, so the set is kept, re-applied on rebuild and listed by ``atlas areas
list``. A lookup file (CSV or Excel) can be uploaded instead, with the same
match report as the command.

Keyboard route: every step is an ordinary labelled widget (the ward and MSOA
select boxes, the LSOA select box, the box of LSOA codes, the buttons); the map
is a second way to pick LSOAs, with a table of the selection beside it. Names
from the data or typed by the user are shown as text, never as markup.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

import folium
import pandas as pd
import streamlit as st
from shapely.geometry import Point, mapping
from streamlit_folium import st_folium

from .. import config, profiles, web_geometry, webmap
from ..area_sets import add_area_set_data, list_area_sets, remove_area_set
from ..areas import AreaOptions
from ..errors import AtlasError
from ..plaintext import csv_text, plain
from ..report import vintage_year
from . import common
from .assets import serve_assets
from .upload import read_once

#: Area sets are made of LSOAs of this vintage (:mod:`atlas.areas`).
LSOA_VINTAGE = 2021
MAP_KEY = "own_areas_map"
MAP_HEIGHT = 520
#: Tolerance (metres) of the LSOA outlines drawn for picking (a picked code is always the exact LSOA's).
PICK_TOLERANCE_M = 5.0
#: Fills on the map: the area being made, areas already in the set (Okabe-Ito, colour-blind safe), the rest.
SELECTED_FILL = "#0072B2"
SET_FILLS = ("#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
EDGE = "#333333"
DETECTED = "(detected)"


def page() -> None:
    """Draw the areas page."""
    urls = serve_assets()
    built = common.chosen_atlas("areas_la")
    st.title(plain(f"Your own areas: {built.la_name}"))
    st.caption("Group LSOAs into your own areas (localities, neighbourhoods, PCN footprints ...). A saved set "
               "becomes a geography of the atlas: mapped, profiled, exported and kept when the atlas is rebuilt, "
               "like `atlas areas add` on the command line.")
    if lsoa_geography(built) is None:
        st.error(plain(f"The {built.la_name} atlas has no LSOAs (2021), which area sets are made of."))
        return
    state = _State(built)
    st.header("Make a set on the map")
    _pick(built, state, urls)
    _areas_of_set(built, state)
    _save(built, state)
    st.header("Or upload a lookup file")
    _upload(built)
    st.header("Area sets kept")
    _kept(built)


class _State:
    """The set being made in this session for one authority: its areas and the area being picked."""

    def __init__(self, built):
        self.la = built.la_code
        self.key = f"own_areas_lsoas_{self.la}"
        self.areas: dict[str, list[str]] = st.session_state.setdefault("own_areas_sets", {}).setdefault(self.la, {})
        st.session_state.setdefault(self.key, [])
        self.lsoa = lsoa_geography(built)
        self.frame = built.table(self.lsoa)
        population = built.population_layer(self.lsoa)
        self.population = self.frame[population] if population in self.frame else pd.Series(dtype=float)
        self.population_label = built.layer(population, self.lsoa)["label"] if population else "Residents"

    @property
    def selected(self) -> list[str]:
        return list(st.session_state.get(self.key, []))

    def select(self, codes) -> None:
        st.session_state[self.key] = [c for c in self.frame.index if c in set(codes)]

    def owner(self) -> dict[str, str]:
        """The area each LSOA already in the set is in."""
        return {code: area for area, codes in self.areas.items() for code in codes}


# -- picking LSOAs ----------------------------------------------------------------------------------------
def _pick(built, state: _State, urls) -> None:
    controls, picture = st.columns([2, 3], gap="medium")
    with controls:
        _parent_control(built, state, _newest(built, "ward"), "Start from wards")
        msoas = _newest(built, "msoa")
        if msoas:
            _parent_control(built, state, msoas, f"Start from {built.geography_labels.get(msoas, msoas)}")
        frame = state.frame
        st.multiselect("LSOAs in this area", list(frame.index), key=state.key,
                       format_func=lambda c: f"{frame.at[c, 'name']} ({c})", placeholder="Type a name or code",
                       help="The area being made. Wards and MSOAs above add their LSOAs here; a click on the map "
                            "adds an LSOA, or takes it out again.")
        st.text_area("LSOA codes to add (separated by commas, spaces or lines)", key=f"own_areas_codes_{state.la}",
                     placeholder="E01015693, E01015694")
        st.button("Add these codes", key=f"own_areas_add_codes_{state.la}", on_click=_add_codes, args=(state,))
        if st.session_state.get("own_areas_codes_message"):
            st.warning(plain(st.session_state["own_areas_codes_message"]))
    with picture:
        _map(built, state, urls)
    _selection_table(built, state)


def lsoa_geography(built) -> str | None:
    """The atlas's LSOAs (2021), which area sets are made of (None when it has none)."""
    return next((g for g in built.geographies_at("lsoa")
                 if vintage_year(built.report.geographies[g].get("vintage")) == LSOA_VINTAGE), None)


def _newest(built, level: str) -> str | None:
    """The newest geography of a level (``ward``, ``msoa``) in the atlas, if any."""
    return next(iter(built.geographies_at(level)), None)


def _parent_control(built, state: _State, geography: str | None, label: str) -> None:
    """A multiselect of wards (or MSOAs): choosing one adds its LSOAs (2021), taking it away removes them."""
    if geography is None:
        return
    frame = built.table(geography)
    order = frame["name"].astype(str).sort_values().index
    key = f"own_areas_{geography}_{state.la}"
    st.multiselect(plain(label), list(order), key=key, format_func=lambda c: f"{frame.at[c, 'name']} ({c})",
                   on_change=_parent_changed, args=(built, state, geography, key), placeholder="Type a name",
                   help=plain(f"Adds the LSOAs (2021) of each {built.geography_labels.get(geography, geography)} "
                              f"chosen, as the atlas assigns them ({_assignment(built, geography)[1]})."))


def _assignment(built, geography: str) -> tuple[pd.Series, str]:
    return profiles.lsoa_assignment(built, lsoa_geography(built), geography, config.source_dir())


def _parent_changed(built, state: _State, geography: str, key: str) -> None:
    parent = _assignment(built, geography)[0]
    before = set(st.session_state.get(f"{key}_before", []))
    now = set(st.session_state.get(key, []))
    chosen = set(state.selected)
    chosen |= set(parent.index[parent.isin(now - before)])
    chosen -= set(parent.index[parent.isin(before - now)])
    state.select(chosen)
    st.session_state[f"{key}_before"] = sorted(now)


def _add_codes(state: _State) -> None:
    text = st.session_state.get(f"own_areas_codes_{state.la}", "")
    tokens = [t for t in re.split(r"[\s,;]+", text.strip()) if t]
    codes = [t.upper() for t in tokens]
    known = [c for c in codes if c in state.frame.index]
    unknown = [t for t, c in zip(tokens, codes) if c not in state.frame.index]
    state.select(set(state.selected) | set(known))
    message = (f"Not LSOA (2021) codes of this authority, left out: {', '.join(unknown[:20])}"
               + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "") if unknown else "")
    st.session_state["own_areas_codes_message"] = message
    st.session_state[f"own_areas_codes_{state.la}"] = ""


# -- the map ----------------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False, max_entries=8)
def _outlines(la: str, path: str, _frame) -> list[dict]:
    """The LSOAs as GeoJSON features (WGS84, lightly simplified), once per atlas."""
    shapes = web_geometry.web_geometry(_frame[["geometry"]], PICK_TOLERANCE_M)
    return [{"type": "Feature", "geometry": mapping(shape), "properties": {"code": code}}
            for code, shape in shapes.items() if shape is not None and not shape.is_empty]


def _map(built, state: _State, urls) -> None:
    owner, chosen = state.owner(), set(state.selected)
    colours = {area: SET_FILLS[i % len(SET_FILLS)] for i, area in enumerate(state.areas)}
    features = []
    for feature in _outlines(built.la_code, str(built.path), state.frame):
        code = feature["properties"]["code"]
        where = "in this area" if code in chosen else (f"in {owner[code]}" if code in owner else "in no area")
        tip = html.escape(f"{state.frame.at[code, 'name']} ({code}): {where}")
        fill = SELECTED_FILL if code in chosen else colours.get(owner.get(code), "#ffffff")
        features.append({**feature, "properties": {"code": code, "tip": tip, "fill": fill,
                                                   "opacity": 0.75 if code in chosen else 0.5 if code in owner
                                                   else 0.05}})
    group = folium.FeatureGroup(name="lsoas", control=False)
    folium.GeoJson({"type": "FeatureCollection", "features": features}, name="LSOAs", style_function=_style,
                   highlight_function=lambda _: {"weight": 3}, tooltip=folium.GeoJsonTooltip(["tip"], labels=False),
                   ).add_to(group)
    fmap = webmap.base_map(urls.leaflet, urls.static)
    bounds = state.frame.to_crs(4326).total_bounds
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    st_folium(fmap, key=MAP_KEY, height=MAP_HEIGHT, use_container_width=True, feature_group_to_add=group,
              returned_objects=["last_active_drawing", "last_object_clicked"],
              on_change=functools.partial(_clicked, state))
    st.caption(plain("Click an LSOA to add it to the area being made (blue); click it again to take it out. "
                     "Coloured LSOAs are in areas already added to the set. The table below lists the selection. "
                     f"LSOAs (2021), {built.la_name}: {_boundary_attribution(built)}"))


def _boundary_attribution(built) -> str:
    found = built.layers.loc[built.layers["geography"] == lsoa_geography(built), "boundary_attribution"].dropna()
    return str(found.iloc[0]) if len(found) else ""


def _style(feature: dict) -> dict:
    properties = feature["properties"]
    return {"color": EDGE, "weight": 1, "fillColor": properties["fill"], "fillOpacity": properties["opacity"]}


def _clicked(state: _State) -> None:
    """A click on the map: the LSOA clicked goes into the area being made, or out of it when it was in."""
    value = st.session_state.get(MAP_KEY) or {}
    code = clicked_code(value, state.frame)
    if code is None:
        return
    chosen = set(state.selected)
    state.select(chosen - {code} if code in chosen else chosen | {code})


def clicked_code(value: dict, frame) -> str | None:
    """The LSOA a map click names: the clicked feature's code, else the LSOA under the point clicked.

    Parameters
    ----------
    value : dict
        What streamlit-folium returned (``last_active_drawing``, ``last_object_clicked``).
    frame : geopandas.GeoDataFrame
        The LSOAs (British National Grid), indexed by code.

    Returns
    -------
    str or None
    """
    drawn = (value.get("last_active_drawing") or {}).get("properties") or {}
    if str(drawn.get("code", "")) in frame.index:
        return str(drawn["code"])
    point = value.get("last_object_clicked") or {}
    if "lat" not in point or "lng" not in point:
        return None
    where = pd.Series([Point(point["lng"], point["lat"])])
    inside = frame.index[frame.contains(_to_bng(where, frame.crs).iloc[0])]
    return str(inside[0]) if len(inside) else None


def _to_bng(points: pd.Series, crs):
    import geopandas as gpd

    return gpd.GeoSeries(points, crs=4326).to_crs(crs)


# -- the selection and the set ------------------------------------------------------------------------------
def _selection_table(built, state: _State) -> None:
    chosen = state.selected
    frame = state.frame
    population = state.population
    ward = _newest(built, "ward")
    parent = _assignment(built, ward)[0] if ward else pd.Series(dtype=object)
    wards = built.table(ward)["name"] if ward else pd.Series(dtype=object)
    table = pd.DataFrame({"LSOA code": chosen, "LSOA name": [str(frame.at[c, "name"]) for c in chosen],
                          "Ward": [str(wards.get(parent.get(c), "")) for c in chosen],
                          state.population_label: population.reindex(chosen).to_numpy()})
    total = population.reindex(chosen).sum() if chosen else 0
    st.subheader("The area being made")
    st.markdown(plain(f"{len(chosen)} LSOAs (2021), {total:,.0f} residents ({state.population_label})."))
    st.dataframe(table, hide_index=True, width="stretch")
    st.text_input("Name of this area", key=f"own_areas_area_name_{state.la}", max_chars=80,
                  placeholder="e.g. North locality")
    st.button("Add this area to the set", key=f"own_areas_add_area_{state.la}", on_click=_add_area,
              args=(state,), type="primary")
    if st.session_state.get("own_areas_area_message"):
        st.warning(plain(st.session_state["own_areas_area_message"]))


def _add_area(state: _State) -> None:
    """Move the selection into the set as one area (refused when blank, empty or overlapping another area)."""
    name = str(st.session_state.get(f"own_areas_area_name_{state.la}", "")).strip()
    owner = {c: a for c, a in state.owner().items() if a != name}
    taken = [c for c in state.selected if c in owner]
    problem = ("Name the area first." if not name else "Choose some LSOAs first." if not state.selected else
               f"{len(taken)} of these LSOAs are already in another area ("
               + ", ".join(f"{c} in {owner[c]}" for c in taken[:10]) + "); an LSOA can be in one area only."
               if taken else "")
    st.session_state["own_areas_area_message"] = problem
    if problem:
        return
    state.areas[name] = sorted(set(state.areas.get(name, [])) | set(state.selected))
    state.select([])
    st.session_state[f"own_areas_area_name_{state.la}"] = ""
    for key in [k for k in st.session_state if str(k).startswith("own_areas_ward") or
                str(k).startswith("own_areas_msoa")]:
        st.session_state[key] = []


def _areas_of_set(built, state: _State) -> None:
    st.subheader("The set so far")
    if not state.areas:
        st.info("No area yet: pick LSOAs above, name the area and add it to the set.")
        return
    population = state.population
    table = pd.DataFrame({"Area": list(state.areas), "LSOAs (2021)": [len(c) for c in state.areas.values()],
                          state.population_label: [population.reindex(c).sum() for c in state.areas.values()]})
    st.dataframe(table, hide_index=True, width="stretch")
    gone = st.selectbox("Area to take out of the set", list(state.areas), key=f"own_areas_drop_{state.la}")
    if st.button("Take this area out", key=f"own_areas_drop_button_{state.la}"):
        state.areas.pop(gone, None)
        st.rerun()


def set_lookup(areas: dict[str, list[str]], rest: str | None = None, all_codes=()) -> bytes:
    """The set as a lookup file (CSV: ``LSOA21CD``, ``Area name``), as ``atlas areas add`` reads it.

    Parameters
    ----------
    areas : dict
        Area name -> its LSOA (2021) codes.
    rest : str, optional
        Name of one more area holding every code of ``all_codes`` in no area.
    all_codes : iterable of str
        The authority's LSOAs (2021), for ``rest``.

    Returns
    -------
    bytes
        UTF-8 CSV; names are written as text (:func:`atlas.plaintext.csv_text`).
    """
    rows = [(code, name) for name, codes in areas.items() for code in codes]
    if rest:
        used = {code for code, _ in rows}
        rows += [(code, rest) for code in all_codes if code not in used]
    return csv_text(pd.DataFrame(rows, columns=["LSOA21CD", "Area name"])).encode("utf-8")


def _save(built, state: _State) -> None:
    st.subheader("Save the set")
    name = st.text_input("Name of the set", key=f"own_areas_set_name_{state.la}", max_chars=80,
                         placeholder="e.g. Localities 2025")
    rest = st.checkbox(plain(f"Put the LSOAs of {built.la_name} in no area into one more area"),
                       key=f"own_areas_rest_{state.la}")
    rest_name = st.text_input("Name of that area", value=plain(f"Rest of {built.la_name}"),
                              key=f"own_areas_rest_name_{state.la}", max_chars=80, disabled=not rest)
    if not st.button("Save the set", key=f"own_areas_save_{state.la}", type="primary"):
        return
    if not state.areas:
        st.error("Add at least one area to the set first (pick LSOAs, name the area, add it).")
        return
    data = set_lookup(state.areas, rest_name.strip() if rest else None, state.frame.index)
    _keep(built, data, f"{name or 'area set'}.csv", name, None)


def _keep(built, data: bytes, filename: str, name: str, options: AreaOptions | None, save: bool = True) -> None:
    """Check (and keep) a lookup through the command's code; show its report."""
    try:
        with st.spinner("Checking the set and adding it to the atlas ..."):
            area_set, updated = add_area_set_data(data, filename, name, built.la_code, options,
                                                  common.atlas_folder(), config.source_dir(), save=save)
    except AtlasError as exc:
        st.error(plain(exc))
        return
    if save:
        common.forget_atlases()
        where = "added to the atlas" if updated is not None else "kept; added when the atlas is built"
        st.success(plain(f"Saved area set {area_set.name} ({area_set.geography}): {area_set.report.areas} areas, "
                         f"{where}. Choose it as the geography on the map page."))
    show_report(area_set.report)


def show_report(report) -> None:
    """An area set's match report, full width: the counts as a table, notes, and the codes behind them."""
    st.markdown(f"**{plain(report.title())}**")
    st.dataframe(pd.DataFrame(report.rows(), columns=["What", "Found"]), hide_index=True, width="stretch")
    for note in report.notes:
        st.caption(plain(f"Note: {note}"))
    for title, items in report.listed():
        with st.expander(plain(f"{title} ({len(items)})")):
            st.dataframe(pd.DataFrame({"Code": items}), hide_index=True, width="stretch")


# -- uploading a lookup -------------------------------------------------------------------------------------
def _upload(built) -> None:
    st.caption("A CSV or Excel (.xlsx) file with a column of LSOA codes (2011 or 2021) and a column of area codes "
               "or names: the same as `atlas areas add LOOKUP --name NAME`.")
    upload = st.file_uploader("Lookup of LSOA code to area", type=["csv", "xlsx"],
                              key=f"own_areas_upload_{built.la_code}")
    if upload is None:
        return
    data = upload.getvalue()
    try:
        columns = [DETECTED, *map(str, read_once(data, upload.name).table.columns)]
    except AtlasError as exc:
        st.error(plain(exc))
        return
    name = st.text_input("Name of the set", value=Path(upload.name).stem, key="own_areas_upload_name", max_chars=80)
    picked = [st.selectbox(plain(label), columns, key=f"own_areas_upload_{i}") for i, label in
              enumerate(("Column of LSOA codes", "Column of area codes", "Column of area names"))]
    options = AreaOptions(*[None if p == DETECTED else p for p in picked])
    check, keep = st.columns(2)
    if check.button("Check the file", key="own_areas_upload_check"):
        _keep(built, data, upload.name, name, options, save=False)
    if keep.button("Save this set", key="own_areas_upload_save", type="primary"):
        _keep(built, data, upload.name, name, options)


# -- kept sets ----------------------------------------------------------------------------------------------
def _kept(built) -> None:
    table = list_area_sets(common.atlas_folder(), built.la_code)
    if table.empty:
        st.info(plain(f"No area set is kept for {built.la_name} yet."))
        return
    shown = table[["name", "geography", "areas", "lsoas", "vintage", "file", "added_on"]]
    st.dataframe(shown.rename(columns={"name": "Set", "geography": "Geography id", "areas": "Areas",
                                       "lsoas": "LSOAs (2021)", "vintage": "Codes in the file", "file": "File",
                                       "added_on": "Added"}), hide_index=True, width="stretch")
    gone = st.selectbox("Set to remove", list(table["name"]), key=f"own_areas_remove_{built.la_code}")
    if st.button("Remove this set", key=f"own_areas_remove_button_{built.la_code}"):
        try:
            remove_area_set(gone, built.la_code, common.atlas_folder())
        except AtlasError as exc:
            st.error(plain(exc))
            return
        common.forget_atlases()
        st.success(plain(f"Removed area set {gone}."))
