"""Spine charts, Fingertips style: each indicator of an area against the spread of England's and the authority's areas.

For each indicator of a profile (one row of its indicators table), on the
geography the area's value comes from:

* the **spread of the authority's areas**: lowest, 25th percentile, 75th
  percentile and highest value (pandas' linear percentiles);
* the **spread of England's areas** (the same four figures over every English
  area of the indicator's own geography, from the national file) where the
  national file covers England and the row is on that geography: the wide grey
  bars, as Fingertips draws England's spread; the authority's spread is then the
  thin black bar and box drawn over it;
* the **area's value**, coloured by its Better / Similar / Worse against England
  where the indicator has intervals (blue better, orange worse, pale grey similar,
  white not compared; each also has its own marker shape, so colour is not needed);
* **England's value** as a vertical line, and the authority's as a dashed line.

Each row is drawn on its own scale, with the better end on the right where the
indicator has a polarity (Fingertips orients spine charts the same way). Each
row says which benchmark it uses (``benchmark``): whose areas make the spreads,
and that Better / Similar / Worse is against England's value.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .classify import format_value
from .model import Atlas
from .plaintext import figure_text

MARKERS = {"Better": ("#2166ac", "^"), "Worse": ("#d6604d", "v"), "Similar": ("#d9d9d9", "o"),
           "": ("#ffffff", "o")}
SPREAD_COLOUR, BOX_COLOUR = "#e0e0e0", "#9e9e9e"
#: England's spread of a spine row (NaN where not available), as :func:`spine_table` gives it.
ENGLAND_COLUMNS = ("england_lowest", "england_q25", "england_q75", "england_highest")
#: Kinds whose district or England figure is a total, not comparable with one area's.
TOTAL_KINDS = ("count", "population")


def spine_table(built: Atlas, indicators: pd.DataFrame, area_name: str,
                own_geography: str | None = None, england: dict | None = None) -> pd.DataFrame:
    """The figures of a spine chart, one row per indicator with a value and a spread of areas.

    Parameters
    ----------
    built : Atlas
    indicators : pandas.DataFrame
        A profile's indicators table (``layer``, ``indicator``, ``units``, ``area``,
        ``authority``, ``england``, ``vs_england``, ``native_geography``, ``decimals``).
    area_name : str
    own_geography : str, optional
        The area's own geography (a ward or MSOA set): the spread is of the authority's areas of that
        geography where the indicator is on it, so like is compared with like; otherwise (a network's or a
        chosen set's LSOAs) of the geography the indicator comes from.
    england : dict, optional
        England's figures by indicator (:func:`atlas.profiles.england_values`); an entry's
        ``spread`` gives England's spread when the row is on that entry's geography.

    Returns
    -------
    pandas.DataFrame
        ``indicator``, ``units``, ``area``, ``authority``, ``england``, ``lowest``,
        ``q25``, ``q75``, ``highest``, ``areas`` (how many areas make the spread),
        ``geography``, ``england_lowest``, ``england_q25``, ``england_q75``,
        ``england_highest``, ``england_areas`` (NaN / 0 where England's spread is
        not available), ``benchmark`` (in words), ``higher_is``, ``vs_england``, ``decimals``.
    """
    rows = []
    for row in indicators.itertuples(index=False):
        geography = str(getattr(row, "native_geography", "") or "")
        if own_geography in built.geographies and row.layer in built.table(own_geography).columns:
            geography = own_geography
        if pd.isna(row.area) or geography not in built.geographies or row.layer not in built.table(geography):
            continue
        values = pd.to_numeric(built.table(geography)[row.layer], errors="coerce").dropna()
        if len(values) < 4 or values.nunique() < 2:
            continue
        meta = built.layer(row.layer, geography)
        total = meta.get("kind") in TOTAL_KINDS   # a district's or England's total is no benchmark for an area's
        spread = _england_spread((england or {}).get(row.layer), geography)
        label = meta.get("geography_label") or geography
        rows.append({**spread, "benchmark": _benchmark_words(built.la_name, len(values), label, spread, total),
                     "indicator": row.indicator, "units": row.units, "area": float(row.area),
                     "authority": np.nan if total else _float(row.authority),
                     "england": np.nan if total else _float(row.england),
                     "lowest": float(values.min()), "q25": float(values.quantile(0.25)),
                     "q75": float(values.quantile(0.75)), "highest": float(values.max()), "areas": len(values),
                     "geography": meta.get("geography_label") or geography,
                     "higher_is": meta.get("higher_is") or "neutral",
                     "vs_england": str(row.vs_england or "") if not pd.isna(row.vs_england) else "",
                     "decimals": int(row.decimals) if not pd.isna(row.decimals) else 1})
    table = pd.DataFrame(rows)
    table.attrs["area_name"] = area_name
    return table


def spine_shown(table: pd.DataFrame, area_name: str, la_name: str) -> pd.DataFrame:
    """The spine chart's figures as the table printed beside it (its text alternative), values formatted.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`spine_table`.
    area_name, la_name : str

    Returns
    -------
    pandas.DataFrame
        One row per indicator: the area's value, the authority's and England's spreads
        (lowest · 25th · 75th percentile · highest), their values, Better/Similar/Worse and the benchmark.
    """
    def spread(prefix: str) -> list[str]:
        return ["" if not np.isfinite(r[f"{prefix}lowest"]) else " · ".join(
            format_value(r[f"{prefix}{k}"], r["decimals"]) for k in ("lowest", "q25", "q75", "highest"))
            for r in table.to_dict("records")]

    def figure(column: str) -> list[str]:
        return [format_value(v, d) if np.isfinite(v) else "" for v, d in zip(table[column], table["decimals"])]

    return pd.DataFrame({
        "Indicator": table["indicator"], "Units": table["units"], area_name: figure("area"),
        f"{la_name}'s areas: lowest · 25th · 75th percentile · highest": spread(""),
        "England's areas: lowest · 25th · 75th percentile · highest": spread("england_"),
        la_name: figure("authority"), "England": figure("england"),
        "Compared with England": table["vs_england"], "Benchmark": table["benchmark"],
    })


def _england_spread(entry: dict | None, geography: str) -> dict:
    """England's spread of an indicator's areas when it is of the row's geography, else NaN."""
    spread = (entry or {}).get("spread") or {}
    if spread.get("geography") != geography:
        spread = {}
    return {"england_lowest": float(spread.get("lowest", np.nan)), "england_q25": float(spread.get("q25", np.nan)),
            "england_q75": float(spread.get("q75", np.nan)), "england_highest": float(spread.get("highest", np.nan)),
            "england_areas": int(spread.get("areas", 0))}


def _benchmark_words(la_name: str, areas: int, label: str, spread: dict, total: bool) -> str:
    """Which benchmark a spine row uses, in a few words."""
    if spread["england_areas"]:
        words = f"Spreads of {la_name}'s {areas} and England's {spread['england_areas']:,} areas, {label}"
    else:
        words = f"Spread of {la_name}'s {areas} areas, {label}, only (no national figures by area)"
    return words + ("; a count: no England line" if total else "; compared with England's value")


def _float(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


@figure_text()  # indicator and area names are drawn as written
def spine_png(table: pd.DataFrame, area_name: str, la_name: str, dpi: int = 150) -> tuple[bytes, str]:
    """The spine chart as a PNG and its text alternative.

    Raises
    ------
    ValueError
        If the table is empty (no indicator has a spread to draw).
    """
    from matplotlib.figure import Figure  # not pyplot: no global state, so profiles can be drawn in threads
    from matplotlib.lines import Line2D

    if table.empty:
        raise ValueError("No indicator has a spread of areas to draw.")
    table = table.assign(**{c: np.nan for c in ENGLAND_COLUMNS if c not in table},
                         **({"england_areas": 0} if "england_areas" not in table else {}))
    height = 0.9 + 0.32 * len(table)
    figure = Figure(figsize=(10, height), dpi=dpi)
    axis = figure.subplots()
    for i, row in enumerate(table.itertuples(index=False)):
        y = len(table) - 1 - i
        scale = _scaler(row)
        if row.england_areas:  # England's spread, Fingertips' wide bars; the authority's drawn thin over it
            _spread_bars(axis, y, scale, row.england_lowest, row.england_q25, row.england_q75, row.england_highest)
            _thin_spread(axis, y, scale, row)
        else:
            _spread_bars(axis, y, scale, row.lowest, row.q25, row.q75, row.highest)
        if np.isfinite(row.england):
            axis.plot([scale(row.england)] * 2, [y - 0.35, y + 0.35], color="#000000", linewidth=1.6)
        if np.isfinite(row.authority):
            axis.plot([scale(row.authority)] * 2, [y - 0.35, y + 0.35], color="#000000", linewidth=1.0,
                      linestyle=(0, (2, 1.5)))
        colour, marker = MARKERS.get(row.vs_england, MARKERS[""])
        axis.scatter([scale(row.area)], [y], s=60, c=colour, marker=marker, edgecolors="#000000", zorder=5)
    axis.set_yticks(range(len(table)), [f"{r.indicator} ({_fmt(r.area, r.decimals)})" for r in table.itertuples()][::-1],
                    fontsize=7)
    axis.set_xticks([])
    axis.set_xlim(-0.05, 1.05)
    axis.set_xlabel("Each row on its own scale, over England's areas where the national file has the row's "
                    "geography, else the authority's; the better end on the right where the indicator has a "
                    "polarity", fontsize=7)
    for side in ("top", "right", "left"):
        axis.spines[side].set_visible(False)
    handles = [Line2D([], [], color="#000000", linewidth=1.6, label="England"),
               Line2D([], [], color="#000000", linewidth=1.0, linestyle=(0, (2, 1.5)), label=la_name),
               Line2D([], [], color=SPREAD_COLOUR, linewidth=6,
                      label="England's areas (else the district's): lowest to highest"),
               Line2D([], [], color=BOX_COLOUR, linewidth=6, label="the same: 25th to 75th percentile"),
               Line2D([], [], color="#000000", linewidth=1.0, marker="s", markerfacecolor="none",
                      label=f"{la_name}'s areas over England's: range and middle half")]
    handles += [Line2D([], [], color="none", marker=m, markerfacecolor=c, markeredgecolor="#000000",
                       label=f"{area_name}: {label or 'not compared'} vs England")
                for label, (c, m) in MARKERS.items()]
    axis.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08 if len(table) > 6 else -0.2),
                ncol=4, fontsize=6.5, frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")  # the labels and legend fitted: no tight_layout pass
    with_england = int((table["england_areas"] > 0).sum())
    alt = (f"Spine chart of {len(table)} indicators for {area_name}: each row shows the spread of {la_name}'s "
           f"areas (lowest, 25th and 75th percentiles, highest), and for {with_england} of them the spread of "
           f"England's areas too, England's and {la_name}'s values as lines and {area_name}'s value as a marker. "
           f"The same figures are in the table below.")
    return buffer.getvalue(), alt


def _spread_bars(axis, y: float, scale, lowest: float, q25: float, q75: float, highest: float) -> None:
    """The wide grey bars of a spread: lowest to highest, and the middle half darker."""
    axis.barh(y, abs(scale(highest) - scale(lowest)), left=min(scale(lowest), scale(highest)), height=0.55,
              color=SPREAD_COLOUR)
    axis.barh(y, abs(scale(q75) - scale(q25)), left=min(scale(q25), scale(q75)), height=0.55, color=BOX_COLOUR)


def _thin_spread(axis, y: float, scale, row) -> None:
    """The authority's spread over England's: a thin black range and an outlined box for its middle half."""
    from matplotlib.patches import Rectangle

    axis.plot([scale(row.lowest), scale(row.highest)], [y, y], color="#000000", linewidth=1.0, zorder=3)
    left = min(scale(row.q25), scale(row.q75))
    axis.add_patch(Rectangle((left, y - 0.14), abs(scale(row.q75) - scale(row.q25)), 0.28, facecolor="none",
                             edgecolor="#000000", linewidth=1.0, zorder=3))


def _scaler(row):
    """Map a row's values to 0-1 over everything drawn on it, better end on the right."""
    values = [v for v in (row.lowest, row.highest, row.area, row.england, row.authority, row.england_lowest,
                          row.england_highest) if np.isfinite(v)]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    flip = row.higher_is == "worse"
    return lambda v: (1 - (v - low) / span) if flip else (v - low) / span


def _fmt(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"
