"""The district page: figures that exist only for the whole district, and the life-expectancy gap.

Two sections, each with a chart, a table alternative and its sources:

* **Life expectancy by deprivation**: the district's MSOAs grouped into local
  deprivation quintiles (:func:`atlas.health.life_expectancy_gap`), life
  expectancy per group with 95% intervals, the slope index of inequality, and
  the district's published figures beside ours with a note on the different
  period and method.
* **GP registers by Primary Care Network**: a QOF register (obesity first)
  summed over each network's practices (:func:`atlas.health.pcn_table`), with
  Wilson intervals and Better/Similar/Worse against the district and England.
* **Where the practices' patients live**: the catchment of a practice or a
  network (:mod:`atlas.catchments`): the share of its registered patients living
  in each LSOA, as a map and a table.
* **Physical activity and adult weight (district level)**: trend charts of the
  district against England and its neighbouring districts
  (:func:`atlas.trends.district_series`), labelled as district-level figures:
  there are no small-area estimates of these in the data, so they are never
  mapped.
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from .. import config, similar
from ..catchments import catchment_table, footprint_rule, geography_of, has_catchments, practice_set, practices_of
from ..errors import AtlasError
from ..estimates import METHOD_LINE
from ..health import life_expectancy_gap, life_expectancy_layers, pcn_table
from ..plaintext import figure_text, plain
from ..point_styles import points_table
from ..points import point_style
from ..specs import POINTS_PREFIX, Catalogue
from ..trends import district_series, series_meta
from . import common

#: Colour-blind-safe colours (Paul Tol "muted"): the district, England (black, dashed), then each neighbour.
DISTRICT_COLOUR, ENGLAND_COLOUR = "#332288", "#000000"
NEIGHBOUR_COLOURS = ["#44aa99", "#cc6677", "#999933", "#88ccee", "#aa4499", "#ddcc77", "#117733", "#882255"]
SEX_COLOURS = {"women": "#882255", "men": "#117733"}


def page() -> None:
    """Draw the district page."""
    built = common.chosen_atlas("district_la")
    st.title(plain(f"District context: {built.la_name}"))
    st.caption("Figures for the whole district and its deprivation gradient. Small-area maps are on the "
               "Map atlas page.")
    _life_expectancy_section(built)
    _pcn_section(built, practice_set())
    _catchment_section(built, practice_set())
    _trends_section(built)
    _similar_section(built)


# -- life expectancy ------------------------------------------------------------------------------
def _built_token(built) -> tuple:
    """What a cached figure of ``built`` follows: its district, file and build time (a rebuild changes it)."""
    return built.la_code, str(built.path), built.report.built


@st.cache_data(show_spinner="Computing the life-expectancy gap ...", max_entries=16)
def _gap(token: tuple, _built):
    return life_expectancy_gap(_built)


def _life_expectancy_section(built) -> None:
    st.header("Life expectancy by deprivation")
    try:
        gap = _gap(_built_token(built), built)
    except AtlasError as exc:
        st.info(plain(f"The life-expectancy gap cannot be shown for {built.la_name}: {exc}"))
        return
    st.write(f"**Grouping:** {plain(gap.grouping)}. **Period:** {plain(gap.period)}.")
    columns = st.columns(2)
    for column, sex in zip(columns, ("women", "men")):
        result = gap.sii.get(sex, {})
        with column:
            if "sii" in result:
                st.metric(plain(f"Slope index of inequality, {sex}"), f"{result['sii']:.1f} years",
                          help=plain(result["method"]))
                st.caption(plain(f"95% interval {result['lower']:.1f} to {result['upper']:.1f} years: the fitted "
                                 f"gap between the most and least deprived ends of {built.la_name}."))
            else:
                st.warning(plain(f"No slope index for {sex}: {result.get('message', 'not computable')}"))
    st.markdown(f"**{plain(built.la_name)}: life expectancy at birth by local deprivation quintile, "
                f"{plain(gap.period)}**")
    st.altair_chart(_gap_chart(gap), width="stretch")
    st.caption(plain("Dots: life expectancy of each local deprivation quintile (1 = most deprived); bars: 95% "
                     "intervals. " + gap.method))
    _published_comparison(gap)
    with st.expander("Table: life expectancy by deprivation group"):
        table = gap.groups[["sex", "label", "msoas", "population", "imd_min", "imd_max", "value", "lower",
                            "upper", "codes"]].rename(columns={
            "label": "Deprivation group", "msoas": "MSOAs with a value", "population": "Population (IoD2019)",
            "imd_min": "IMD score from", "imd_max": "IMD score to", "value": "Life expectancy (years)",
            "lower": "Lower 95%", "upper": "Upper 95%", "codes": "MSOAs"})
        st.dataframe(table.round(2), hide_index=True, width="stretch")
        for sex, codes in gap.missing.items():
            if codes:
                st.caption(plain(f"No published value for {sex} in {', '.join(codes)} (too few deaths): "
                                 f"shown as no data and left out of its group, never counted as zero."))
    women = life_expectancy_layers()["women"]
    _sources(built, women, built.native_geography(women))


def _gap_chart(gap) -> alt.LayerChart:
    data = gap.groups.dropna(subset=["value"])
    base = alt.Chart(data).encode(
        x=alt.X("label:N", title="Local deprivation quintile", sort=list(data["label"].drop_duplicates()),
                axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("sex:N"),
        color=alt.Color("sex:N", title="Sex", scale=alt.Scale(domain=list(SEX_COLOURS),
                                                                  range=list(SEX_COLOURS.values()))),
        tooltip=[alt.Tooltip("sex:N", title="Sex"), alt.Tooltip("label:N", title="Group"),
                 alt.Tooltip("value:Q", title="Life expectancy", format=".1f"),
                 alt.Tooltip("lower:Q", title="Lower 95%", format=".1f"),
                 alt.Tooltip("upper:Q", title="Upper 95%", format=".1f")],
    )
    bars = base.mark_rule(strokeWidth=2).encode(y=alt.Y("lower:Q", title="Life expectancy at birth (years)",
                                                        scale=alt.Scale(zero=False)), y2="upper:Q")
    dots = base.mark_point(filled=True, size=80).encode(y="value:Q")
    return (bars + dots).properties(height=320)


def _published_comparison(gap) -> None:
    st.subheader("Beside the published figures")
    if not gap.published:
        st.caption("No published figures are recorded for this district (atlas/data/published_figures.toml).")
        return
    st.dataframe(comparison_rows(gap), hide_index=True, width="stretch")
    st.info(f"**Different period and method.** {plain(gap.note)} Source of the published figures: "
            f"{plain(gap.published['title'])}.")


def comparison_rows(gap) -> pd.DataFrame:
    """Ours and the published figures side by side: one row per sex and measure (years)."""
    table = gap.comparison_table()
    ours = f"Ours: {gap.period}, MSOA quintiles"
    theirs = f"Published: {gap.published['period']}"
    rows = []
    for _, r in table.iterrows():
        sii = gap.sii.get(r["sex"], {})
        rows += [
            {"Sex": r["sex"], "Measure": "Most deprived areas", ours: r["ours_most_deprived"],
             theirs: r["published_most_deprived"]},
            {"Sex": r["sex"], "Measure": "Least deprived areas", ours: r["ours_least_deprived"],
             theirs: r["published_least_deprived"]},
            {"Sex": r["sex"], "Measure": "Gap (least minus most deprived)", ours: r["ours_gap"],
             theirs: r["published_gap"]},
            {"Sex": r["sex"], "Measure": "Slope index of inequality" + (
                f" (95% interval {sii['lower']:.1f} to {sii['upper']:.1f})" if "sii" in sii else ""),
             ours: r["ours_sii"], theirs: None},
        ]
    out = pd.DataFrame(rows)
    for column in (ours, theirs):
        out[column] = [f"{v:.1f}" if pd.notna(v) else "not published" for v in out[column]]
    return out


# -- Primary Care Networks ----------------------------------------------------------------------
def _pcn_section(built, point_set: str) -> None:
    st.header("GP registers by Primary Care Network")
    layers = built.layers_on(f"points:{point_set}")
    ratios = layers[layers["has_interval"].astype(bool)]
    if ratios.empty or not len(built.points.get(point_set, [])):
        st.info(plain(f"No practice registers for {built.la_name} (no practices placed, or no QOF layers)."))
        return
    labels = dict(zip(ratios["layer"], ratios["label"]))
    layer = st.selectbox("Register", list(labels), format_func=labels.get, key="district_pcn_layer")
    meta = built.layer(layer, f"points:{point_set}")
    try:
        table = pcn_table(built, layer, point_set)
    except AtlasError as exc:
        st.info(plain(exc))
        return
    shown = pd.DataFrame({
        "Primary Care Network": table["name"], "Practices": table["practices"],
        "Prevalence (%)": table["value"], "Lower 95%": table["lower"], "Upper 95%": table["upper"]})
    for column, label in (("vs_district", f"Compared with {built.la_name}"), ("vs_england", "Compared with England")):
        if column in table:
            shown[label] = table[column]
    shown["On the register"] = table["numerator"]
    shown["Registered patients"] = table["denominator"]
    number = st.column_config.NumberColumn
    st.dataframe(shown, hide_index=True, width="stretch", column_config={
        "Prevalence (%)": number(format="%.1f"), "Lower 95%": number(format="%.1f"),
        "Upper 95%": number(format="%.1f"), "On the register": number(format="localized"),
        "Registered patients": number(format="localized",
                                      help=plain(f"Patients in the register's age band ({meta['units']})"))})
    benchmarks = "; ".join(
        f"{b['label']} {b['value']:.1f}% ({b['numerator']:,.0f} of {b['denominator']:,.0f})"
        for b in built.benchmarks(layer, POINTS_PREFIX + point_set) if b.get("value") is not None)
    st.caption(pcn_caption(meta, benchmarks))
    _estimate_link(built, layer)
    _practice_map(built, point_set, layer, meta)


def _estimate_link(built, layer: str) -> None:
    """Say which small-area estimate layer these practice registers feed, if the atlas has one."""
    fed = built.layers[built.layers["layer"].str.startswith(layer + "_") & built.layers["method"].str.contains(
        "Estimated", na=False)]
    if fed.empty:
        return
    row = fed.iloc[0]
    where = ", ".join(dict.fromkeys(fed["geography_label"]))
    st.caption(plain(f"These practice registers feed the small-area estimate \"{row['label']}\" on the Map atlas "
                     f"page ({where}). {METHOD_LINE}"))


def _practice_map(built, point_set: str, layer: str, meta: dict) -> None:
    st.subheader("The practices on a map")
    choice = st.radio("Colour the practices by", ["Primary Care Network", meta["label"]], horizontal=True,
                      key="district_practice_colour", format_func=plain)  # radio options are Markdown
    colour_by = None if choice == "Primary Care Network" else layer
    style = point_style(built, point_set, colour_by=colour_by)
    st.image(_practice_png(_built_token(built), point_set, colour_by, built), width="stretch",
             alt=plain(f"Map of the GP practices of {built.la_name} coloured by {style.title}; the caption below "
                       f"and the table of practices give the same information."))
    placed = built.layer(point_set, f"points:{point_set}")
    st.caption(plain(f"{style.title} of each active GP practice in {built.la_name}, at its postcode "
                     f"({placed['period']}). {style.size_note} Practices: {placed['attribution']} District and "
                     f"ward boundaries: {_boundary_note(built)}"))
    with st.expander("Table: the practices"):
        st.dataframe(points_table(built, point_set, layer, name="Practice").round(1), width="stretch")


@st.cache_data(show_spinner=False, max_entries=32)
def _practice_png(token: tuple, point_set: str, colour_by: str | None, _built) -> bytes:
    """The practice map as PNG, drawn once per atlas and colouring (not on every rerun of the page)."""
    import io

    buffer = io.BytesIO()
    figure = practice_figure(_built, point_set, point_style(_built, point_set, colour_by=colour_by))
    figure.savefig(buffer, format="png", dpi=200, bbox_inches="tight")  # as st.pyplot saves a figure
    return buffer.getvalue()


@figure_text()  # practice and network names are drawn as written
def practice_figure(built, point_set: str, style):
    """A static map of a point set over the district's wards, coloured and sized by ``style``, with its legend."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    points = built.table(f"points:{point_set}")
    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    wards = _ward_geography(built)
    if wards:
        built.table(wards).boundary.plot(ax=ax, color="#bbbbbb", linewidth=0.6)
    if built.outline is not None:
        built.outline.boundary.plot(ax=ax, color="#444444", linewidth=1.2)
    ax.scatter(points.geometry.x, points.geometry.y, s=(style.radii ** 2) * 2.2, c=style.colours.reindex(
        points.index), edgecolors="#222222", linewidths=0.6, zorder=3)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=9, markerfacecolor=colour,
                      markeredgecolor="#222222", label=label) for label, colour in style.legend]
    if handles:
        ax.legend(handles=handles, title=style.title, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False,
                  fontsize=8, title_fontsize=9)
    ax.set_axis_off()
    ax.set_aspect("equal")
    fig.tight_layout()
    plt.close(fig)
    return fig


