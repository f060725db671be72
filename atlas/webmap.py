"""The interactive web map: the view of one layer, the payload the map script draws, the folium map.

The browser gets each thing once and reuses it:

* Leaflet (from the XStatic-Leaflet package) and the atlas's own map script and
  stylesheet (``atlas/static``), served by the app itself: no CDN;
* the simplified geometry of each geography, written once as a GeoJSON file
  (:func:`atlas.web_geometry.write_geometry`) and fetched by URL, so switching layers never
  re-sends it;
* on every change of layer or classification, a small payload
  (:func:`map_payload`): each area's class, its value as text, the legend, the
  title and the attribution; the map script (``atlas-map.js``) restyles the
  areas with it (point sets: :mod:`atlas.point_styles`).

Every text taken from the data (area and organisation names, labels, units) is
put into the page by the map script as text, never as HTML, and the payload is
encoded so that nothing in it can close the script it travels in.

The classes and colours of an area layer come from
:func:`atlas.export.layer_classes`, the call the static exports make, so a
layer has the same legend wherever it is drawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.elements import Template

from . import aggregate, config
from .classify import (
    BIVARIATE_COLOURS,
    MISSING_COLOUR,
    MISSING_LABEL,
    Classes,
    bivariate_legend,
    decile_label,
    hotspot_styles,
    layer_classes,
    lisa_styles,
    short_label,
    value_text,
)
from .model import Atlas
from .plaintext import csv_text
from .point_styles import POINT_COLOURS
from .stats.hotspots import BINS as HOTSPOT_BINS
from .stats.moran import CLUSTERS, NO_DATA
from .web_geometry import GeometryFile

#: Above this many areas the map draws on a canvas rather than one SVG path per area.
CANVAS_ABOVE = 3000
STATIC_DIR = Path(__file__).with_name("static")
MAP_SCRIPT = "atlas-map.js"
MAP_STYLES = "atlas-map.css"
WGS84 = "EPSG:4326"
ENGLAND_VIEW = ([52.8, -1.6], 7)


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
    return _styled_categories("Local clusters (LISA)", lisa, lisa_styles(higher_is), CLUSTERS, note)


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
    return _styled_categories(title, areas, hotspot_styles(higher_is), HOTSPOT_BINS, note)


def _styled_categories(title: str, areas: pd.Series, styles: dict, order, note: str | None) -> CategoryLayer:
    """Categories by area code drawn with ``styles`` (category -> (label, colour)), the legend in ``order``."""
    values = areas.map(lambda c: styles[c][0] if c in styles else c)
    return CategoryLayer(title, [styles[c][0] for c in order], [styles[c][1] for c in order], values, note or "")


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
                profile: str | None = None, focus: dict | None = None,
                upper: tuple[str, str] | None = None) -> dict:
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
    upper : (url, label), optional
        The upper-tier authorities' geometry drawn as a thick outline overlay (a region's or England's map).

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
        "outline_label": f"Boundary of {view.la_name}",
        "title": view.title, "subtitle": view.subtitle,
        "areas": {"url": areas_url, "count": areas.count, "label": view.meta["geography_label"]},
        "bounds": areas.bounds, "canvas": areas.count > CANVAS_ABOVE,
        "codes": codes, "fill": fill, "fill_opacity": 0.7 if tiles else 0.9,
        "attribution": attribution(view.meta),
        "wards": {"url": wards[0], "label": wards[1]} if wards else None,
        "upper": {"url": upper[0], "label": upper[1]} if upper else None,
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
