"""The app's panels of the further analyses, each figure with a plain-English reading.

Beside :mod:`atlas.analysis.summary` (Moran's I, LISA, 20:20, Gini), for one
built atlas: Getis-Ord Gi* hot spots (:func:`hot_spot_summary`), two indicators
together (:func:`bivariate_summary`), smoothed rates (:func:`smoothed_summary`)
and funnel plots (:func:`funnel_summary`). Each returns a JSON-ready dict with
``available``; when a statistic cannot be computed it carries a ``message``
saying why, never a figure that means nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..classify import bivariate_classes, polarity_sentence
from ..errors import AtlasError, StatisticError
from ..model import Atlas
from ..stats.bivariate import lisa_bv, moran_bv
from ..stats.funnel import LEVELS, POSITIONS, funnel_curve, funnel_points
from ..stats.hotspots import BINS, COLD, HOT, hot_spot_counts, hot_spots
from ..stats.moran import DEFAULT_ALPHA, DEFAULT_PERMUTATIONS, DEFAULT_SEED, HIGH_HIGH, HIGH_LOW, LOW_HIGH, LOW_LOW
from ..stats.smoothing import UNSTABLE_BELOW, eb_smoothed, lisa_rate, moran_rate
from ..stats.weights import DEFAULT_SNAP_TOLERANCE_M
from .summary import cached_weights


def _name(built: Atlas, meta: dict, geography: str) -> str:
    return f"{built.la_name} ({built.la_code}), {meta.get('geography_label') or geography}"


def _values(built: Atlas, layer: str, geography: str) -> tuple[pd.Series, dict]:
    meta = built.layer(layer, geography)
    values = pd.to_numeric(built.table(geography)[layer], errors="coerce")
    if values.isna().all():
        raise StatisticError(f"{meta.get('label', layer)} has no value in any area of {built.la_name} on "
                             f"{meta.get('geography_label') or geography}, so nothing can be computed.")
    return values, meta


def _p_words(p: float, permutations: int) -> str:
    return f"p = {p:.3f}, {permutations} permutations"


# -- hot spots ------------------------------------------------------------------------------------
def hot_spot_summary(built: Atlas, layer: str, geography: str, permutations: int = DEFAULT_PERMUTATIONS,
                     seed: int = DEFAULT_SEED, fdr: bool = False,
                     snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M) -> dict:
    """Getis-Ord Gi* hot and cold spots of one layer, with a reading; or why there are none.

    Returns
    -------
    dict
        ``available``, ``counts`` (areas per bin of :data:`atlas.stats.hotspots.BINS`),
        ``areas`` (bin by code), ``categories``, ``reading``, ``method``; or ``message``.
    """
    try:
        values, meta = _values(built, layer, geography)
        name = _name(built, meta, geography)
        weights = cached_weights(built.table(geography), snap_tolerance_m, name)
        table = hot_spots(values, weights, permutations=permutations, seed=seed, fdr=fdr, name=name)
    except AtlasError as exc:  # StatisticError, or a layer the atlas does not have
        return {"available": False, "message": str(exc)}
    counts = hot_spot_counts(table)
    hot = sum(v for k, v in counts.items() if k.startswith(HOT))
    cold = sum(v for k, v in counts.items() if k.startswith(COLD))
    cut = "false-discovery-rate cut-offs" if fdr else "pseudo p-values"
    method = (f"Getis-Ord Gi* (esda G_Local, star=True), {permutations} conditional permutations (seed {seed}), "
              f"{cut} at 0.01/0.05/0.10; {weights.describe()}")
    label = meta.get("label", layer)
    if hot + cold == 0:
        reading = (f"No area is a significant hot or cold spot of {label} (at 90% confidence or more): high "
                   f"and low values are not grouped more than chance would give.")
    else:
        strong = counts[f"{HOT} (99% confidence)"], counts[f"{COLD} (99% confidence)"]
        reading = (f"{hot} area(s) sit in hot spots, where {label} is high in the area and its neighbours together "
                   f"({strong[0]} with 99% confidence), and {cold} in cold spots, where it is low ({strong[1]} with "
                   f"99% confidence). A hot spot is about the area and its surroundings, not the area alone.")
    reading += " " + polarity_sentence(meta.get("higher_is"), "hot spots", "cold spots")
    if counts["No data"]:
        reading += f" {counts['No data']} area(s) have no value."
    return {"available": True, "counts": counts, "categories": list(BINS), "reading": reading, "method": method,
            "areas": table["bin"].to_dict(), "permutations": int(permutations), "seed": int(seed), "fdr": bool(fdr)}


# -- two indicators -------------------------------------------------------------------------------
def bivariate_summary(built: Atlas, x_layer: str, x_geography: str, y_layer: str, y_geography: str,
                      permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED,
                      alpha: float = DEFAULT_ALPHA, snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M) -> dict:
    """Bivariate Moran's I and LISA of two layers on one geography, and their 3x3 classes.

    Returns
    -------
    dict
        ``available``, ``moran`` (:class:`BivariateMoran` as a dict), ``clusters``
        (bivariate LISA cluster by code), ``counts``, ``classes`` (the 3x3 class
        ``"x-y"`` by code, from :func:`atlas.classify.bivariate_classes`),
        ``reading`` and ``method``; or ``message``.
    """
    try:
        if x_geography != y_geography:
            raise StatisticError(
                f"The two indicators are on different geographies ({x_geography} and {y_geography}); a bivariate "
                f"statistic relates the two values of the same areas. Choose two indicators on one geography.")
        if x_layer == y_layer:
            raise StatisticError("Choose two different indicators: an indicator against itself is Moran's I.")
        x, x_meta = _values(built, x_layer, x_geography)
        y, y_meta = _values(built, y_layer, y_geography)
        name = _name(built, x_meta, x_geography)
        weights = cached_weights(built.table(x_geography), snap_tolerance_m, name)
        result = moran_bv(x, y, weights, permutations=permutations, seed=seed, name=name)
        table = lisa_bv(x, y, weights, permutations=permutations, seed=seed, alpha=alpha, name=name)
        classes = bivariate_classes(x, y)
    except AtlasError as exc:  # StatisticError, or a layer the atlas does not have
        return {"available": False, "message": str(exc)}
    xl, yl = x_meta.get("label", x_layer), y_meta.get("label", y_layer)
    counts = table["cluster"].value_counts().to_dict()
    if result.p_sim >= alpha:
        pattern = (f"no clear spatial link: areas' {xl} is not related to {yl} in their neighbours more than "
                   f"chance would give")
    elif result.I > 0:
        pattern = f"areas with high {xl} tend to be surrounded by areas with high {yl}"
    else:
        pattern = f"areas with high {xl} tend to be surrounded by areas with low {yl}"
    reading = (f"Bivariate Moran's I = {result.I:.3f} ({_p_words(result.p_sim, permutations)}): {pattern}. "
               f"In the same areas the two correlate at r = {result.correlation:.2f}. Locally, "
               f"{counts.get(HIGH_HIGH, 0)} area(s) are high on the first among neighbours high on the second, "
               f"{counts.get(LOW_LOW, 0)} low among low, and {counts.get(HIGH_LOW, 0) + counts.get(LOW_HIGH, 0)} "
               f"are outliers (p < {alpha:g}).")
    if result.left_out:
        reading += f" {len(result.left_out)} area(s) without both values are left out."
    method = (f"esda Moran_BV and Moran_Local_BV of {xl} against the spatial lag of {yl}, {permutations} "
              f"permutations (seed {seed}); {weights.describe()}. Map classes: terciles of each indicator.")
    return {"available": True, "moran": result.as_dict(), "clusters": table["cluster"].to_dict(), "counts": counts,
            "classes": classes.to_dict(), "x_label": xl, "y_label": yl, "reading": reading, "method": method}


# -- smoothed rates -------------------------------------------------------------------------------
def counts_of(built: Atlas, layer: str, geography: str) -> tuple[pd.Series, pd.Series, float]:
    """A layer's numerator and denominator columns and the scale of its values (100 for a percentage).

    Raises
    ------
    StatisticError
        If the layer carries no numerator and denominator on this geography.
    """
    meta = built.layer(layer, geography)
    frame = built.table(geography)
    columns = f"{layer}_numerator", f"{layer}_denominator"
    if not all(c in frame.columns for c in columns) or frame[list(columns)].isna().all().any():
        raise StatisticError(
            f"{meta.get('label', layer)} has no numerator and denominator on {meta.get('geography_label') or geography} "
            f"(only its published values), so its rates cannot be smoothed. Smoothing needs counts: choose a "
            f"layer such as a Census percentage on LSOA (2021).")
    numerator, denominator = (pd.to_numeric(frame[c], errors="coerce") for c in columns)
    values = pd.to_numeric(frame[layer], errors="coerce")
    ratio = (values / (numerator / denominator)).replace([np.inf, -np.inf], np.nan).dropna()
    scale = float(np.round(ratio.median())) if len(ratio) else 1.0
    return numerator, denominator, scale or 1.0


def smoothed_summary(built: Atlas, layer: str, geography: str, permutations: int = DEFAULT_PERMUTATIONS,
                     seed: int = DEFAULT_SEED, snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M) -> dict:
    """Empirical-Bayes smoothed rates of a layer with counts, the rate-aware Moran's I and LISA, and a reading.

    Returns
    -------
    dict
        ``available``, ``smoothed`` (value by code, on the layer's scale), ``raw``,
        ``unstable`` (codes), ``moran`` (:class:`RateMoran` as a dict), ``clusters``,
        ``reading``, ``method``; or ``message``.
    """
    try:
        meta = built.layer(layer, geography)
        numerator, denominator, scale = counts_of(built, layer, geography)
        name = f"{meta.get('label', layer)}, {_name(built, meta, geography)}"
        table = eb_smoothed(numerator, denominator, name)
        weights = cached_weights(built.table(geography), snap_tolerance_m, name)
        result = moran_rate(numerator, denominator, weights, permutations=permutations, seed=seed, name=name)
        clusters = lisa_rate(numerator, denominator, weights, permutations=permutations, seed=seed, name=name)
    except AtlasError as exc:  # StatisticError, or a layer the atlas does not have
        return {"available": False, "message": str(exc)}
    unstable = table.index[table["unstable"]].astype(str).tolist()
    shift = (table["smoothed"] - table["raw"]).abs() * scale
    stability = (f"{len(unstable)} area(s) have fewer than {UNSTABLE_BELOW} events, so their raw rate is unstable "
                 f"and the smoothed one is the better guide: {', '.join(unstable[:10])}." if unstable else
                 f"Every area has at least {UNSTABLE_BELOW} events, so the raw rates are reasonably stable; "
                 f"smoothing moves them by at most {shift.max():.2f} ({meta.get('units') or 'units'}).")
    significant = "" if result.p_sim < DEFAULT_ALPHA else "not "
    reading = (f"Empirical-Bayes smoothing pulls each area's rate towards the {built.la_name} rate "
               f"({table.attrs['overall'] * scale:.2f}), the more so the fewer people it has. {stability} "
               f"Rate-aware Moran's I = {result.I:.3f} ({_p_words(result.p_sim, permutations)}): the rates are "
               f"{significant}significantly clustered once their different reliability is allowed for.")
    method = ("esda.smoothing.Empirical_Bayes (global empirical Bayes, Marshall); esda Moran_Rate and "
              f"Moran_Local_Rate (Assuncao-Reis adjustment), {permutations} permutations (seed {seed}); "
              f"{weights.describe()}. These are estimates, not published figures.")
    return {"available": True, "smoothed": (table["smoothed"] * scale).to_dict(), "raw": (table["raw"] * scale).to_dict(),
            "unstable": unstable, "moran": result.as_dict(), "clusters": clusters["cluster"].to_dict(),
            "scale": scale, "reading": reading, "method": method}


SMOOTHED_PREFIX = "eb_"


def with_smoothed_layer(built: Atlas, layer: str, geography: str) -> tuple[Atlas, str]:
    """The atlas with the layer's empirical-Bayes smoothed rates as a companion layer, and that layer's id.

    The companion (``eb_<layer>``) has the layer's units and polarity, a label and
    description saying it is an estimate, and the method. The atlas is unchanged.

    Raises
    ------
    StatisticError
        If the layer carries no numerator and denominator (the message says so).
    """
    meta = built.layer(layer, geography)
    numerator, denominator, scale = counts_of(built, layer, geography)
    table = eb_smoothed(numerator, denominator, f"{meta.get('label', layer)}, {_name(built, meta, geography)}")
    smoothed_id = f"{SMOOTHED_PREFIX}{layer}"
    if smoothed_id in built.table(geography).columns:
        return built, smoothed_id
    shown = dict(meta)
    shown.update(
        label=f"{meta.get('label', layer)}: empirical-Bayes smoothed estimate",
        description=(f"{meta.get('description', '')} Estimate: each area's rate pulled towards the "
                     f"{built.la_name} rate, the more so the fewer people it has (global empirical Bayes, "
                     f"esda.smoothing.Empirical_Bayes). Not a published figure."),
        method=f"{meta.get('method', '')}; then empirical-Bayes smoothed (esda.smoothing.Empirical_Bayes)",
        has_interval=False)
    values = pd.DataFrame({"value": table["smoothed"] * scale})
    return built.with_layer(geography, smoothed_id, values, shown), smoothed_id


# -- funnel plots ---------------------------------------------------------------------------------
def funnel_summary(built: Atlas, layer: str, geography: str, highlight: tuple[str, str] | None = None) -> dict:
    """A proportion funnel plot of a layer with counts: its units, limits around the district and England, a reading.

    Parameters
    ----------
    built : Atlas
    layer, geography : str
        A layer with numerator and denominator (QOF prevalence on ``points:gp_practices``, a Census percentage ...).
    highlight : (column, value), optional
        Units to highlight, e.g. ``("pcn_name", "Titan PCN")``.

    Returns
    -------
    dict
        ``available``, ``points`` (a DataFrame: ``name``, ``numerator``, ``denominator``,
        ``value``, ``position`` against the district, ``highlight``), ``curves`` (by
        benchmark label: a DataFrame of limits along the denominators, on the layer's
        scale), ``targets`` (label -> value), ``scale``, ``reading``, ``method``; or ``message``.
    """
    try:
        meta = built.layer(layer, geography)
        numerator, denominator, scale = counts_of(built, layer, geography)
        targets = _funnel_targets(built, layer, geography, numerator, denominator)
        points = funnel_points(numerator, denominator, targets[built.la_name])
    except AtlasError as exc:  # StatisticError, or a layer the atlas does not have
        return {"available": False, "message": str(exc)}
    frame = built.table(geography)
    out = points.copy()
    out.insert(0, "name", frame["name"].reindex(out.index) if "name" in frame.columns else out.index)
    out["value"] = out["proportion"] * scale
    out["highlight"] = False
    if highlight and highlight[0] in frame.columns:
        out["highlight"] = frame[highlight[0]].reindex(out.index).astype(str).eq(str(highlight[1])).to_numpy()
    lo, hi = float(out["denominator"].min()), float(out["denominator"].max())
    curves = {}
    for label, target in targets.items():
        curve = funnel_curve(target, max(lo * 0.8, 1.0), hi * 1.2)
        for column in curve.columns[1:]:
            curve[column] = curve[column] * scale
        curves[label] = curve
    counts = out["position"].value_counts()
    outside = {p: int(counts.get(p, 0)) for p in POSITIONS}
    unit = "practices" if geography.startswith("points:") else "areas"
    reading = (f"{len(out)} {unit}: {outside[POSITIONS[0]] + outside[POSITIONS[1]]} above the 95% control limit "
               f"around {built.la_name} ({targets[built.la_name] * scale:.1f}; {outside[POSITIONS[0]]} above 99.8%) "
               f"and {outside[POSITIONS[3]] + outside[POSITIONS[4]]} below it ({outside[POSITIONS[4]]} below "
               f"99.8%). Outside 99.8% is very unlikely to be chance alone (about 1 in 500); between 95% and 99.8% "
               f"could be chance in a few of many {unit}.")
    method = ("Proportion funnel plot, Fingertips method: control limits p -/+ z sqrt(p(1-p)/n) around the "
              "benchmark p (the inverse of the Wilson score interval), z for 95% and 99.8%.")
    return {"available": True, "points": out, "curves": curves, "targets": {k: v * scale for k, v in targets.items()},
            "scale": scale, "outside": outside, "label": meta.get("label", layer), "units": meta.get("units", ""),
            "reading": reading, "method": method, "levels": list(LEVELS), "left_out": points.attrs["left_out"]}


def _funnel_targets(built: Atlas, layer: str, geography: str, numerator, denominator) -> dict[str, float]:
    """The district's pooled proportion, and England's where the build recorded it."""
    ok = numerator.notna() & denominator.notna() & (denominator > 0)
    targets = {built.la_name: float(numerator[ok].sum() / denominator[ok].sum())}
    for bench in built.benchmarks(layer, geography):
        if bench.get("area") == "england" and bench.get("numerator") and bench.get("denominator"):
            targets[bench.get("label", "England")] = float(bench["numerator"]) / float(bench["denominator"])
    return targets