def _ward_geography(built) -> str | None:
    levels = built.report.geography_levels()
    wards = [g for g in built.geographies if levels.get(g) == "ward"]
    return wards[-1] if wards else None


def _boundary_note(built) -> str:
    wards = _ward_geography(built)
    if not wards:
        return "district outline only."
    rows = built.layers_on(wards)
    attribution = rows["boundary_attribution"].iloc[0] if len(rows) else "Contains OS data © Crown copyright."
    return f"{built.geography_labels.get(wards, wards)}. {attribution}"


# -- catchments -----------------------------------------------------------------------------------
def _catchment_section(built, point_set: str) -> None:
    st.subheader("Where the practices' patients live")
    if not has_catchments(built) or point_set not in built.points:
        st.info(plain(f"No catchments in the {built.la_name} atlas (its build had no patients-by-LSOA file)."))
        return
    practices = built.points[point_set]
    kind = st.radio("Catchment of", ["a Primary Care Network", "a practice"], horizontal=True,
                    key="district_catchment_kind")
    if kind == "a practice":
        names = {c: f"{n} ({c})" for c, n in practices["name"].astype(str).sort_values().items()}
        code = st.selectbox("Practice", list(names), format_func=names.get, key="district_catchment_practice")
        members, title = [code], names[code]
    else:
        networks = practices[["pcn_code", "pcn_name"]].dropna().drop_duplicates("pcn_code").sort_values("pcn_name")
        names = dict(zip(networks["pcn_code"].astype(str), networks["pcn_name"].astype(str)))
        code = st.selectbox("Primary Care Network", list(names), format_func=names.get,
                            key="district_catchment_network")
        members, title = practices_of(built, code), names[code]
    try:
        table = catchment_table(built, members)
    except AtlasError as exc:
        st.info(plain(exc))
        return
    st.image(_catchment_png(_built_token(built), tuple(members), title, point_set, built), width="stretch",
             alt=plain(f"Map of where the registered patients of {title} live, by LSOA; the table below gives "
                       f"the same figures."))
    outside = float(table.loc[~table["in_district"], "share"].sum())
    period = next((i.get("period") for i in built.report.estimates.values()), "")
    st.caption(plain(f"Share of the registered patients of {title} living in each LSOA "
                     f"({built.geography_labels.get(geography_of(built), geography_of(built))}) of {built.la_name}; "
                     f"{outside:.1%} of them live outside {built.la_name} (not drawn). Registered patients by "
                     f"LSOA: {period}; patients without a known LSOA are left out. Networks' footprints in "
                     f"profiles: {footprint_rule(built)}. Source: NHS Digital, Patients Registered at a GP Practice "
                     f"(Open Government Licence v3.0). LSOA boundaries: {_boundary_note(built)}"))
    with st.expander("Table: the catchment"):
        shown = pd.DataFrame({"LSOA": table.index, "Name": table["name"].fillna("(outside the district)"),
                              "Patients": table["patients"], "Share of its patients (%)": table["share"] * 100})
        st.dataframe(shown.round(2), hide_index=True, width="stretch")


