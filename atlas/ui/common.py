"""Cached loaders shared by the app's pages.

Everything slow is computed once per process and reused by every session and
rerun: the built atlas of a district (read from ``output/atlas/<LA>.gpkg``, or
built from the official files on first choice), the list of districts, the web
geometry files, the classified view of each layer (natural breaks take seconds
on a few hundred areas), the styles of the point sets and the statistics of
each layer (``atlas.stats.summarise`` keeps each geography's weights). Switching
a layer therefore never rebuilds the atlas or recomputes classes, weights or
statistics already computed, and a rerun that changes neither (the street map,
the export format) recomputes nothing.
"""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

import atlas
from atlas import authorities, config, places, point_styles, web_geometry
from atlas.analysis import summarise
from atlas.caching import fingerprint
from atlas.errors import AtlasError, as_atlas_error, one_line
from atlas.plaintext import plain
from atlas.store import atlas_path

from .. import webmap


def guarded(draw):
    """``draw`` (a page or a fragment) with every error of the atlas's shown as one message, never a traceback.

    Operating-system and parser errors are mapped by :func:`atlas.errors.as_atlas_error`
    (the same mapping as the command line's); anything else is a bug and is raised.
    """
    @functools.wraps(draw)
    def guarded_draw(*args, **kwargs):
        try:
            return draw(*args, **kwargs)
        except Exception as exc:
            error = as_atlas_error(exc)
            if error is None:
                raise
            st.error(plain(one_line(error)))
    return guarded_draw


def atlas_folder() -> Path:
    """Where built atlases are read from and written to (``<output>/atlas``)."""
    return config.atlas_dir()


def is_built(la: str) -> bool:
    """Whether the district's atlas is already built (so loading it is quick)."""
    return atlas_path(atlas_folder(), la).exists()


def load_atlas(la: str) -> atlas.Atlas:
    """The built atlas of a district: read from its GeoPackage, or built on first use.

    Raises
    ------
    AtlasError
        If the district has no data or the build fails (the message says why).
    """
    return _load_atlas(la, str(atlas_folder()), str(config.source_dir()))


@st.cache_resource(show_spinner=False, max_entries=12)
def _load_atlas(la: str, folder: str, source: str) -> atlas.Atlas:
    path = atlas_path(Path(folder), la)
    if path.exists():
        return atlas.load(path)
    return atlas.build(la, source_dir=source, out_dir=folder)


def rebuild(la: str) -> atlas.Atlas:
    """Build a district's atlas again from the official files and forget what was cached from the old one."""
    built = atlas.build(la, source_dir=config.source_dir(), out_dir=atlas_folder())
    forget_atlases()
    return built


def forget_atlases() -> None:
    """Forget every atlas read and everything computed from it (after an atlas on disk changed).

    The next page run reads the atlases again from their GeoPackages (an area
    set saved on the areas page then shows on every page).
    """
    for cached in (_load_atlas, _geometry_file, _points_file, _colour_options, _point_style, _map_view, _summary,
                   _area_wards):
        cached.clear()


#: Session key of the authority chosen last, on any page: every page's Authority box starts from it.
CHOSEN_KEY = "_chosen_authority"


def districts() -> pd.DataFrame:
    """Every authority the source directory can build: its districts and counties.

    Columns ``code``, ``name``, ``kind``, ``county`` and ``districts``
    (:func:`atlas.authorities.list_authorities`).
    """
    return _districts(str(config.source_dir()))


@st.cache_data(show_spinner=False)
def _districts(source: str) -> pd.DataFrame:
    return authorities.list_authorities(source_dir=source)


def authority_label(code: str, name: str, kind: str) -> str:
    """How the Authority box names an authority: ``Luton (E06000032)``, ``Hertfordshire (county, E10000015)``."""
    return f"{name} ({kind}, {code})" if kind in ("county", "region") else f"{name} ({code})"


def chosen_atlas(key: str = "la") -> atlas.Atlas:
    """The sidebar's Authority choice and its atlas, built on first choice with a spinner.

    When the atlas cannot be built or read, the page shows why and stops (no traceback).

    Parameters
    ----------
    key : str
        Widget key of the page's Authority select box (see :func:`authority_control`).

    Returns
    -------
    atlas.Atlas
    """
    la = authority_control(key)
    try:
        if is_built(la):
            return load_atlas(la)
        table = districts().set_index("code")
        name = table["name"].get(la, la)
        what = f"a county of {table.loc[la, 'districts']} districts" if la in table.index and table.loc[
            la, "kind"] == "county" else "a district"
        with st.status(plain(f"Building the atlas of {name} ({la}), {what}, from the official files ..."),
                       expanded=True) as progress:
            st.write("Reading its boundaries, indicators and point sets (first time only; a few seconds, "
                     "a county longer) ...")
            built = load_atlas(la)
            progress.update(label=plain(f"Built the atlas of {name} ({la}) in {built.report.seconds or '?'} s."),
                            state="complete", expanded=False)
            return built
    except AtlasError as exc:
        st.error(plain(f"No atlas for {la}: {exc}"))
        st.info("Choose another authority in the sidebar.")
        st.stop()


