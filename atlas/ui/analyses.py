"""The map page's further analyses: which categorical layer the map shows, their panel, and funnel plots.

The categorical layer (the map's second base layer, beside the values) is one
of: local clusters (LISA), hot and cold spots (Getis-Ord Gi*), two indicators
together (bivariate LISA and a 3x3 bivariate choropleth), or the change in
national IMD decile since 2019. The panel gives each statistic's plain-English
reading (:mod:`atlas.analysis.analyses`, :mod:`atlas.change`); funnel plots are
interactive Altair charts with a table beside them.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from .. import change, webmap
from ..analysis import analyses
from ..catchments import practice_set
from ..classify import CHANGE_COLOURS, short_label
from ..errors import AtlasError
from ..legend_svg import bivariate_key_svg
from ..specs import POINTS_PREFIX
from ..stats.funnel import LEVELS, POSITIONS
from . import common
from .upload import plain

LISA, HOT_SPOTS, BIVARIATE, CHANGE = "lisa", "hotspots", "bivariate", "change"
CATEGORY_LABELS = {LISA: "Local clusters (LISA)", HOT_SPOTS: "Hot and cold spots (Gi*)",
                   BIVARIATE: "Two indicators (bivariate)", CHANGE: "IMD decile change since 2019"}
#: Session key of the "False-discovery-rate cut-off" toggle (LISA clusters and hot spots).
FDR_KEY = "fdr"
FUNNEL_POSITION_COLOURS = ["#b2182b", "#ef8a62", "#999999", "#67a9cf", "#2166ac"]


def category_controls(built, geography: str, layer: str, column) -> tuple[str, str | None]:
    """The "Second map layer" select box (and the bivariate partner); the choice and the partner layer."""
    options = [LISA, HOT_SPOTS, BIVARIATE] + ([CHANGE] if geography == change.new_geography() else [])
    if st.session_state.get("category") not in options:
        st.session_state["category"] = LISA
    kind = column.selectbox(
        "Second map layer", options, key="category", format_func=CATEGORY_LABELS.get,
        help="The map's second base layer (switch between it and the values in the map's layer list): local "
             "Moran clusters, Getis-Ord Gi* hot and cold spots, this indicator with a second one (bivariate "
             "LISA and a 3x3 map of thirds), or how each LSOA's national IMD decile moved from IoD2019 to IoD2025.")
    partner = None
    if kind in (LISA, HOT_SPOTS):
        column.toggle("False-discovery-rate cut-off", key=FDR_KEY, value=False,
                      help="With hundreds of areas, some pass p < 0.05 by chance. This cut-off (Benjamini-Hochberg, "
                           "as esda's fdr) keeps an area only when it stays significant once that is allowed for: "
                           "fewer, surer clusters and hot spots.")
    if kind == CHANGE:
        return kind, column.selectbox("Domain", list(change.DOMAINS), key="change_domain",
                                      format_func=change.DOMAINS.get,
                                      help="The IMD or one of its seven domains: each LSOA's national decile in "
                                           "IoD2019 against IoD2025.")
    if kind == BIVARIATE:
        layers = built.layers_on(geography)
        layers = layers[(layers["layer"] != layer) & ~layers["kind"].isin(["decile", "points"])]
        labels = dict(zip(layers["layer"], layers["label"]))
        if not labels:
            return kind, None
        if st.session_state.get("bivariate_partner") not in labels:
            st.session_state["bivariate_partner"] = next(iter(labels))
        partner = column.selectbox("Second indicator", list(labels), key="bivariate_partner", format_func=labels.get,
                                   help="Related to the map's indicator in neighbouring areas (bivariate Moran).")
    return kind, partner


def fdr_chosen(kind: str) -> bool:
    """Whether the false-discovery-rate cut-off is on for the second map layer ``kind`` (LISA or hot spots)."""
    return kind in (LISA, HOT_SPOTS) and bool(st.session_state.get(FDR_KEY))


def smoothed_toggle(built, geography: str, layer: str, column) -> tuple:
    """A "Smoothed rates" toggle for layers with counts: when on, the map shows the empirical-Bayes companion layer."""
    if f"{layer}_numerator" not in built.table(geography).columns:
        return built, layer
    on = column.toggle("Show empirical-Bayes smoothed rates", key="smoothed", value=False,
                       help="Rates of areas with few people swing by chance; smoothing pulls each towards the "
                            "district's rate, the more so the fewer people it has. The map then shows these "
                            "estimates (labelled as such); the panel says which raw rates are unstable.")
    if not on:
        return built, layer
    try:
        return analyses.with_smoothed_layer(built, layer, geography)
    except AtlasError as exc:
        column.caption(plain(str(exc)))
        return built, layer


def category_layer(built, view: webmap.MapView, kind: str, partner: str | None, lisa: pd.Series | None,
                   lisa_note: str) -> tuple[webmap.CategoryLayer | None, dict | None, str]:
    """The categorical layer the map draws, the entry it came from, and a note (why there is none, or how made)."""
    if kind == LISA:
        higher_is = view.meta.get("higher_is")
        return (webmap.lisa_layer(lisa, lisa_note, higher_is) if lisa is not None else None), None, lisa_note
    if kind == HOT_SPOTS:
        entry = cached("hotspots", built, view.layer, view.geography, fdr=fdr_chosen(kind))
        if not entry["available"]:
            return None, entry, entry["message"]
        layer = webmap.hotspot_layer(CATEGORY_LABELS[HOT_SPOTS], pd.Series(entry["areas"], dtype=object),
                                     entry["method"], view.meta.get("higher_is"))
        return layer, entry, entry["method"]
    if kind == BIVARIATE:
        if partner is None:
            return None, None, "No second indicator on this geography."
        entry = cached("bivariate", built, view.layer, view.geography, partner)
        if not entry["available"]:
            return None, entry, entry["message"]
        layer = webmap.bivariate_layer(entry)
        return layer, entry, entry["method"]
    entry = cached("change", built, view.layer, view.geography, partner or "imd")
    if not entry["available"]:
        return None, entry, entry["message"]
    title = f"{change.DOMAINS[partner or 'imd']} decile change since 2019"
    layer = webmap.CategoryLayer(title, list(change.MOVEMENTS), CHANGE_COLOURS,
                                 pd.Series(entry["areas"], dtype=object), change.METHOD)
    return layer, entry, change.METHOD


def cached(kind: str, built, layer: str, geography: str, partner: str = "", fdr: bool = False) -> dict:
    """An analysis entry, computed once per data (the map and the panel share it); ``fdr`` for hot spots."""
    token = common.data_token(built, layer, geography)
    if partner and kind == "bivariate":
        token += common.data_token(built, partner, geography)
    return _cached(kind, built.la_code, layer, geography, partner, fdr, str(built.path), token, built)


@st.cache_resource(show_spinner=False, max_entries=128)
def _cached(kind: str, la: str, layer: str, geography: str, partner: str, fdr: bool, path: str, token: str,
            _built) -> dict:
    if kind == "hotspots":
        return analyses.hot_spot_summary(_built, layer, geography, fdr=fdr)
    if kind == "bivariate":
        return analyses.bivariate_summary(_built, layer, geography, partner, geography)
    if kind == "smoothed":
        return analyses.smoothed_summary(_built, layer, geography)
    try:
        table = change.decile_change(_built, partner or "imd")
    except AtlasError as exc:
        return {"available": False, "message": str(exc)}
    return {"available": True, "areas": table["movement"].to_dict(), "counts": change.movement_counts(table),
            "reading": change.change_reading(table, _built.la_name), "table": table}


def panel(built, view: webmap.MapView, kind: str, entry: dict | None) -> None:
    """The readings of the chosen categorical layer and of the layer's smoothed rates, under the statistics."""
    if kind != LISA:
        st.markdown(f"**{plain(CATEGORY_LABELS[kind])}**")
        if entry is None:
            st.caption("Not available for this indicator.")
        else:
            st.caption(plain(entry.get("reading") or entry.get("message", "")))
            if kind == BIVARIATE and entry.get("available"):
                bivariate_key(entry)
    raw = _raw_layer(view.layer)
    if f"{raw}_numerator" in built.table(view.geography).columns:
        smoothed = cached("smoothed", built, raw, view.geography)
        st.markdown("**Smoothed rates (empirical Bayes)**")
        st.caption(plain(smoothed.get("reading") or smoothed.get("message", "")))