@st.cache_data(show_spinner=False, max_entries=32)
def _catchment_png(token: tuple, members: tuple, title: str, point_set: str, _built) -> bytes:
    import io

    buffer = io.BytesIO()
    figure = catchment_figure(_built, catchment_table(_built, list(members)), title, list(members), point_set)
    figure.savefig(buffer, format="png", dpi=200, bbox_inches="tight")
    return buffer.getvalue()


@figure_text()  # practice and network names are drawn as written
def catchment_figure(built, table: pd.DataFrame, title: str, members: list, point_set: str | None = None):
    """A static map of a catchment: each LSOA of the district shaded by its share of the patients (viridis,
    colour-blind safe), the chosen practices marked, with a colour bar."""
    import matplotlib.pyplot as plt

    lsoas = built.table(geography_of(built))
    share = (table["share"] * 100).reindex(lsoas.index).fillna(0)
    fig, ax = plt.subplots(figsize=(9, 7), dpi=110)
    lsoas.assign(share=share).plot(column="share", ax=ax, cmap="viridis_r", edgecolor="#ffffff", linewidth=0.3,
                                   legend=True, legend_kwds={"label": f"% of the patients of {title}",
                                                             "shrink": 0.6})
    if built.outline is not None:
        built.outline.boundary.plot(ax=ax, color="#222222", linewidth=1.2)
    point_set = point_set or practice_set()
    chosen = built.points[point_set].loc[[m for m in members if m in built.points[point_set].index]]
    ax.scatter(chosen.geometry.x, chosen.geometry.y, s=60, marker="D", c="#cc6677", edgecolors="#000000",
               linewidths=0.8, zorder=3, label="its practice(s)")
    ax.legend(loc="lower left", frameon=False, fontsize=8)
    ax.set_title(f"Where the registered patients of {title} live", fontsize=10)
    ax.set_axis_off()
    ax.set_aspect("equal")
    fig.tight_layout()
    plt.close(fig)
    return fig


