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

The classes and colours of an area layer come from
:func:`atlas.export.layer_classes`, the call the static exports make, so a
layer has the same legend wherever it is drawn.
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

from . import aggregate, config
from .classify import (
    BIVARIATE_COLOURS,
    MISSING_COLOUR,
    MISSING_LABEL,
    Classes,
    bivariate_legend,
    decile_label,
    format_value,
    hotspot_styles,
    layer_classes,
    layer_decimals,
    lisa_styles,
    short_label,
)
from .errors import AtlasError
from .model import Atlas
from .plaintext import csv_text, display_name
from .points import point_style
from .specs import POINTS_PREFIX
from .stats.hotspots import BINS as HOTSPOT_BINS
from .stats.moran import CLUSTERS, NO_DATA
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
    located = _located(frame)
    web = located.geometry.to_crs(WGS84)
    geometry = shapely.to_geojson(_rounded(web.values))
    shown = {column: label for column, label in fields.items() if column in located.columns}
    features = []
    for (code, row), geom in zip(located.iterrows(), geometry):
        properties = {"name": display_name(_text(row.get("name", code)))}
        properties["rows"] = [[label, _text(row[column])] for column, label in shown.items()
                              if _text(row[column])]
        features.append(f'{{"type":"Feature","id":{json.dumps(str(code))},'
                        f'"properties":{json.dumps(properties, ensure_ascii=False)},"geometry":{geom}}}')
    text = f'{{"type":"FeatureCollection","features":[{",".join(features)}]}}'
    return text, (_bounds(web) if len(web) else None), len(located)