def authority_control(key: str = "la") -> str:
    """The sidebar's Authority select box: every district and county, searchable by name.

    Each page has its own widget ``key`` (Streamlit forgets a widget's state on a
    page that does not draw it), but one choice: every page's box starts from
    the authority chosen last on any page (``st.session_state[CHOSEN_KEY]``),
    else the page's own last choice (or a shared link's ``?la=``), else the
    default district.

    Parameters
    ----------
    key : str
        Widget key (``la`` on the map page).

    Returns
    -------
    str
        The chosen district or county code.
    """
    try:
        table = districts()
    except AtlasError as exc:
        st.sidebar.error(plain(exc))
        st.stop()
    names = {code: authority_label(code, name, kind)
             for code, name, kind in zip(table["code"], table["name"], table["kind"])}
    codes = list(names)
    current = (st.session_state.get(CHOSEN_KEY) or st.session_state.get(key) or st.query_params.get("la")
               or config.default_district())
    if current not in names:          # a code the lists lack (e.g. England, E92000001) is still offered
        codes.insert(0, current)
        names[current] = current
    st.session_state[key] = current   # this page's box shows the authority chosen on any page
    st.session_state[CHOSEN_KEY] = current
    return st.sidebar.selectbox(
        "Authority", codes, key=key, format_func=names.__getitem__, on_change=_remember, args=(key,),
        help="Any English district or county (upper-tier authority): type to search by name. One not built "
             "yet is built from the official files on first choice (a few seconds; a county takes longer).")


def _remember(key: str) -> None:
    """Make the authority just chosen on this page the choice of every page."""
    st.session_state[CHOSEN_KEY] = st.session_state[key]


def geometry_file(built: atlas.Atlas, geography: str, web_dir: Path) -> web_geometry.GeometryFile:
    """The web geometry of one geography, written once per process."""
    return _geometry_file(built.la_code, geography, str(built.path), str(web_dir), built)


@st.cache_resource(show_spinner=False, max_entries=64)
def _geometry_file(la: str, geography: str, path: str, web_dir: str, _built) -> web_geometry.GeometryFile:
    return web_geometry.write_geometry(_built.table(geography), Path(web_dir), la, geography)


def points_file(built: atlas.Atlas, point_set: str, frame: gpd.GeoDataFrame, fields: dict,
                web_dir: Path) -> web_geometry.GeometryFile:
    """The web file of one point set, written once per process."""
    return _points_file(built.la_code, point_set, str(built.path), str(web_dir), tuple(fields.items()),
                        frame)


@st.cache_resource(show_spinner=False, max_entries=64)
def _points_file(la: str, point_set: str, path: str, web_dir: str, fields: tuple, _frame) -> web_geometry.GeometryFile:
    return web_geometry.write_points(_frame, Path(web_dir), la, point_set, dict(fields))


def colour_options(built: atlas.Atlas, point_set: str) -> dict[str, str]:
    """What a point set can be coloured by (:func:`atlas.point_styles.colour_options`), listed once per atlas."""
    return _colour_options(built.la_code, point_set, str(built.path), built)


@st.cache_resource(show_spinner=False, max_entries=64)
def _colour_options(la: str, point_set: str, path: str, _built) -> dict[str, str]:
    return point_styles.colour_options(_built, point_set)


def point_style(built: atlas.Atlas, point_set: str, colour_by: str | None = None) -> dict:
    """How the map colours and sizes a point set (:func:`atlas.point_styles.point_style_payload`), once per colouring.

    Raises
    ------
    AtlasError
        As ``point_style_payload`` (an error is not cached).
    """
    return _point_style(built.la_code, point_set, colour_by, str(built.path), built)


@st.cache_resource(show_spinner=False, max_entries=64)
def _point_style(la: str, point_set: str, colour_by: str | None, path: str, _built) -> dict:
    return point_styles.point_style_payload(_built, point_set, colour_by)


# -- the classified view and its statistics -----------------------------------------------------------
def data_token(built: atlas.Atlas, layer: str, geography: str) -> str:
    """A fingerprint of a layer's values, intervals and metadata, so caches follow uploaded or rebuilt data.

    An uploaded layer may replace another of the same id with other values or
    other metadata (label, kind, polarity); either gives another token.
    """
    frame = built.table(geography)
    columns = [c for c in frame.columns if c == layer or str(c).startswith(f"{layer}_")]
    return fingerprint(pd.util.hash_pandas_object(frame[columns], index=True).to_numpy().tobytes(),
                       repr(sorted(built.layer(layer, geography).items())), length=40)


def map_view(built: atlas.Atlas, layer: str, geography: str, scheme: str = "quantiles", k: int = 5,
             palette: str | None = None) -> webmap.MapView:
    """One layer classified for the map (:func:`atlas.webmap.map_view`), once per layer, data and classification.

    The view is shared by every session and rerun: read it, never change it.

    Raises
    ------
    AtlasError
        As ``webmap.map_view`` (an error is not cached).
    """
    token = data_token(built, layer, geography)
    return _map_view(built.la_code, layer, geography, scheme, int(k), palette, str(built.path), token, built)