# -- district-level trends ----------------------------------------------------------------------
@st.cache_data(show_spinner="Reading the district-level series ...", max_entries=16)
def _series(la: str, source: str) -> tuple[pd.DataFrame, dict]:
    """The district's series and their metadata by series id (the specs are read once, not on every rerun)."""
    catalogue = Catalogue.load()
    return (district_series(la, catalogue, source_dir=source),
            {m["series"]: m for m in series_meta(catalogue)})


def _trends_section(built) -> None:
    st.header("Physical activity and adult weight (district level)")
    st.warning("District-level figures: these surveys give one estimate for the whole district. There are no "
               "small-area (ward, MSOA or LSOA) estimates in the data, so they are shown as trends, not maps.")
    try:
        series, meta = _series(built.la_code, str(config.source_dir()))
    except AtlasError as exc:
        st.info(plain(f"No district-level series for {built.la_name}: {exc}"))
        return
    for series_id, rows in series.groupby("series", sort=False):
        info = meta[series_id]
        st.subheader(plain(info["label"]))
        st.caption(plain(info["description"]))
        st.markdown(f"**{plain(info['label'])}: {plain(built.la_name)} (district level) against England and "
                    f"neighbours**")
        st.altair_chart(_trend_chart(rows, info), width="stretch")
        gaps = rows.loc[(rows["role"] == "district") & rows["value"].isna(), "period"].tolist()
        if gaps:
            st.caption(plain(f"No value published for {built.la_name} in {', '.join(gaps)}: shown as a gap in "
                             f"the line, not as zero."))
        with st.expander(plain(f"Table: {info['label']}")):
            wide = rows.pivot_table(index="period", columns="area_name", values="value", sort=False)
            st.dataframe(wide, width="stretch")
        st.caption(series_caption(info, built.la_name))


