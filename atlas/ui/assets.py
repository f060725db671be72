"""Serving the map's scripts, stylesheets and geometry from the app itself (no CDN).

Streamlit serves a custom component's folder at ``/component/<module>.<name>/``,
the same origin as streamlit-folium's map frame. Three folders are declared
that way: Leaflet 1.9.3 from the XStatic-Leaflet package, the atlas's map
script and stylesheet (``atlas/static``), and the geometry files written at run
time under ``output/web``. The map frame lives at
``/component/streamlit_folium.st_folium/index.html``, so each folder is
reached from it as ``../<module>.<name>/``, which also works when the app runs
under a base URL path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit.components.v1 as components
import xstatic.pkg.leaflet

from .. import config
from ..webmap import STATIC_DIR

#: The Leaflet version folium 0.20 writes scripts for; XStatic-Leaflet is pinned to it.
LEAFLET_VERSION = "1.9.3"


@dataclass(frozen=True)
class AssetUrls:
    """URLs (relative to the map frame, ending in ``/``) of the served folders."""

    leaflet: str
    static: str
    web: str
    web_dir: Path


def web_dir() -> Path:
    """Where geometry files for the browser are written: ``<output>/web``."""
    return config.out_dir() / "web"


def serve_assets() -> AssetUrls:
    """Register the asset folders with Streamlit's server and return their URLs.

    Call it in every script run (registering is cheap and idempotent).
    """
    if xstatic.pkg.leaflet.VERSION != LEAFLET_VERSION:
        raise RuntimeError(f"XStatic-Leaflet {xstatic.pkg.leaflet.VERSION} is installed; the map needs "
                           f"{LEAFLET_VERSION} (pinned in pyproject.toml).")
    folder = web_dir()
    folder.mkdir(parents=True, exist_ok=True)
    leaflet = components.declare_component("leaflet", path=xstatic.pkg.leaflet.BASE_DIR)
    static = components.declare_component("static", path=str(STATIC_DIR))
    web = components.declare_component("web", path=str(folder))
    return AssetUrls(*(f"../{component.name}/" for component in (leaflet, static, web)), folder)
