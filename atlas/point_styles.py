"""Point sets (GP practices, pharmacies ...) on the web map: colours, sizes, tooltips and their tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .classify import (
    MISSING_COLOUR,
    value_text,
)
from .model import Atlas
from .plaintext import display_name
from .points import point_style
from .specs import POINTS_PREFIX
from .web_geometry import located

#: Okabe-Ito colours for point sets (distinguishable with colour-blindness, readable on the palettes).
POINT_COLOURS = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00"]

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
    frame = located(built.table(f"points:{point_set}"))
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