def _trend_chart(rows: pd.DataFrame, info: dict) -> alt.Chart:
    periods = list(dict.fromkeys(rows["period"]))
    data = rows.assign(shown=rows["area_name"] + rows["role"].map({"neighbour": " (neighbour)"}).fillna(""))
    names = list(dict.fromkeys(data.sort_values("role", key=lambda r: r.map(
        {"district": 0, "England": 1, "neighbour": 2}), kind="stable")["shown"]))
    role = dict(zip(data["shown"], data["role"]))
    neighbours = iter(NEIGHBOUR_COLOURS * 4)
    colours = [DISTRICT_COLOUR if role[n] == "district" else ENGLAND_COLOUR if role[n] == "England"
               else next(neighbours) for n in names]
    dashes = [[6, 3] if role[n] == "England" else [2, 2] if role[n] == "neighbour" else [1, 0] for n in names]
    widths = [3 if role[n] == "district" else 1.5 for n in names]
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("period:N", title="Period", sort=periods, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=info["units"], scale=alt.Scale(zero=False), axis=alt.Axis(titleLimit=400)),
        color=alt.Color("shown:N", title="Area", scale=alt.Scale(domain=names, range=colours),
                        legend=alt.Legend(orient="bottom", columns=4, labelLimit=400)),
        strokeDash=alt.StrokeDash("shown:N", scale=alt.Scale(domain=names, range=dashes), legend=None),
        strokeWidth=alt.StrokeWidth("shown:N", scale=alt.Scale(domain=names, range=widths), legend=None),
        tooltip=[alt.Tooltip("shown:N", title="Area"), alt.Tooltip("period:N", title="Period"),
                 alt.Tooltip("value:Q", title=info["units"], format=".1f")],
    ).properties(height=320)