def bivariate_key(entry: dict) -> None:
    """The 3x3 legend of the bivariate map (inline SVG with a table alternative), with the areas in each class."""
    counts = pd.Series(entry["classes"], dtype=object).value_counts().to_dict()
    x_label, y_label = (short_label(entry[key]) for key in ("x_label", "y_label"))
    st.html(bivariate_key_svg(x_label, y_label, counts))


def _raw_layer(layer: str) -> str:
    return layer[len(analyses.SMOOTHED_PREFIX):] if layer.startswith(analyses.SMOOTHED_PREFIX) else layer


def area_funnel(built, view: webmap.MapView) -> None:
    """A funnel plot of the areas of a layer with counts (interactive, with its table); nothing for other layers."""
    layer, geography = _raw_layer(view.layer), view.geography
    if f"{layer}_numerator" not in built.table(geography).columns:
        return
    entry = analyses.funnel_summary(built, layer, geography)
    with st.expander("Funnel plot of these areas"):
        if not entry["available"]:
            st.caption(plain(entry["message"]))
            return
        st.altair_chart(funnel_chart(entry, built.la_name), width="stretch")
        st.caption(plain(entry["reading"] + " " + entry["method"]))
        shown = entry["points"][["name", "numerator", "denominator", "value", "position"]]
        st.dataframe(shown.rename(columns={"value": entry["units"] or "value"}).round(2), width="stretch")


