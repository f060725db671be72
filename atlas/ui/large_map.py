"""The large-area map: a Streamlit component drawing thousands of areas on one Leaflet canvas.

The component (``atlas/static/large_map``: ``index.html``, ``large-map.js``,
``large-map.css``) is declared with a local ``path``, so Streamlit serves it
from the app at ``/component/atlas.ui.large_map.large_map/``; Leaflet and the
geometry files come from the folders :func:`atlas.ui.assets.serve_assets`
declares (``../atlas.ui.assets.leaflet/``, ``../atlas.ui.assets.web/``), so the
map works offline. The geometry of a geography is written once per process by
:func:`atlas.national_map.write_geometry` into ``<output>/web/large`` and, its
file names carrying a fingerprint of their content, kept by the browser in its
Cache Storage; on a change of layer the component gets only
:func:`map_args`: the class byte of every area, the legend, the titles and
the name of a values file (fetched when the reader hovers or clicks).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st
import streamlit.components.v1 as components

from .. import national_map, webmap
from ..classify import Classes, short_label
from ..model import Atlas
from . import common

#: The component's folder (its index.html, script and stylesheet).
COMPONENT_DIR = webmap.STATIC_DIR / "large_map"
#: Height of the map frame in pixels.
MAP_HEIGHT = 640
#: Sub-folder of the web folder the geometry and values files are written to.
LARGE_FOLDER = "large"
#: Levels of geography whose boundaries may be drawn over the map, coarsest first.
OUTLINE_LEVELS = ("upper_tier", "district", "ward")


def large_folder(web_dir: Path) -> Path:
    """Where the large map's files are written: ``<web_dir>/large`` (served as ``<web url>large/``)."""
    return Path(web_dir) / LARGE_FOLDER


def geometry(built: Atlas, geography: str, web_dir: Path) -> national_map.GeometrySet:
    """The geometry files of one geography of an atlas, written once per process (and reused from disk).

    Parameters
    ----------
    built : Atlas
    geography : str
    web_dir : pathlib.Path
        The web folder the app serves (:attr:`atlas.ui.assets.AssetUrls.web_dir`).

    Returns
    -------
    atlas.national_map.GeometrySet
    """
    args = (built.la_code, geography, str(built.path), str(large_folder(web_dir)), built)
    written = _geometry(*args)
    if not (large_folder(web_dir) / written.manifest).is_file():     # the output folder was cleared meanwhile
        _geometry.clear()
        written = _geometry(*args)
    return written


@st.cache_resource(show_spinner="Preparing the boundaries for the browser (first time only) ...", max_entries=16)
def _geometry(la: str, geography: str, path: str, folder: str, _built: Atlas) -> national_map.GeometrySet:
    areas = national_map.atlas_areas(_built, geography)
    return national_map.write_geometry(areas, Path(folder), f"{la} {geography}")


def layer_values_file(built: Atlas, view: webmap.MapView, geometry_set: national_map.GeometrySet,
                      web_dir: Path) -> str:
    """:func:`values_file` once per process for each layer, data and geometry (a layer switch then writes nothing)."""
    token = common.data_token(built, view.layer, view.geography)
    args = (built.la_code, view.layer, view.geography, str(built.path), token, geometry_set.manifest, str(web_dir),
            view, geometry_set)
    name = _values_file(*args)
    if not (large_folder(web_dir) / name).is_file():                  # the output folder was cleared meanwhile
        _values_file.clear()
        name = _values_file(*args)
    return name


@st.cache_resource(show_spinner=False, max_entries=256)
def _values_file(la: str, layer: str, geography: str, path: str, token: str, manifest: str, web_dir: str,
                 _view: webmap.MapView, _geometry: national_map.GeometrySet) -> str:
    return values_file(_view, _geometry.codes, Path(web_dir))


def values_file(view: webmap.MapView, codes: list, web_dir: Path) -> str:
    """Write the view's values as the tooltip words them, in geometry order; returns the file's name."""
    texts = [view.value_text(v) for v in view.values.reindex(pd.Index(codes)).to_numpy()]
    return national_map.write_texts(texts, large_folder(web_dir))


def no_classes() -> Classes:
    """Classes of a layer with no value in any area: every area is drawn as "No data"."""
    return Classes(labels=[], colours=[], index=pd.Series(dtype=int), bins=[], scheme="none")


def outline_geographies(built: Atlas, geography: str) -> list[str]:
    """The geographies whose boundaries may be drawn over a map of ``geography``: larger areas, coarsest first.

    Upper-tier authorities, districts and wards (newest vintage first) with more
    than one area, other than the geography mapped.

    Parameters
    ----------
    built : Atlas
    geography : str
        The geography the map is coloured by.

    Returns
    -------
    list of str
    """
    found = []
    for level in OUTLINE_LEVELS:
        found += [g for g in built.geographies_at(level) if g != geography
                  and built.report.geographies[g].get("areas", 0) > 1]
    return found


def map_args(view: webmap.MapView, geometry_set: national_map.GeometrySet, values: str, urls,
             outline: tuple[national_map.GeometrySet, str] | None = None) -> dict:
    """Everything the component gets for one view: URLs, the layer's classes and legend, titles, alt text.

    Parameters
    ----------
    view : atlas.webmap.MapView
    geometry_set : atlas.national_map.GeometrySet
        The geometry of the view's geography (its area order is the class order).
    values : str
        The values file's name (:func:`values_file`).
    urls : atlas.ui.assets.AssetUrls
        Where Leaflet and the web folder are served.
    outline : (atlas.national_map.GeometrySet, str), optional
        Geometry of larger areas whose boundaries are drawn over the fills, and their geography's
        label; a change of outline sends its manifest's name, not geometry.

    Returns
    -------
    dict
        JSON-ready; no geometry, so a layer switch sends a byte per area and a few hundred characters.
    """
    classes = view.classes if view.classes is not None else no_classes()
    meta = view.meta
    units = str(meta.get("units") or "").strip()
    legend_title = f"{short_label(view.title)} ({units})" if units else short_label(view.title)
    layer = national_map.layer_payload(classes, geometry_set.codes, values, view.title)
    count = len(geometry_set.codes)
    alt = (f"Map of {view.title}, {meta.get('geography_label')}, {view.la_name}, {meta.get('period')}: "
           f"{count} areas coloured in {len(classes.labels)} classes ({classes.scheme}). "
           f"{' The boundaries of ' + outline[1] + ' are drawn over the areas.' if outline else ''} "
           f"The table below the map gives every area's value.")
    return dict(leaflet=urls.leaflet, web=urls.web, manifest=geometry_set.manifest, coarse=geometry_set.coarse, layer=layer,
                layer_id=f"{view.geography}:{view.layer}", title=view.title, subtitle=view.subtitle,
                legend_title=legend_title, short=short_label(view.title),
                source=f"Source: {meta.get('source_title')}, {meta.get('publisher')}. Licence: {meta.get('licence')}.",
                attribution=webmap.attribution(meta), alt=alt, height=MAP_HEIGHT,
                outline={"manifest": outline[0].manifest, "label": f"Boundaries: {outline[1]}"} if outline else None)


def draw(args: dict, key: str = "large_map") -> None:
    """Draw (or restyle) the large-area map; the same ``key`` keeps the frame, so geometry is not sent again."""
    component = components.declare_component("large_map", path=str(COMPONENT_DIR))
    component(**args, key=key, default=None)