@st.cache_resource(show_spinner=False, max_entries=256)
def _map_view(la: str, layer: str, geography: str, scheme: str, k: int, palette: str | None, path: str,
              token: str, _built) -> webmap.MapView:
    return webmap.map_view(_built, layer, geography, scheme=scheme, k=k, palette=palette)


def summary(built: atlas.Atlas, layer: str, geography: str, fdr: bool = False) -> dict:
    """The statistics of one layer (``atlas.stats.summarise``), computed once per layer and data.

    ``fdr`` puts the false-discovery-rate cut-off on the LISA clusters.

    The LISA clusters of the map come from the same computation, so the map and
    the panel always agree.
    """
    token = data_token(built, layer, geography)
    return _summary(built.la_code, layer, geography, fdr, str(built.path), token, built)


@st.cache_resource(show_spinner=False, max_entries=256)
def _summary(la: str, layer: str, geography: str, fdr: bool, path: str, token: str, _built) -> dict:
    return summarise(_built, layer, geography, fdr=fdr)


# -- wards in the tooltip, and finding a place -----------------------------------------------------------
def area_wards(built: atlas.Atlas, geography: str, ward_geography: str) -> pd.Series:
    """The ward of each area of ``geography`` (:func:`atlas.webmap.area_wards`), once per atlas."""
    return _area_wards(built.la_code, geography, ward_geography, str(built.path), built)


@st.cache_resource(show_spinner=False, max_entries=64)
def _area_wards(la: str, geography: str, ward_geography: str, path: str, _built) -> pd.Series:
    return webmap.area_wards(_built.table(geography), _built.table(ward_geography))


def find_places(built: atlas.Atlas, query: str, geography: str, named: list[str]) -> list[places.Place]:
    """Places of the authority matching ``query`` (:func:`atlas.places.find_places`).

    Postcodes are those of the catalogue's postcode lookup in the authority's
    districts (read once, then cached on disk); names are searched in the
    geographies ``named``.

    Raises
    ------
    AtlasError
        If the postcode lookup cannot be read (the message names the file).
    """
    labels = {g: built.geography_labels.get(g, g) for g in named if g in built.geographies}
    frames = {labels[g]: built.table(g) for g in labels}
    postcodes, crs = None, "EPSG:27700"
    if places.POSTCODE.match(" ".join(str(query).upper().split())):
        postcodes, crs = authority_postcodes(built)
    return places.find_places(query, built.table(geography), frames, postcodes, crs)


def authority_postcodes(built: atlas.Atlas) -> tuple[pd.DataFrame | None, str]:
    """The postcodes of the authority's districts and their CRS (None when the catalogue has no lookup)."""
    districts = [d["code"] for d in built.report.authority.get("districts", [])] or [built.la_code]
    return _authority_postcodes(tuple(districts), str(config.source_dir()))


@st.cache_resource(show_spinner="Reading the postcodes of the authority (first search only) ...", max_entries=8)
def _authority_postcodes(districts: tuple, source: str) -> tuple[pd.DataFrame | None, str]:
    from atlas.specs import Catalogue

    lookups = list(Catalogue.load().postcodes.values())
    if not lookups:
        return None, "EPSG:27700"
    return places.district_postcodes(lookups[0], list(districts), Path(source)), lookups[0].crs


#: The app's own styles: captions dark enough to read (Streamlit's faded grey is about 3:1 on white; #4a4a55 at
#: full opacity is 8.6:1),
#: less empty space above the page.
MAP_FRAME_TITLE = "streamlit_folium.st_folium"
PAGE_STYLE = """
<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] *,
[data-testid="stWidgetLabel"] small, [data-testid="stTooltipHoverTarget"] svg,
[data-testid="stSidebarNavLink"] span, [data-testid="stMarkdownContainer"] small { color: #4a4a55 !important; }
[data-testid="stCaptionContainer"] { opacity: 1 !important; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 2.6rem; padding-left: 1.2rem;
  padding-right: 1.2rem; }
h1#atlas-page-title, [data-testid="stHeading"] h1 { font-size: 1.45rem; padding: 0.2rem 0 0.3rem; }
</style>
"""
#: The map atlas page's map frame sized from the viewport (only there: other pages' maps sit beside controls).
MAP_PAGE_STYLE = f"""
<style>
iframe[title="{MAP_FRAME_TITLE}"] {{ height: max(420px, calc(100vh - 11rem)) !important; }}
</style>
"""


def mapped_geographies(built: atlas.Atlas) -> tuple[list[str], dict[str, str]]:
    """The atlas's geographies that have indicators (in the atlas's order), and every geography's label."""
    with_layers = set(built.layers["geography"])
    labels = built.report.geography_labels()
    labels.update(built.geography_labels)
    return [g for g in built.geographies if g in with_layers], labels


def page_style() -> None:
    """Put the app's styles into the page (no space is taken)."""
    st.html(PAGE_STYLE)