def change_shares(built, geography: str) -> None:
    """On wards and MSOAs: the share of each area's residents in LSOAs whose IMD decile moved since 2019."""
    if geography in built.geographies_at("lsoa"):
        return
    try:
        table = cached("change", built, change.editions()["2025"].layer, change.new_geography(), "imd")["table"]
        shares = change.change_by_area(built, table, geography)
    except (AtlasError, KeyError):
        return
    label = built.geography_labels.get(geography, geography)
    with st.expander(plain(f"IMD decile change since 2019 by {label}: shares of residents")):
        st.caption(plain(f"The share of each area's Census 2021 residents living in LSOAs (2021) whose national "
                         f"IMD decile went down, stayed or went up from IoD2019 to IoD2025. {change.METHOD}"))
        names = built.table(geography)["name"] if "name" in built.table(geography).columns else None
        shown = (shares[list(change.MOVEMENTS)] * 100).round(1)
        if names is not None:
            shown.insert(0, "Name", names.reindex(shown.index))
        shown["Residents"] = shares["population"]
        st.dataframe(shown, width="stretch")


def change_table(entry: dict | None) -> None:
    """The table alternative of the decile-change map: each LSOA's deciles and ranks in both editions."""
    if not entry or "table" not in entry:
        return
    with st.expander("Table: IMD deciles and ranks, IoD2019 and IoD2025, by LSOA (2021)"):
        st.caption(plain(change.METHOD))
        st.dataframe(entry["table"], width="stretch")


def funnel_section(built) -> None:
    """A funnel plot of GP practices' QOF prevalence against list size, one network highlighted."""
    practices = practice_set()
    geography = POINTS_PREFIX + practices
    if practices not in built.points:
        return
    layers = built.layers_on(geography)
    layers = layers[[f"{layer}_numerator" in built.points[practices].columns for layer in layers["layer"]]]
    if layers.empty:
        return
    with st.expander("Funnel plot: GP practices' recorded prevalence against list size"):
        labels = dict(zip(layers["layer"], layers["label"]))
        left, right = st.columns(2)
        layer = left.selectbox("Register", list(labels), format_func=labels.get, key="funnel_layer")
        networks = sorted(built.points[practices].get("pcn_name", pd.Series(dtype=str)).dropna().unique())
        network = right.selectbox("Highlight a Primary Care Network", ["(none)", *networks], key="funnel_pcn")
        entry = analyses.funnel_summary(built, layer, geography,
                                        None if network == "(none)" else ("pcn_name", network))
        if not entry["available"]:
            st.info(plain(entry["message"]))
            return
        st.altair_chart(funnel_chart(entry, built.la_name), width="stretch")
        st.caption(plain(entry["reading"] + " " + entry["method"]))
        shown = entry["points"][["name", "numerator", "denominator", "value", "position", "highlight"]]
        st.dataframe(shown.rename(columns={"value": entry["units"] or "value"}).round(2), width="stretch")


def funnel_chart(entry: dict, la_name: str) -> alt.LayerChart:
    """The funnel: units as points (hover for name and figures), control limits as lines around each target."""
    points = entry["points"].reset_index().rename(columns={"index": "code"})
    lines = []
    for label, curve in entry["curves"].items():
        long = curve.melt("denominator", var_name="limit", value_name="value")
        long["benchmark"] = label
        lines.append(long)
    limits = pd.concat(lines, ignore_index=True)
    limits["series"] = limits["benchmark"] + " " + limits["limit"]
    limits["level"] = limits["limit"].str.split("_").str[1] + "%"
    y_title = f"{entry['label']} ({entry['units']})" if entry["units"] else entry["label"]
    curve = alt.Chart(limits).mark_line(strokeWidth=1.2).encode(
        x=alt.X("denominator:Q", title="Denominator (list size or population)", scale=alt.Scale(type="log")),
        y=alt.Y("value:Q", title=y_title),
        detail="series:N",
        strokeDash=alt.StrokeDash("level:N", legend=alt.Legend(title="Control limit")),
        color=alt.Color("benchmark:N", legend=alt.Legend(title="Around"),
                        scale=alt.Scale(range=["#000000", "#7b3294"])),
    )
    dots = alt.Chart(points).mark_point(filled=True, size=70).encode(
        x="denominator:Q", y="value:Q",
        shape=alt.Shape("highlight:N", legend=alt.Legend(title="Highlighted")),
        fill=alt.Fill("position:N", scale=alt.Scale(domain=list(POSITIONS), range=FUNNEL_POSITION_COLOURS),
                      legend=alt.Legend(title=f"Against {la_name}")),
        stroke=alt.value("#000000"),
        tooltip=["name:N", "code:N", alt.Tooltip("value:Q", format=".2f"), "numerator:Q", "denominator:Q",
                 "position:N"],
    )
    return alt.layer(curve, dots).properties(height=380, title=f"{entry['label']}: {len(points)} units, "
                                                                f"{' and '.join(f'{level * 100:g}%' for level in LEVELS)} limits")