def _located(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The points of a set that have a location (those the web document holds)."""
    return frame[frame.geometry.notna() & ~frame.geometry.is_empty]


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


# -- point sets coloured and sized ------------------------------------------------------------------
#: Point-set columns shown in tooltips and tables, where a set has them.
POINT_FIELDS = {"postcode": "Postcode", "pcn_name": "Primary Care Network", "list_size": "Registered patients",
                "Sector": "Sector", "SubType": "Type"}
#: The attribute sizing a set's markers (where the set has it).
SIZE_BY = "list_size"
#: Layer kinds of a point set that are not offered as colourings (sizes and the set itself).
NOT_COLOURS = ("points", "population", "count")


def colour_options(built: Atlas, point_set: str) -> dict[str, str]:
    """What a point set can be coloured by: its categorical attribute, then each of its indicator layers.

    Parameters
    ----------
    built : Atlas
    point_set : str
        E.g. ``gp_practices``.

    Returns
    -------
    dict
        Attribute or layer id -> label, e.g. ``pcn_name`` -> "Primary Care Network", then
        ``qof_ob`` -> "Obesity: recorded prevalence (QOF, aged 18+)"; empty when the set has
        neither (it is then drawn in one colour). Layers without any value are left out.
    """
    frame = built.table(f"points:{point_set}")
    info = built.report.point_set(point_set)
    options = {}
    if info.get("colour_by") in frame.columns:
        options[info["colour_by"]] = info.get("colour_label") or info["colour_by"]
    layers = built.layers_on(f"points:{point_set}")
    for layer, label, kind in zip(layers["layer"], layers["label"], layers["kind"]):
        if kind not in NOT_COLOURS and layer in frame.columns and frame[layer].notna().any():
            options[layer] = label
    return options


def point_style_payload(built: Atlas, point_set: str, colour_by: str | None = None) -> dict:
    """How the map script colours and sizes one point set, with its legend and tooltip lines.

    Colours, classes and sizes come from :func:`atlas.points.point_style` (a layer
    is classed by :func:`atlas.classify.classify`, as the area maps are); the
    geometry and fixed tooltip rows travel once, in the set's web document.

    Parameters
    ----------
    built : Atlas
    point_set : str
        A point set of ``built`` (``gp_practices``).
    colour_by : str, optional
        One of :func:`colour_options` (default: the set's categorical attribute).

    Returns
    -------
    dict
        JSON-ready: ``key`` (what colours the points), ``title``, ``legend``
        (label, colour pairs), ``note`` (what the marker size shows), ``sizes``
        (value text, radius pairs of the smallest, median and largest point),
        ``codes`` and, in that order, ``colour`` and ``radius`` of each point;
        for a layer also ``units``, ``benchmarks`` (the district's and England's
        values, as text) and ``tip``: row ``labels`` and each point's ``values``
        (value, 95% interval, comparison with each benchmark).

    Raises
    ------
    AtlasError
        If the point set is not in the atlas, or the layer has no value to classify.
    """
    colour_by = colour_by or built.report.point_set(point_set).get("colour_by") or ""
    style = point_style(built, point_set, colour_by or None, size_by=SIZE_BY)
    frame = _located(built.table(f"points:{point_set}"))
    radii = style.radii.reindex(frame.index).astype(float)
    payload = {"key": colour_by, "title": style.title, "legend": [list(item) for item in style.legend],
               "note": style.size_note, "sizes": _size_samples(frame, radii),
               "codes": [str(code) for code in frame.index],
               "colour": style.colours.reindex(frame.index).fillna(MISSING_COLOUR).tolist(),
               "radius": [round(r, 1) for r in radii], "units": "", "benchmarks": "", "tip": None}
    layers = built.layers_on(f"points:{point_set}")
    if colour_by in set(layers["layer"]):
        payload.update(_layer_tips(built, point_set, colour_by, frame))
        greys = grey_ramp([colour for _, colour in payload["legend"]])
        payload["legend"] = [[label, greys.get(colour, colour)] for label, colour in payload["legend"]]
        payload["colour"] = [greys.get(colour, colour) for colour in payload["colour"]]
    return payload


def grey_ramp(colours: list[str]) -> dict[str, str]:
    """Greys for the classes of a point layer, so points never share the areas' sequential colours.

    Each class colour (but the missing-value grey) is replaced by a grey of the
    same rank of lightness: the lightest class white, the darkest near black
    (ColorBrewer Greys), drawn with a black outline.

    Parameters
    ----------
    colours : list of str
        The classes' colours, as ``#rrggbb``.

    Returns
    -------
    dict
        Colour -> grey.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex, to_rgb

    shown = [c for c in dict.fromkeys(colours) if c != MISSING_COLOUR]
    if not shown:
        return {}
    lightness = {c: sum(w * v for w, v in zip((0.2126, 0.7152, 0.0722), to_rgb(c))) for c in shown}
    ranked = sorted(shown, key=lambda c: -lightness[c])
    steps = np.linspace(0.0, 0.85, len(ranked)) if len(ranked) > 1 else [0.45]
    return {c: to_hex(colormaps["Greys"](float(step))) for c, step in zip(ranked, steps)}


def _size_samples(frame: pd.DataFrame, radii: pd.Series) -> list:
    """Legend markers: the smallest, median and largest sizes, as (value text, radius)."""
    if SIZE_BY not in frame.columns:
        return []
    sizes = pd.to_numeric(frame[SIZE_BY], errors="coerce").dropna().sort_values(kind="stable")
    if sizes.empty:
        return []
    picks = sizes.index[[0, len(sizes) // 2, -1]]
    samples = {f"{sizes[code]:,.0f}": round(float(radii[code]), 1) for code in picks}
    return [list(item) for item in samples.items()]


def _layer_tips(built: Atlas, point_set: str, layer: str, frame: pd.DataFrame) -> dict:
    """Each point's value, 95% interval and comparisons with the district and England, as text."""
    meta = built.layer(layer, f"points:{point_set}")
    labels, columns = [str(meta["label"])], [[value_text(v, meta) for v in frame[layer]]]
    lower, upper = f"{layer}_lower", f"{layer}_upper"
    if lower in frame.columns and upper in frame.columns:
        labels.append("95% confidence interval")
        columns.append([f"{value_text(lo, meta)} to {value_text(hi, meta)}" if pd.notna(lo) and pd.notna(hi)
                        else None for lo, hi in zip(frame[lower], frame[upper])])
    found = [b for b in built.benchmarks(layer, POINTS_PREFIX + point_set)
             if f"{layer}_vs_{b['area']}" in frame.columns and b.get("value") is not None]
    for bench in found:
        labels.append(f"Compared with {bench['label']} ({value_text(bench['value'], meta)})")
        columns.append([None if pd.isna(v) else str(v) for v in frame[f"{layer}_vs_{bench['area']}"]])
    return {"units": str(meta.get("units") or ""),
            "benchmarks": " · ".join(f"{b['label']} {value_text(b['value'], meta)}" for b in found),
            "tip": {"labels": labels, "values": [list(row) for row in zip(*columns)]}}


def points_table(built: Atlas, point_set: str, layer: str | None = None, name: str = "Name") -> pd.DataFrame:
    """The table of a point set as the map shows it, one row per point (indexed by code).

    Columns: the name (headed ``name``), the attributes of :data:`POINT_FIELDS`
    the set has, and for ``layer`` its value (headed by label and units), 95%
    limits and comparisons with the district and England; the postcode last.
    """
    frame = built.table(f"points:{point_set}")
    columns = {"name": name, **{c: label for c, label in POINT_FIELDS.items() if c != "postcode"}}
    if layer:
        meta = built.layer(layer, f"points:{point_set}")
        columns.update({layer: f"{meta['label']} ({meta['units']})", f"{layer}_lower": "Lower 95%",
                        f"{layer}_upper": "Upper 95%", f"{layer}_vs_district": f"Compared with {built.la_name}",
                        f"{layer}_vs_england": "Compared with England"})
    columns["postcode"] = POINT_FIELDS["postcode"]
    table = frame[[c for c in columns if c in frame.columns]]
    for text in [c for c in ("name", "pcn_name") if c in table.columns]:   # names in capitals in title case
        table = table.assign(**{text: [display_name(v) for v in table[text]]})
    return table.rename(columns=columns)


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
    coverage_label : str or None
        What :attr:`coverage` says ("Residents of its LSOA (2011) areas"), for layers aggregated from smaller
        areas placed by a rule that may not fit (IoD2019 on wards).
    coverage : pandas.DataFrame or None
        :func:`atlas.aggregate.coverage` of each area: how much of its residents those areas hold.
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
    coverage_label: str | None = None
    coverage: pd.DataFrame | None = None

    @property
    def coverage_warning(self) -> str | None:
        """A sentence naming the areas whose smaller areas hold residents far from their own, or None."""
        if self.coverage is None or not self.coverage["differs"].any():
            return None
        off = self.coverage[self.coverage["differs"]].sort_values("share")
        named = ", ".join(f"{self.names.get(code, code)} {row.share:,.0f}%" for code, row in off.head(5).iterrows())
        return (f"{len(off)} of {len(self.coverage)} areas: the {self.coverage_label.removeprefix('Residents of its ')} "
                f"placed in them hold residents more than {aggregate.COVERAGE_TOLERANCE:.0%} off the area's own "
                f"({named}{' ...' if len(off) > 5 else ''}), so this layer's figures there describe a different "
                f"population. See the table's coverage columns.")

    @property
    def title(self) -> str:
        """The map title: the indicator."""
        return str(self.meta["label"])

    @property
    def subtitle(self) -> str:
        """Geography and vintage, district and period."""
        return f"{self.meta['geography_label']}, {self.la_name} · {self.meta['period']}"

    def value_text(self, value) -> str | None:
        """A value as the tooltip and table show it (None when missing)."""
        return value_text(value, self.meta)


def value_text(value, meta: dict) -> str | None:
    """A value of a layer as tooltips and tables show it; None when missing.

    Parameters
    ----------
    value : float or None
    meta : dict
        The layer's metadata: national deciles get their legend wording, other
        values the layer's decimals (and "%" when the units are just "%").

    Returns
    -------
    str or None
    """
    if value is None or pd.isna(value):
        return None
    if meta["kind"] == "decile":
        return decile_label(int(value))
    return format_value(value, layer_decimals(meta), meta.get("units"))


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
    _add_coverage(view, atlas, frame)
    extra = _national_decile(layers, meta)
    if extra is not None:
        view.extra_label = extra["label"]
        view.extra = pd.to_numeric(frame[extra["layer"]], errors="coerce")
    if values.notna().sum() == 0:
        view.message = (f"Every area of {atlas.la_name} has no value for {meta['label']} on "
                        f"{meta['geography_label']}: there is nothing to map. The build report "
                        f"({atlas.la_code}.report.json) says which areas the source file matched.")
        return view
    view.classes = layer_classes(atlas, layer, geography, scheme, k, palette)   # as the static export classes it
    return view


def _add_coverage(view: MapView, atlas: Atlas, frame: pd.DataFrame) -> None:
    """Set the view's coverage when its layer was aggregated from smaller areas the build measured the fit of."""
    native = str(view.meta.get("native_geography") or "")
    if not native or native == view.geography or view.layer.startswith(aggregate.COVERAGE_PREFIX):
        return
    found = aggregate.coverage_of(frame, native)
    if found is not None:
        view.coverage = found
        view.coverage_label = f"Residents of its {atlas.geography_labels.get(native, native)} areas"


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


@dataclass
class CategoryLayer:
    """A second, categorical fill of the map's areas (hot spots, bivariate classes, decile change ...).

    Drawn as the alternative base layer to the values, like the LISA clusters, with its own legend,
    tooltip row and table column.

    Attributes
    ----------
    title : str
        What it shows ("Hot and cold spots (Gi*)"): the layer's name, legend title and table column.
    labels, colours : list of str
        The categories in legend order and their colours.
    values : pandas.Series
        Category label by area code (areas absent or with a label not in ``labels`` count as the last label).
    caption : str
        How it was made, under the legend title.
    """

    title: str
    labels: list[str]
    colours: list[str]
    values: pd.Series
    caption: str = ""

    def payload(self, codes: pd.Index) -> dict:
        """The map script's ``lisa`` entry (the category fill) for areas ``codes``."""
        present = self.values.reindex(codes)
        last = len(self.labels) - 1
        position = {label: i for i, label in enumerate(self.labels)}
        return {"labels": list(self.labels), "colours": list(self.colours), "title": self.title,
                "cls": [position.get(c, last) for c in present], "caption": self.caption}


def lisa_layer(lisa: pd.Series, note: str | None = None, higher_is: str | None = None) -> CategoryLayer:
    """The LISA clusters as a :class:`CategoryLayer`, coloured and labelled by the indicator's polarity.

    ``higher_is`` (``worse``, ``better`` or ``neutral``) decides which clusters are red: High-High of
    an indicator where high is better (life expectancy) is blue, and each label says which end is
    good ("High-High: high values (better) near high values"); see :func:`atlas.classify.lisa_styles`.

    Parameters
    ----------
    lisa : pandas.Series
        LISA category ("High-High" ...) by area code.
    note : str, optional
        How the clusters were made (the legend's caption).
    higher_is : str, optional
        The indicator's polarity (the layer's ``higher_is``).

    Returns
    -------
    CategoryLayer
    """
    styles = lisa_styles(higher_is)
    values = lisa.map(lambda c: styles[c][0] if c in styles else c)
    return CategoryLayer("Local clusters (LISA)", [styles[c][0] for c in CLUSTERS],
                         [styles[c][1] for c in CLUSTERS], values, note or "")


def hotspot_layer(title: str, areas: pd.Series, note: str = "", higher_is: str | None = None) -> CategoryLayer:
    """Getis-Ord Gi* hot and cold spots (bin by area code) as a :class:`CategoryLayer`, by the indicator's polarity.

    Hot spots are red where high values are worse, blue where they are better, and each label says
    which ("Hot spot (99% confidence): high values (better)"); see :func:`atlas.classify.hotspot_styles`.

    Parameters
    ----------
    title : str
        The layer's name and legend title.
    areas : pandas.Series
        Gi* bin (:data:`atlas.stats.hotspots.BINS`) by area code.
    note : str
        How the bins were made (the legend's caption).
    higher_is : str, optional
        The indicator's polarity (the layer's ``higher_is``).

    Returns
    -------
    CategoryLayer
    """
    styles = hotspot_styles(higher_is)
    values = areas.map(lambda b: styles[b][0] if b in styles else b)
    return CategoryLayer(title, [styles[b][0] for b in HOTSPOT_BINS], [styles[b][1] for b in HOTSPOT_BINS],
                         values, note)


def bivariate_layer(entry: dict) -> CategoryLayer:
    """The 3x3 bivariate choropleth of :func:`atlas.analysis.analyses.bivariate_summary` as a :class:`CategoryLayer`.

    Legend labels name both indicators' thirds ("Income: high, Obesity: low"); colours are
    :data:`atlas.classify.BIVARIATE_COLOURS`.
    """

    x_label, y_label = (_short_label(entry[key]) for key in ("x_label", "y_label"))
    legend = bivariate_legend(x_label, y_label)
    label_of = {key: label for key, (label, _) in zip(BIVARIATE_COLOURS, legend)}
    values = pd.Series(entry["classes"], dtype=object).map(label_of)
    return CategoryLayer(f"Bivariate: {x_label} and {y_label}", [label for label, _ in legend] + [MISSING_LABEL],
                         [colour for _, colour in legend] + [MISSING_COLOUR], values, entry.get("method", ""))


def area_wards(areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """The ward each area lies in: the ward holding the area's representative point.

    Parameters
    ----------
    areas, wards : geopandas.GeoDataFrame
        Indexed by code, in one projected CRS; ``wards`` has ``name``.

    Returns
    -------
    pandas.Series
        Ward name by area code (NaN for an area in no ward).
    """
    points = gpd.GeoDataFrame(geometry=areas.geometry.representative_point(), index=areas.index, crs=areas.crs)
    names = wards[["name"]].astype(str).set_geometry(wards.geometry, crs=wards.crs)
    joined = gpd.sjoin(points, names, how="left", predicate="within")
    return joined[~joined.index.duplicated(keep="first")]["name"].reindex(areas.index)


def _short_label(label: str) -> str:
    """An indicator's label without its qualifiers (:func:`atlas.classify.short_label`)."""
    return short_label(label)


def view_table(view: MapView, lisa: pd.Series | None = None,
               categories: CategoryLayer | None = None) -> pd.DataFrame:
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
    if view.coverage is not None:
        found = view.coverage.reindex(view.values.index)
        table[f"{view.coverage_label} (% of the area's own)"] = found["share"].round(1).values
        table[f"More than {aggregate.COVERAGE_TOLERANCE:.0%} off"] = np.where(
            found["share"].isna(), "", np.where(found["differs"], "yes", "no"))
    if lisa is not None:
        clusters = lisa.reindex(view.values.index).fillna(NO_DATA)
        table["LISA cluster"] = pd.Categorical(clusters.values, CLUSTERS, ordered=True)
    if categories is not None:
        present = categories.values.reindex(view.values.index).where(lambda c: c.isin(categories.labels))
        table[categories.title] = pd.Categorical(present.fillna(categories.labels[-1]).values, categories.labels,
                                                 ordered=True)
    return table


def view_csv(view: MapView, lisa: pd.Series | None = None, categories: CategoryLayer | None = None) -> bytes:
    """The map's table as CSV (UTF-8 with a byte-order mark, for Excel), with its metadata.

    Like OHID Fingertips downloads, each row also names the indicator, units,
    period, geography, district, classification, source and licence, so the
    file explains itself when it travels without the app.
    """
    table = view_table(view, lisa, categories)
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
    return csv_text(table).encode("utf-8-sig")


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
                points: list[dict] | None = None, tiles: bool = False,
                categories: CategoryLayer | None = None, ward: tuple[str, pd.Series] | None = None,
                profile: str | None = None, focus: dict | None = None) -> dict:
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
    categories : CategoryLayer, optional
        A categorical fill drawn in place of the LISA clusters (hot spots, bivariate classes ...).
    ward : (label, pandas.Series), optional
        The ward of each area (name by area code, :func:`area_wards`) shown in the tooltip.
    profile : str, optional
        URL of an area's profile relative to the map frame, with ``{code}`` for the area's code.
    focus : dict, optional
        A place to fly to and outline: ``key``, ``label``, ``code``, ``bounds``, ``point``.

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
        "lisa": None, "lisa_note": lisa_note, "profile": profile, "focus": focus, "ward": None,
    }
    if ward is not None:
        names = ward[1].reindex(view.values.index)
        payload["ward"] = {"label": ward[0], "names": [str(n) if pd.notna(n) else None for n in names]}
    if view.extra is not None:
        payload["extra"] = {"label": view.extra_label,
                            "text": [decile_label(int(v)) if pd.notna(v) else None
                                     for v in view.extra.reindex(view.values.index)]}
    if view.coverage is not None:
        found = view.coverage.reindex(view.values.index)
        payload["coverage"] = {"label": view.coverage_label,
                               "text": [aggregate.coverage_text(r.share, r.assigned, r.reference)
                                        for r in found.itertuples()]}
    if categories is None and lisa is not None:
        categories = lisa_layer(lisa, lisa_note, view.meta.get("higher_is"))
    if categories is not None:
        payload["lisa"] = categories.payload(view.values.index)
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
