"""Spine charts, Fingertips style: each indicator of an area against the spread of the authority's areas.

For each indicator of a profile (one row of its indicators table), on the
geography the area's value comes from:

* the **spread of the authority's areas**: lowest, 25th percentile, 75th
  percentile and highest value (pandas' linear percentiles);
* the **area's value**, coloured by its Better / Similar / Worse against England
  where the indicator has intervals (blue better, orange worse, pale grey similar,
  white not compared; each also has its own marker shape, so colour is not needed);
* **England's value** as a vertical line, and the authority's as a dashed line.

Each row is drawn on its own scale, with the better end on the right where the
indicator has a polarity (Fingertips orients spine charts the same way). The
spread of England's areas is not drawn: the atlas holds only the district's
areas (England's value is the benchmark line).
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .model import Atlas
from .plaintext import figure_text

MARKERS = {"Better": ("#2166ac", "^"), "Worse": ("#d6604d", "v"), "Similar": ("#d9d9d9", "o"),
           "": ("#ffffff", "o")}
SPREAD_COLOUR, BOX_COLOUR = "#e0e0e0", "#9e9e9e"
#: Kinds whose district or England figure is a total, not comparable with one area's.
TOTAL_KINDS = ("count", "population")


def spine_table(built: Atlas, indicators: pd.DataFrame, area_name: str,
                own_geography: str | None = None) -> pd.DataFrame:
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

    Returns
    -------
    pandas.DataFrame
        ``indicator``, ``units``, ``area``, ``authority``, ``england``, ``lowest``,
        ``q25``, ``q75``, ``highest``, ``areas`` (how many areas make the spread),
        ``geography``, ``higher_is``, ``vs_england``, ``decimals``.
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
        rows.append({"indicator": row.indicator, "units": row.units, "area": float(row.area),
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
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.lines import Line2D

    if table.empty:
        raise ValueError("No indicator has a spread of areas to draw.")
    height = 0.9 + 0.32 * len(table)
    figure, axis = plt.subplots(figsize=(10, height), dpi=dpi)
    for i, row in enumerate(table.itertuples(index=False)):
        y = len(table) - 1 - i
        scale = _scaler(row)
        axis.barh(y, abs(scale(row.highest) - scale(row.lowest)), left=min(scale(row.lowest), scale(row.highest)),
                  height=0.55, color=SPREAD_COLOUR)
        axis.barh(y, abs(scale(row.q75) - scale(row.q25)), left=min(scale(row.q25), scale(row.q75)), height=0.55,
                  color=BOX_COLOUR)
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
    axis.set_xlabel("Each row on its own scale, from the lowest to the highest of the authority's areas; the better "
                    "end on the right where the indicator has a polarity", fontsize=7)
    for side in ("top", "right", "left"):
        axis.spines[side].set_visible(False)
    handles = [Line2D([], [], color="#000000", linewidth=1.6, label="England"),
               Line2D([], [], color="#000000", linewidth=1.0, linestyle=(0, (2, 1.5)), label=la_name),
               Line2D([], [], color=SPREAD_COLOUR, linewidth=6, label=f"{la_name}'s areas: lowest to highest"),
               Line2D([], [], color=BOX_COLOUR, linewidth=6, label="25th to 75th percentile")]
    handles += [Line2D([], [], color="none", marker=m, markerfacecolor=c, markeredgecolor="#000000",
                       label=f"{area_name}: {label or 'not compared'} vs England")
                for label, (c, m) in MARKERS.items()]
    axis.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08 if len(table) > 6 else -0.2),
                ncol=4, fontsize=6.5, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    alt = (f"Spine chart of {len(table)} indicators for {area_name}: each row shows the spread of {la_name}'s "
           f"areas (lowest, 25th and 75th percentiles, highest), England's and {la_name}'s values as lines and "
           f"{area_name}'s value as a marker. The same figures are in the table below.")
    return buffer.getvalue(), alt


def _scaler(row):
    """Map a row's values to 0-1 over everything drawn on it, better end on the right."""
    values = [v for v in (row.lowest, row.highest, row.area, row.england, row.authority) if np.isfinite(v)]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    flip = row.higher_is == "worse"
    return lambda v: (1 - (v - low) / span) if flip else (v - low) / span


def _fmt(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"