def pcn_caption(meta: dict, benchmarks: str) -> str:
    """The caption under the table of GP registers by network, as plain text (names from specs escaped).

    Parameters
    ----------
    meta : dict
        The register layer's metadata (label, period, units, polarity, source, attribution).
    benchmarks : str
        The district's and England's figures, already written out.

    Returns
    -------
    str
        Text for ``st.caption``: every character shown as written (:func:`atlas.plaintext.plain`).
    """
    judged = ("Better or Worse" if meta["higher_is"] != "neutral" else
              "Higher or Lower (no judgement: recorded prevalence also reflects how well cases are found)")
    return plain(f"{meta['label']}, {meta['period']}. Each network's practices' registers summed over their "
                 f"registered patients ({meta['units']}), with 95% Wilson intervals. {judged} when the "
                 f"benchmark lies outside a network's interval, else Similar. Benchmarks: {benchmarks}. "
                 f"Networks: current membership (QOF 2023-24 structures). Data: {meta['source_title']}. "
                 f"{meta['attribution']}")


def series_caption(info: dict, la_name: str) -> str:
    """The source line under a district-level trend chart, as plain text (names from specs escaped).

    Parameters
    ----------
    info : dict
        The series' metadata (:func:`atlas.trends.series_meta`): title, publisher, attribution, licence.
    la_name : str
        The district's name.

    Returns
    -------
    str
    """
    return plain(f"Data: {info['title']}. {info['publisher']}. {info['attribution']} Licence: "
                 f"{info['licence']}. Neighbours: districts whose boundary touches {la_name}'s.")


def source_caption(meta: dict) -> str:
    """The source line under the life-expectancy gap, as plain text (names from specs escaped).

    Parameters
    ----------
    meta : dict
        The life-expectancy layer's metadata (source title, publisher, attribution, licence).

    Returns
    -------
    str
    """
    return plain(f"Data: {meta['source_title']} ({meta['publisher']}). {meta['attribution']} "
                 f"Licence: {meta['licence']}. Deprivation: English Indices of Deprivation 2019 (MHCLG), IMD "
                 f"score averaged over each MSOA's LSOAs weighted by population.")


def _sources(built, layer: str, geography: str) -> None:
    st.caption(source_caption(built.layer(layer, geography)))


# -- similar authorities -------------------------------------------------------------------------------
def _similar_section(built) -> None:
    """The district's 15 most similar authorities (open method), their distances and inputs, as comparators."""
    st.header("Similar authorities")
    try:
        found = similar.similar_authorities(built.la_code)
        compared = similar.comparison(found)
    except AtlasError as exc:
        st.info(plain(f"No similar authorities for {built.la_name}: {exc}"))
        return
    st.caption(plain(found.reading()))
    for note in found.notes:
        st.caption(plain(note))
    st.subheader(plain(f"{built.la_name} beside its similar authorities and England"))
    st.dataframe(compared.round(3), width="stretch")
    st.subheader("The 15 most similar, nearest first")
    shown = found.neighbours.set_index("code").join(found.inputs.round(3))
    st.dataframe(shown, width="stretch")
    st.caption("Sources: MHCLG English Indices of Deprivation 2025 (district summaries); ONS Census 2021 "
               "(usual residents by age, LSOA 2021) and ONS boundaries; Open Government Licence v3.0. "
               "Contains OS data © Crown copyright and database right.")
