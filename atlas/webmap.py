"""The interactive web map: geometry for the browser, the view of one layer, the folium map.

The browser gets each thing once and reuses it:

* Leaflet (from the XStatic-Leaflet package) and the atlas's own map script and
  stylesheet (``atlas/static``), served by the app itself: no CDN;
* the simplified geometry of each geography, written once as a GeoJSON file
  (:func:`write_geometry`) and fetched by URL, so switching layers never
  re-sends it;
* on every change of layer or classification, a small payload
  (:func:`map_payload`): each area's class, its value as text, the legend, the
  title and the attribution; the map script (``atlas-map.js``) restyles the
  areas with it.

Every text taken from the data (area and organisation names, labels, units) is
put into the page by the map script as text, never as HTML, and the payload is
encoded so that nothing in it can close the script it travels in.

The classes and colours come from :func:`atlas.classify.classify`, as in the
static exports, so a layer has the same legend wherever it is drawn.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.elements import Template

from . import config
from .classify import LISA_COLOURS, MISSING_COLOUR, MISSING_LABEL, Classes, classify, decile_label
from .errors import AtlasError
from .model import Atlas
from .store import write_text_atomic

#: Simplification tolerance for the web, in metres (British National Grid).
WEB_TOLERANCE_M = 5.0
#: Grid the vertices are snapped to before simplifying, in metres (see :func:`web_geometry`).
SNAP_GRID_M = 0.001
#: Decimals of longitude and latitude written for the browser (about 0.1 m).
COORD_DECIMALS = 6
#: Above this many areas the map draws on a canvas rather than one SVG path per area.
CANVAS_ABOVE = 3000
STATIC_DIR = Path(__file__).with_name("static")
MAP_SCRIPT = "atlas-map.js"
MAP_STYLES = "atlas-map.css"
WGS84 = "EPSG:4326"
#: Okabe-Ito colours for point sets (distinguishable with colour-blindness, readable on the palettes).
POINT_COLOURS = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00"]
LISA_ORDER = ["High-High", "Low-Low", "High-Low", "Low-High", "Not significant", "No neighbours"]
ENGLAND_VIEW = ([52.8, -1.6], 7)


# -- geometry for the browser ------------------------------------------------------------------
def web_geometry(frame: gpd.GeoDataFrame, tolerance_m: float = WEB_TOLERANCE_M,
                 grid_m: float = SNAP_GRID_M) -> gpd.GeoSeries:
    """Simplify a geography's areas for the web so that neighbours still meet.

    The published LSOA 2011 (and MSOA 2011) polygons were generalised one by
    one: neighbours' shared vertices differ by about a micrometre, so they are
    not a valid coverage, and simplifying them (even with
    :func:`shapely.coverage_simplify`) opens gaps and overlaps along every
    shared edge (about 800 m² of gaps and 1,100 m² of overlaps in Luton at
    10 m). Snapping the vertices to a 1 mm grid first makes shared edges
    identical; coverage simplification then moves each shared edge once, for
    both neighbours.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Areas in a projected CRS in metres (British National Grid).
    tolerance_m : float
        Simplification tolerance in metres; 0 keeps every vertex.
    grid_m : float
        Snapping grid in metres.

    Returns
    -------
    geopandas.GeoSeries
        The simplified areas in WGS84 longitude/latitude, indexed as ``frame``.
    """
    return gpd.GeoSeries(_simplified(frame, tolerance_m, grid_m), index=frame.index, crs=frame.crs).to_crs(WGS84)


def _simplified(frame: gpd.GeoDataFrame, tolerance_m: float, grid_m: float = SNAP_GRID_M) -> np.ndarray:
    if frame.crs is None or not frame.crs.is_projected:
        raise AtlasError(f"Web geometry needs areas in a projected CRS in metres (got {frame.crs}).")
    geoms = shapely.set_precision(np.asarray(frame.geometry.values), grid_m)
    return shapely.coverage_simplify(geoms, tolerance_m) if tolerance_m > 0 else geoms


def _rounded(geoms) -> np.ndarray:
    return shapely.transform(np.asarray(geoms), lambda xy: np.round(xy, COORD_DECIMALS))


def _bounds(series: gpd.GeoSeries) -> list[list[float]]:
    west, south, east, north = (round(float(v), COORD_DECIMALS) for v in series.total_bounds)
    return [[south, west], [north, east]]


@dataclass(frozen=True)
class GeometryFile:
    """A GeoJSON document written for the browser.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    name : str
        Its path relative to the web folder (the URL below the app's asset route).
    bounds : list
        ``[[south, west], [north, east]]`` in degrees.
    count : int
        Number of features.
    """

    path: Path
    name: str
    bounds: list
    count: int


def areas_document(frame: gpd.GeoDataFrame, tolerance_m: float = WEB_TOLERANCE_M) -> tuple[str, list, int]:
    """The GeoJSON text of a geography for the browser: simplified areas and the outline.

    Each feature has the area code as ``id`` and its ``name`` as the only
    property; the document carries the dissolved outline of all its areas as
    the foreign member ``outline`` (so the district boundary matches the
    areas exactly).

    Returns
    -------
    text, bounds, count
    """
    simplified = _simplified(frame, tolerance_m)
    union = shapely.coverage_union_all if shapely.coverage_is_valid(simplified) else shapely.union_all
    outline = gpd.GeoSeries([union(simplified)], crs=frame.crs).to_crs(WGS84).values
    web = gpd.GeoSeries(simplified, index=frame.index, crs=frame.crs).to_crs(WGS84)
    geometry = shapely.to_geojson(_rounded(web.values))
    names = frame["name"].astype(str) if "name" in frame.columns else pd.Series(frame.index, index=frame.index)
    features = ",".join(
        f'{{"type":"Feature","id":{json.dumps(str(code))},"properties":{{"name":{json.dumps(name)}}},'
        f'"geometry":{geom}}}'
        for code, name, geom in zip(frame.index, names, geometry))
    text = (f'{{"type":"FeatureCollection","features":[{features}],'
            f'"outline":{shapely.to_geojson(_rounded(outline)[0])}}}')
    return text, _bounds(web), len(frame)


def points_document(frame: gpd.GeoDataFrame, fields: dict[str, str]) -> tuple[str, list, int]:
    """The GeoJSON text of a point set for the browser.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Points indexed by organisation code.
    fields : dict
        Column -> label of the attributes shown in the tooltip (those present).

    Returns
    -------
    text, bounds, count
    """
    located = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    web = located.geometry.to_crs(WGS84)
    geometry = shapely.to_geojson(_rounded(web.values))
    shown = {column: label for column, label in fields.items() if column in located.columns}
    features = []
    for (code, row), geom in zip(located.iterrows(), geometry):
        properties = {"name": _text(row.get("name", code))}
        properties["rows"] = [[label, _text(row[column])] for column, label in shown.items()
                              if _text(row[column])]
        features.append(f'{{"type":"Feature","id":{json.dumps(str(code))},'
                        f'"properties":{json.dumps(properties, ensure_ascii=False)},"geometry":{geom}}}')
    text = f'{{"type":"FeatureCollection","features":[{",".join(features)}]}}'
    return text, (_bounds(web) if len(web) else None), len(located)


def _text(value) -> str:
    """An attribute as tooltip text: blank when missing, whole numbers with thousands separators."""
    if value is None or (np.ndim(value) == 0 and pd.isna(value)):
        return ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}"
    return str(value)


def write_document(text: str, folder: Path, stem: str) -> Path:
    """Write ``text`` to ``folder/<stem>-<digest>.json`` once (atomically); return the path.

    The digest of the content in the name means a file is never rewritten in
    place, so a browser may keep it as long as it likes.
    """
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    path = Path(folder) / f"{stem}-{digest}.json"
    if not path.exists():
        write_text_atomic(path, text)
    return path


def write_geometry(frame: gpd.GeoDataFrame, web_dir: Path, la_code: str, geography: str,
                   tolerance_m: float = WEB_TOLERANCE_M) -> GeometryFile:
    """Write the web geometry of one geography of a district under ``web_dir``.

    Returns
    -------
    GeometryFile
        The file, its URL path below ``web_dir``, bounds and area count.
    """
    text, bounds, count = areas_document(frame, tolerance_m)
    path = write_document(text, Path(web_dir) / la_code, geography)
    return GeometryFile(path, f"{la_code}/{path.name}", bounds, count)


def write_points(frame: gpd.GeoDataFrame, web_dir: Path, la_code: str, point_set: str,
                 fields: dict[str, str]) -> GeometryFile:
    """Write one point set of a district under ``web_dir`` (see :func:`points_document`)."""
    text, bounds, count = points_document(frame, fields)
    path = write_document(text, Path(web_dir) / la_code, f"points-{point_set}")
    return GeometryFile(path, f"{la_code}/{path.name}", bounds, count)


# -- the view of one layer -----------------------------------------------------------------------
@dataclass
class MapView:
    """One layer of one geography as the map, table and CSV show it.

    Attributes
    ----------
    la_code, la_name, layer, geography : str
    meta : dict
        The layer's metadata (``Atlas.layer``).
    values : pandas.Series
        The layer's values by area code.
    names : pandas.Series
        Area names by code.
    classes : Classes or None
        The classes and colours; None when there is nothing to classify.
    message : str or None
        Why there is nothing to map (every value missing ...), in words.
    extra_label : str or None
        Label of the national decile shown beside the value (LSOAs).
    extra : pandas.Series or None
        That decile by area code.
    interval : tuple of pandas.Series or None
        Lower and upper confidence limits, where the layer has them.
    """

    la_code: str
    la_name: str
    layer: str
    geography: str
    meta: dict
    values: pd.Series
    names: pd.Series
    classes: Classes | None
    message: str | None = None
    extra_label: str | None = None
    extra: pd.Series | None = None
    interval: tuple[pd.Series, pd.Series] | None = None

    @property
    def title(self) -> str:
        """The map title: the indicator."""
        return str(self.meta["label"])

    @property
    def subtitle(self) -> str:
        """Geography and vintage, district and period."""
        return f"{self.meta['geography_label']}, {self.la_name} · {self.meta['period']}"

    @property
    def decimals(self) -> int:
        """Decimals values are shown with."""
        try:
            return int(self.meta.get("decimals") or 0)
        except (TypeError, ValueError):
            return 1

    def value_text(self, value) -> str | None:
        """A value as the tooltip and table show it (None when missing)."""
        if value is None or pd.isna(value):
            return None
        if self.meta["kind"] == "decile":
            return decile_label(int(value))
        text = f"{float(value):,.{self.decimals}f}"
        return f"{text}%" if str(self.meta.get("units", "")).strip() == "%" else text


def map_view(atlas: Atlas, layer: str, geography: str, scheme: str = "quantiles", k: int = 5,
             palette: str | None = None) -> MapView:
    """Classify one layer of one geography for the map.

    Parameters
    ----------
    atlas : Atlas
    layer, geography : str
    scheme : str
        ``quantiles``, ``natural_breaks`` or ``equal_interval`` (deciles are always categorical).
    k : int
        Number of classes.
    palette : str, optional
        A palette of ``atlas.classify.SEQUENTIAL_PALETTES``; by default the layer's own.

    Returns
    -------
    MapView
        With ``classes`` None and a ``message`` when every value is missing.

    Raises
    ------
    AtlasError
        If the layer is not on that geography, or the scheme or palette is unknown.
    """
    layers = atlas.layers_on(geography)
    rows = layers[layers["layer"] == layer]
    meta = rows.iloc[0].to_dict() if len(rows) else atlas.layer(layer, geography)   # the latter raises
    frame = atlas.table(geography)
    values = pd.to_numeric(frame[layer], errors="coerce")
    names = frame["name"].astype(str) if "name" in frame.columns else pd.Series(frame.index, index=frame.index)
    view = MapView(atlas.la_code, atlas.la_name, layer, geography, meta, values, names, None)
    lower, upper = f"{layer}_lower", f"{layer}_upper"
    if lower in frame.columns and upper in frame.columns:
        view.interval = (pd.to_numeric(frame[lower], errors="coerce"), pd.to_numeric(frame[upper], errors="coerce"))
    extra = _national_decile(layers, meta)
    if extra is not None:
        view.extra_label = extra["label"]
        view.extra = pd.to_numeric(frame[extra["layer"]], errors="coerce")
    if values.notna().sum() == 0:
        view.message = (f"Every area of {atlas.la_name} has no value for {meta['label']} on "
                        f"{meta['geography_label']}: there is nothing to map. The build report "
                        f"({atlas.la_code}.report.json) says which areas the source file matched.")
        return view
    decimals = view.decimals
    view.classes = classify(values, kind=meta["kind"], scheme=scheme, k=int(k),
                            palette=palette or (meta.get("palette") or None),
                            higher_is=meta.get("higher_is") or "neutral", decimals=decimals)
    return view


def _national_decile(layers: pd.DataFrame, meta: dict) -> dict | None:
    """Metadata of the IMD national decile shown beside a layer's value, where the geography has one.

    ``layers`` are the geography's layers; the decile of the layer's own theme
    (IoD2019 beside 2019 layers) is preferred, else the latest.
    """
    deciles = layers[(layers["kind"] == "decile") & layers["layer"].str.startswith("imd")]
    if deciles.empty:
        return None
    same_theme = deciles[deciles["theme"] == meta.get("theme")]
    chosen = (same_theme if len(same_theme) else deciles.iloc[::-1]).iloc[0].to_dict()
    return None if chosen["layer"] == meta["layer"] else chosen


def view_table(view: MapView, lisa: pd.Series | None = None) -> pd.DataFrame:
    """The table of what the map shows: one row per area, in the map's order.

    Columns: area code and name, the value (named by the indicator and its
    units), confidence limits where the layer has them, the map class (legend
    label), the national decile shown in the tooltip, and the LISA cluster when
    given.
    """
    units = str(view.meta.get("units") or "").strip()
    value_column = f"{view.title} ({units})" if units else view.title
    table = pd.DataFrame({"Area code": view.values.index, "Area name": view.names.reindex(view.values.index).values,
                          value_column: view.values.values})
    if view.interval is not None:
        table["Lower confidence limit"] = view.interval[0].reindex(view.values.index).values
        table["Upper confidence limit"] = view.interval[1].reindex(view.values.index).values
    # classes and clusters as ordered categories: they sort in legend order (and travel compactly)
    labels = (view.classes.labels if view.classes is not None else []) + [MISSING_LABEL]
    index = (view.classes.index.reindex(view.values.index).fillna(-1).astype(int).to_numpy()
             if view.classes is not None else np.full(len(view.values), -1))
    table["Map class"] = pd.Categorical.from_codes(np.where(index < 0, len(labels) - 1, index), labels, ordered=True)
    if view.extra is not None:
        table[view.extra_label] = view.extra.reindex(view.values.index).astype("Int64").values
    if lisa is not None:
        clusters = lisa.reindex(view.values.index).fillna("No data")
        table["LISA cluster"] = pd.Categorical(clusters.values, LISA_ORDER + ["No data"], ordered=True)
    return table


def view_csv(view: MapView, lisa: pd.Series | None = None) -> bytes:
    """The map's table as CSV (UTF-8 with a byte-order mark, for Excel), with its metadata.

    Like OHID Fingertips downloads, each row also names the indicator, units,
    period, geography, district, classification, source and licence, so the
    file explains itself when it travels without the app.
    """
    table = view_table(view, lisa)
    meta = view.meta
    table["Indicator"] = view.title
    table["Indicator id"] = view.layer
    table["Units"] = meta.get("units", "")
    table["Period"] = meta.get("period", "")
    table["Geography"] = meta.get("geography_label", view.geography)
    table["District"] = f"{view.la_name} ({view.la_code})"
    table["Classification"] = view.classes.scheme if view.classes is not None else ""
    table["Source"] = f"{meta.get('source_title', '')}, {meta.get('publisher', '')}"
    table["Licence"] = meta.get("licence", "")
    table["Attribution"] = attribution(meta)
    return table.to_csv(index=False).encode("utf-8-sig")


def attribution(meta: dict) -> str:
    """The attribution a map of this layer must carry: the boundaries' and the source's."""
    parts = [str(meta.get("boundary_attribution") or "").strip(), str(meta.get("attribution") or "").strip()]
    licence = config.os_licence_number()
    if licence:
        parts.append(f"OS licence number {licence}.")
    return " ".join(part for part in parts if part)


# -- the payload the map script draws ---------------------------------------------------------------
def map_payload(view: MapView, areas: GeometryFile, areas_url: str, *, wards: tuple[str, str] | None = None,
                lisa: pd.Series | None = None, lisa_note: str | None = None,
                points: list[dict] | None = None, tiles: bool = False) -> dict:
    """What the map script needs to draw one view (everything but the geometry).

    Parameters
    ----------
    view : MapView
    areas : GeometryFile
        The geography's geometry file (for bounds and count).
    areas_url : str
        URL of that file, relative to the map's frame.
    wards : (url, label), optional
        The ward geometry drawn as an outline overlay.
    lisa : pandas.Series, optional
        LISA cluster label by area code.
    lisa_note : str, optional
        Why there is no LISA layer, or how it was computed.
    points : list of dict, optional
        Point overlays: ``id``, ``label``, ``url``, ``count``, ``attribution``.
    tiles : bool
        Whether a base map of tiles is drawn underneath (fills are then lighter).

    Returns
    -------
    dict
        JSON-ready.
    """
    codes = [str(code) for code in view.values.index]
    classes = view.classes
    fill = {
        "label": view.title, "units": str(view.meta.get("units") or ""),
        "text": [view.value_text(v) for v in view.values],
        "cls": classes.index.reindex(view.values.index).fillna(-1).astype(int).tolist() if classes else [-1] * len(codes),
        "colours": list(classes.colours) if classes else [],
        "legend": [list(item) for item in classes.legend()] if classes else [[MISSING_LABEL, MISSING_COLOUR]],
        "scheme": classes.scheme if classes else "",
        "missing_colour": MISSING_COLOUR,
        "message": view.message,
    }
    if view.interval is not None:
        fill["interval"] = [[view.value_text(lo), view.value_text(hi)] if pd.notna(lo) and pd.notna(hi) else None
                            for lo, hi in zip(view.interval[0].reindex(view.values.index),
                                              view.interval[1].reindex(view.values.index))]
    payload = {
        "la": view.la_code, "layer": view.layer, "geography": view.geography,
        "title": view.title, "subtitle": view.subtitle,
        "areas": {"url": areas_url, "count": areas.count, "label": view.meta["geography_label"]},
        "bounds": areas.bounds, "canvas": areas.count > CANVAS_ABOVE,
        "codes": codes, "fill": fill, "fill_opacity": 0.7 if tiles else 0.9,
        "attribution": attribution(view.meta),
        "wards": {"url": wards[0], "label": wards[1]} if wards else None,
        "points": [{**p, "colour": p.get("colour") or POINT_COLOURS[i % len(POINT_COLOURS)]}
                   for i, p in enumerate(points or [])],
        "lisa": None, "lisa_note": lisa_note,
    }
    if view.extra is not None:
        payload["extra"] = {"label": view.extra_label,
                            "text": [decile_label(int(v)) if pd.notna(v) else None
                                     for v in view.extra.reindex(view.values.index)]}
    if lisa is not None:
        order = [name for name in LISA_ORDER if name in LISA_COLOURS]
        present = lisa.reindex(view.values.index)
        payload["lisa"] = {
            "labels": order + ["No data"], "colours": [LISA_COLOURS[name] for name in order] + [MISSING_COLOUR],
            "cls": [order.index(c) if c in order else len(order) for c in present],
            "caption": lisa_note or "",
        }
    return payload


def encode_payload(payload: dict) -> str:
    """JSON for a script: ``<``, ``>``, ``&`` and line separators escaped, so no value can end the script."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


class MapDraw(folium.MacroElement):
    """A folium element whose script hands one payload to the atlas's map script."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        window.AtlasMap.draw(window.map || {{ this.map_name }}, {{ this.payload }});
        {% endmacro %}
    """)

    def __init__(self, payload: dict, map_name: str = "map_div"):
        super().__init__()
        self._name = "MapDraw"
        self.payload = encode_payload(payload)
        self.map_name = map_name


def base_map(leaflet_url: str, static_url: str, tiles: bool = False) -> folium.Map:
    """The map frame: Leaflet served locally, no tiles unless asked, a scale bar.

    Parameters
    ----------
    leaflet_url, static_url : str
        URLs (ending in ``/``) of the folders holding Leaflet 1.9.3 and the
        atlas's map script and stylesheet.
    tiles : bool
        Draw OpenStreetMap tiles underneath (needs internet; off by default).

    Returns
    -------
    folium.Map
        With only local scripts and stylesheets: folium's CDN links (jQuery,
        Bootstrap, Font Awesome, awesome-markers) are dropped, as nothing the
        atlas draws needs them.
    """
    centre, zoom = ENGLAND_VIEW
    fmap = folium.Map(location=centre, zoom_start=zoom, tiles=None, zoom_control=False, control_scale=True,
                      prefer_canvas=False, zoom_snap=0.25)
    fmap.default_js = [("leaflet", f"{leaflet_url}leaflet.js"), ("atlas_map", f"{static_url}{MAP_SCRIPT}")]
    fmap.default_css = [("leaflet_css", f"{leaflet_url}leaflet.css"), ("atlas_map_css", f"{static_url}{MAP_STYLES}")]
    if tiles:
        folium.TileLayer("OpenStreetMap", control=False).add_to(fmap)
    return fmap


def map_layers(payload: dict) -> folium.FeatureGroup:
    """The layers of one view, as the feature group streamlit-folium adds to the map frame."""
    group = folium.FeatureGroup(name="atlas", control=False)
    MapDraw(payload).add_to(group)
    return group
