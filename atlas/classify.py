"""Classes and colours for choropleth maps: one place, shared by the app and exports.

The web map, the static export and the legend of each come from
:func:`classify`, so a layer has the same classes and colours wherever it is
drawn. Palettes are colour-blind-safe ColorBrewer schemes;
the darker end always means *worse* for indicators with a polarity. National
IMD deciles are categorical 1-10 with a fixed diverging palette and the wording
people know.
"""

from __future__ import annotations

import difflib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

from .errors import AtlasError
from .model import WHOLE_NUMBER_KINDS, Atlas

SCHEMES = {"quantiles": "Quantiles", "natural_breaks": "Natural breaks (Fisher-Jenks)",
           "equal_interval": "Equal interval"}
_SCHEME_CLASSES = {"quantiles": "Quantiles", "natural_breaks": "FisherJenks", "equal_interval": "EqualInterval"}
#: ColorBrewer sequential schemes: all colour-blind safe, light to dark.
SEQUENTIAL_PALETTES = ("YlOrRd", "OrRd", "YlOrBr", "Reds", "Oranges", "Purples", "Blues", "Greens",
                       "PuBu", "YlGnBu", "BuPu")
DEFAULT_PALETTE = {"worse": "YlOrRd", "better": "YlGnBu", "neutral": "Purples"}
#: ColorBrewer RdYlBu, 10 classes (colour-blind safe): decile 1 (most deprived) dark red.
DECILE_COLOURS = ["#a50026", "#d73027", "#f46d43", "#fdae61", "#fee090",
                  "#e0f3f8", "#abd9e9", "#74add1", "#4575b4", "#313695"]
MISSING_COLOUR = "#bdbdbd"
#: Whole-number layers with at most this many distinct values get one class per value.
UNIQUE_VALUE_LIMIT = 7
MISSING_LABEL = "No data"
#: Paul Tol's "muted" qualitative scheme (colour-blind safe), for categories such as PCNs.
CATEGORY_COLOURS = ["#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77", "#cc6677",
                    "#882255", "#aa4499"]
#: Fixed LISA category colours, so a map without one category does not shift the others.
LISA_COLOURS = {
    "High-High": "#d7191c", "Low-Low": "#2c7bb6", "High-Low": "#fdae61", "Low-High": "#abd9e9",
    "Not significant": "#eeeeee", "No neighbours": "#ffffff",
}

#: Hot and cold spot bins (Getis-Ord Gi*), as GeoDa and ArcGIS draw them: reds for hot, blues for cold,
#: darker for more confidence (ColorBrewer RdBu, colour-blind safe), in ``atlas.stats.hotspots.BINS`` order.
HOTSPOT_COLOURS = {
    "Hot spot (99% confidence)": "#b2182b", "Hot spot (95% confidence)": "#ef8a62",
    "Hot spot (90% confidence)": "#fddbc7", "Not significant": "#f7f7f7",
    "Cold spot (90% confidence)": "#d1e5f0", "Cold spot (95% confidence)": "#67a9cf",
    "Cold spot (99% confidence)": "#2166ac", "No neighbours": "#ffffff", "No data": MISSING_COLOUR,
}
#: Which end of a polarised indicator is good: the LISA and hot-spot colours swap for ``higher_is = "better"``
#: (High-High of life expectancy is blue, not red); a neutral indicator takes purple for high and orange for
#: low (ColorBrewer PuOr, colour-blind safe), which read as neither good nor bad.
_LISA_NEUTRAL = {"High-High": "#5e3c99", "Low-Low": "#e66101", "High-Low": "#b2abd2", "Low-High": "#fdb863"}
_HOTSPOT_NEUTRAL = ("#5e3c99", "#998ec3", "#d8daeb", "#fee0b6", "#f1a340", "#b35806")
_LISA_WORDS = {"High-High": ("high", "near high values"), "Low-Low": ("low", "near low values"),
               "High-Low": ("a high value", "among low values"), "Low-High": ("a low value", "among high values")}


def _judged(high: bool, higher_is: str | None) -> str:
    """" (worse)", " (better)" or "" for the high or low end of an indicator of this polarity."""
    if higher_is not in ("worse", "better"):
        return ""
    return " (worse)" if high == (higher_is == "worse") else " (better)"


def lisa_styles(higher_is: str | None) -> dict[str, tuple[str, str]]:
    """The legend label and colour of each LISA category, following the indicator's polarity.

    Parameters
    ----------
    higher_is : str or None
        ``worse`` (High-High red, as GeoDa draws it), ``better`` (High-High blue: the good end)
        or ``neutral`` (purple for high, orange for low).

    Returns
    -------
    dict
        Category ("High-High") -> (legend label, hex colour); the label says which end is good,
        e.g. "High-High: high values (better) near high values".
    """
    if higher_is == "better":
        swap = {"High-High": "Low-Low", "Low-Low": "High-High", "High-Low": "Low-High", "Low-High": "High-Low"}
        colours = {c: LISA_COLOURS[swap.get(c, c)] for c in LISA_COLOURS}
    elif higher_is == "worse":
        colours = dict(LISA_COLOURS)
    else:
        colours = {**LISA_COLOURS, **_LISA_NEUTRAL}
    styles = {c: (c, colour) for c, colour in colours.items()}
    for category, (what, where) in _LISA_WORDS.items():
        values = " values" if what in ("high", "low") else ""
        styles[category] = (f"{category}: {what}{values}{_judged(category.startswith('High'), higher_is)} {where}",
                            colours[category])
    styles["No data"] = (MISSING_LABEL, MISSING_COLOUR)
    return styles


def polarity_sentence(higher_is: str | None, high: str = "High-High clusters and hot spots",
                      low: str = "Low-Low clusters and cold spots") -> str:
    """Which end of an indicator is good, and so which colour the clusters of each end take, in a sentence.

    Parameters
    ----------
    higher_is : str or None
        ``worse``, ``better`` or ``neutral``.
    high, low : str
        What the high-end and low-end categories are called.

    Returns
    -------
    str
    """
    if higher_is == "better":
        return f"High values are better for this indicator: {high} are drawn blue, {low} red."
    if higher_is == "worse":
        return f"High values are worse for this indicator: {high} are drawn red, {low} blue."
    return (f"High values are neither better nor worse for this indicator: {high} are drawn purple, "
            f"{low} orange.")


def hotspot_styles(higher_is: str | None) -> dict[str, tuple[str, str]]:
    """The legend label and colour of each Gi* bin, following the indicator's polarity.

    Hot spots (high values clustered) are red and cold spots blue when high is worse; the ramps swap
    when high is better, and a neutral indicator takes purple (hot) and orange (cold). Labels say which
    end is good: "Hot spot (99% confidence): high values (better)".

    Parameters
    ----------
    higher_is : str or None
        ``worse``, ``better`` or ``neutral``.

    Returns
    -------
    dict
        Bin ("Hot spot (99% confidence)") -> (legend label, hex colour).
    """
    bins = list(HOTSPOT_COLOURS)
    hot, cold = bins[:3], bins[4:7][::-1]  # strongest first in each
    colours = dict(HOTSPOT_COLOURS)
    if higher_is == "better":
        for h, c in zip(hot, cold):
            colours[h], colours[c] = HOTSPOT_COLOURS[c], HOTSPOT_COLOURS[h]
    elif higher_is != "worse":
        colours.update(zip(hot + cold[::-1], _HOTSPOT_NEUTRAL))
    styles = {b: (b, colour) for b, colour in colours.items()}
    for group, high in ((hot, True), (cold, False)):
        for b in group:
            styles[b] = (f"{b}: {'high' if high else 'low'} values{_judged(high, higher_is)}", colours[b])
    return styles


#: 3x3 bivariate palette (Joshua Stevens' pink-blue, distinguishable with the common colour-vision
#: deficiencies): key ``"<x class>-<y class>"``, 1 = lowest third, 3 = highest third.
BIVARIATE_COLOURS = {
    "1-1": "#e8e8e8", "2-1": "#e4acac", "3-1": "#c85a5a",
    "1-2": "#b0d5df", "2-2": "#ad9ea5", "3-2": "#985356",
    "1-3": "#64acbe", "2-3": "#627f8c", "3-3": "#574249",
}
BIVARIATE_THIRDS = ("low", "middle", "high")
#: Decile movement between IoD2019 and IoD2025 (ColorBrewer PuOr ends, colour-blind safe), in
#: ``atlas.change.MOVEMENTS`` order.
CHANGE_COLOURS = ["#e66101", "#f7f7f7", "#5e3c99", MISSING_COLOUR]


#: Markers and colours (Okabe-Ito, colour-blind safe) for point sets drawn together whose spec names none, in turn.
POINT_MARKERS = (("o", "#0072B2"), ("^", "#D55E00"), ("s", "#009E73"), ("P", "#CC79A7"), ("D", "#E69F00"),
                 ("v", "#56B4E9"), ("X", "#000000"))


def point_markers(built: Atlas) -> dict[str, tuple[str, str]]:
    """The marker and colour of each point set of an atlas, for a map that draws them all together.

    A set's spec names its own (``marker``, ``colour``); the others take the next
    unused pair of :data:`POINT_MARKERS`, so two sets never look alike.
    """
    chosen = {p: (built.report.point_set(p).get("marker") or "", built.report.point_set(p).get("colour") or "")
              for p in built.points}
    free = [pair for pair in POINT_MARKERS if pair not in chosen.values()]
    return {p: pair if all(pair) else free.pop(0) if free else POINT_MARKERS[-1] for p, pair in chosen.items()}


def bivariate_classes(x: pd.Series, y: pd.Series) -> pd.Series:
    """The 3x3 bivariate class ``"<x>-<y>"`` of each area: terciles of each indicator (1 low, 3 high).

    Terciles are mapclassify ``Quantiles(k=3)`` of the areas with both values;
    areas missing either value get no class (NaN).

    Raises
    ------
    AtlasError
        Fewer than 3 areas with both values, or an indicator with fewer than 3 distinct values.
    """
    import mapclassify

    both = x.notna() & y.reindex(x.index).notna()
    if both.sum() < 3:
        raise AtlasError(f"A bivariate map needs at least 3 areas with both values (there are {int(both.sum())}).")
    classes = []
    for values, which in ((x[both], "first"), (y.reindex(x.index)[both], "second")):
        if values.nunique() < 3:
            raise AtlasError(f"The {which} indicator has fewer than 3 different values, so it cannot be split "
                             f"into thirds for a bivariate map.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # (0/0 where an area has no neighbour or no variance)
            warnings.simplefilter("ignore", UserWarning)  # (libpysal and mapclassify notes the atlas reports itself)
            classes.append(pd.Series(mapclassify.Quantiles(values.to_numpy(dtype=float), k=3).yb + 1,
                                     index=values.index))
    out = classes[0].astype(str) + "-" + classes[1].astype(str)
    return out.reindex(x.index)


def short_label(label: str) -> str:
    """An indicator's label without its qualifiers ("Income 2025: score" -> "Income 2025")."""
    return str(label).split(":")[0].split(" (")[0]


def bivariate_legend(x_label: str, y_label: str) -> list[tuple[str, str]]:
    """``(label, colour)`` of the nine classes, e.g. ("Income: high, Obesity: low", colour)."""
    return [(f"{x_label}: {BIVARIATE_THIRDS[int(key[0]) - 1]}, {y_label}: {BIVARIATE_THIRDS[int(key[2]) - 1]}",
             colour) for key, colour in BIVARIATE_COLOURS.items()]


@dataclass
class Classes:
    """The classes of one layer's values.

    Attributes
    ----------
    labels : list of str
        Legend labels, one per class, in legend order.
    colours : list of str
        Hex colours, one per class.
    index : pandas.Series
        Class number (0-based) of each area; -1 where the value is missing.
    bins : list of float
        Upper bounds of the classes (continuous schemes); the decile numbers
        for deciles.
    scheme : str
        The scheme used, in words (says so when classes were merged).
    """

    labels: list[str]
    colours: list[str]
    index: pd.Series
    bins: list[float]
    scheme: str

    def colour_of(self) -> pd.Series:
        """The fill colour of each area (missing values in grey)."""
        lookup = np.array(self.colours + [MISSING_COLOUR])
        return pd.Series(lookup[self.index.to_numpy()], index=self.index.index)

    def legend(self, include_missing: bool = True) -> list[tuple[str, str]]:
        """``(label, colour)`` pairs in legend order, with "No data" when any value is missing."""
        items = list(zip(self.labels, self.colours))
        if include_missing and (self.index == -1).any():
            items.append((MISSING_LABEL, MISSING_COLOUR))
        return items


def decile_label(decile: int) -> str:
    """Legend wording of a national decile (1 = most deprived 10% nationally)."""
    if decile == 1:
        return "1: most deprived 10% nationally"
    if decile == 10:
        return "10: least deprived 10% nationally"
    return str(decile)


def layer_decimals(meta: dict) -> int:
    """Decimals a layer's values are shown with (its metadata's ``decimals``; 1 when unreadable)."""
    try:
        return int(meta.get("decimals") or 0)
    except (TypeError, ValueError):
        return 1


def format_value(value, decimals: int = 1, units: str | None = None, missing: str | None = "no data") -> str | None:
    """A figure as the atlas shows it: thousands separated, ``decimals`` places, "%" when the units are "%".

    Parameters
    ----------
    value : float or None
    decimals : int
    units : str, optional
        The layer's units; only "%" changes the text.
    missing : str or None
        What a missing value reads as (each caller's own wording).

    Returns
    -------
    str or None
    """
    if value is None or pd.isna(value):
        return missing
    text = f"{float(value):,.{int(decimals)}f}"
    return f"{text}%" if str(units or "").strip() == "%" else text


def classify(values: pd.Series, kind: str = "score", scheme: str = "quantiles", k: int = 5,
             palette: str | None = None, higher_is: str = "worse", decimals: int = 1) -> Classes:
    """Classify a layer's values for a choropleth.

    Parameters
    ----------
    values : pandas.Series
        Values by area code; NaN means no data.
    kind : str
        The layer kind; ``decile`` gives fixed categorical classes 1-10.
    scheme : str
        ``quantiles``, ``natural_breaks`` or ``equal_interval`` (continuous layers).
    k : int
        Number of classes (2-9).
    palette : str, optional
        A name from ``SEQUENTIAL_PALETTES``; by default chosen by polarity.
    higher_is : str
        ``worse``, ``better`` or ``neutral``; the darker end marks the worse values.
    decimals : int
        Decimals shown in legend labels.

    Returns
    -------
    Classes

    Raises
    ------
    AtlasError
        If the scheme or palette is unknown, or every value is missing.
    """
    values = pd.to_numeric(values, errors="coerce").astype(float)
    present = values.dropna()
    if present.empty:
        raise AtlasError("Every value of this layer is missing for these areas: there is nothing to map.")
    if kind == "decile":
        return _decile_classes(values)
    if scheme not in SCHEMES:
        raise AtlasError(f"Unknown classification {scheme!r}; choose one of: {', '.join(SCHEMES)}.")
    if not 2 <= int(k) <= 9:
        raise AtlasError(f"Number of classes must be between 2 and 9 (got {k}).")
    palette = palette or DEFAULT_PALETTE.get(higher_is, "Purples")
    if palette not in SEQUENTIAL_PALETTES:
        raise AtlasError(f"Unknown palette {palette!r}; colour-blind-safe choices: {', '.join(SEQUENTIAL_PALETTES)}.")
    if present.nunique() == 1:
        only = present.iloc[0]
        index = pd.Series(np.where(values.notna(), 0, -1), index=values.index)
        return Classes([f"all areas: {format_value(only, decimals)}"], [_colours(palette, 1, higher_is)[0]], index,
                       [float(only)], f"{SCHEMES[scheme]} (one class: every area has the same value)")
    if whole_numbers(present, kind, decimals):
        bins, labels, note = _whole_number_classes(present.to_numpy(), scheme, int(k))
    else:
        bins, note = _bins(present.to_numpy(), scheme, int(k))
        lows = [float(present.min())] + bins[:-1]
        labels = [_range_label(lo, hi, decimals) for lo, hi in zip(lows, bins)]
        note = SCHEMES[scheme] + note
    index = pd.Series(-1, index=values.index)
    index[values.notna()] = np.searchsorted(bins, present.to_numpy(), side="left").clip(0, len(bins) - 1)
    return Classes(labels, _colours(palette, len(bins), higher_is), index, bins, note)


def whole_numbers(values: pd.Series, kind: str = "score", decimals: int = 1) -> bool:
    """Whether a layer's values are counted things: whole numbers of a count kind or shown without decimals.

    Parameters
    ----------
    values : pandas.Series
        The values present (no missing ones).
    kind : str
        The layer kind (``count``, ``population`` and ``rank`` are whole numbers by nature).
    decimals : int
        Decimals the layer is shown with.

    Returns
    -------
    bool
    """
    numbers = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    counted = kind in WHOLE_NUMBER_KINDS or int(decimals) == 0
    return bool(counted and len(numbers) and np.all(np.mod(numbers, 1) == 0))


def _whole_number_classes(y: np.ndarray, scheme: str, k: int) -> tuple[list[float], list[str], str]:
    """Classes of whole numbers: one per value when there are few, else integer breaks that never overlap.

    Up to :data:`UNIQUE_VALUE_LIMIT` distinct values each get a class ("0", "1", "2"). Otherwise the
    scheme's breaks are rounded down to whole numbers (a class up to 2.8 holds 0, 1 and 2), classes left
    empty are dropped, and each class starts one above the previous one's end ("0", "1", "2 to 3").
    """
    distinct = np.unique(y)
    if len(distinct) <= UNIQUE_VALUE_LIMIT:
        edges = [float(v) for v in distinct]
        return edges, [format_value(v, 0) for v in edges], f"Unique values ({len(edges)} whole numbers)"
    bins, _ = _bins(y, scheme, k)
    edges = sorted(set(float(np.floor(b)) for b in bins[:-1]) | {float(distinct[-1])})
    counts = np.bincount(np.searchsorted(edges, y, side="left"), minlength=len(edges))
    edges = [e for e, n in zip(edges, counts) if n > 0]
    lows = [float(distinct[0])] + [e + 1 for e in edges[:-1]]
    labels = [_range_label(lo, hi, 0) for lo, hi in zip(lows, edges)]
    merged = "" if len(edges) == k else f"; {len(edges)} classes"
    return edges, labels, f"{SCHEMES[scheme]}, whole-number breaks{merged}"


def _range_label(low: float, high: float, decimals: int) -> str:
    """A class's legend label: "2 to 3", or one figure when the class holds a single value."""
    low_text, high_text = format_value(low, decimals), format_value(high, decimals)
    return high_text if low_text == high_text else f"{low_text} to {high_text}"


def categorical(values: pd.Series) -> Classes:
    """Classes of a categorical attribute (e.g. the PCN of each practice), one colour per category.

    Categories are sorted by name and take ``CATEGORY_COLOURS`` in turn (repeating
    after nine, when the legend's labels tell them apart); missing values are "No data".

    Parameters
    ----------
    values : pandas.Series
        Category of each item, by code.

    Returns
    -------
    Classes
    """
    text = values.astype("string")
    categories = sorted(text.dropna().unique())
    position = {c: i for i, c in enumerate(categories)}
    index = pd.Series([position.get(v, -1) if not pd.isna(v) else -1 for v in text], index=values.index)
    colours = [CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)] for i in range(len(categories))]
    return Classes(list(categories), colours, index, [], "Categories")


def _decile_classes(values: pd.Series) -> Classes:
    deciles = list(range(1, 11))
    index = pd.Series(-1, index=values.index)
    ok = values.notna() & values.isin(deciles)
    index[ok] = values[ok].astype(int) - 1
    return Classes([decile_label(d) for d in deciles], list(DECILE_COLOURS), index, [float(d) for d in deciles],
                   "National deciles (categorical)")


def _bins(y: np.ndarray, scheme: str, k: int) -> tuple[list[float], str]:
    import mapclassify  # imported when first needed: it pulls in scikit-learn and SciPy's stats (~1.5 s)

    k = min(k, len(np.unique(y)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (0/0 where an area has no neighbour or no variance)
        warnings.simplefilter("ignore", UserWarning)  # (libpysal and mapclassify notes the atlas reports itself)
        classifier = getattr(mapclassify, _SCHEME_CLASSES[scheme])(y, k=k)
    bins = sorted(set(float(b) for b in classifier.bins))
    note = "" if len(bins) == k else f" ({len(bins)} classes: tied values merged the others)"
    return bins, note


def _colours(palette: str, n: int, higher_is: str) -> list[str]:
    cmap = colormaps[palette]
    positions = np.linspace(0.12, 0.95, n) if n > 1 else np.array([0.6])
    if higher_is == "better":
        positions = positions[::-1]  # low values (worse) get the dark end
    return [to_hex(cmap(p)) for p in positions]


# -- a layer of an atlas ------------------------------------------------------------------------------------
def layer_classes(built: Atlas, layer: str, geography: str, scheme: str | None = None, k: int = 5,
                  palette: str | None = None) -> Classes:
    """The classes and colours of a layer, as the app draws them.

    Parameters
    ----------
    built : Atlas
    layer, geography : str
    scheme : str, optional
        ``quantiles`` (the default, as in the app), ``natural_breaks`` or
        ``equal_interval``; deciles are always categorical 1-10.
    k : int
        Number of classes for continuous layers.
    palette : str, optional
        A colour-blind-safe palette from :data:`atlas.classify.SEQUENTIAL_PALETTES`;
        by default the layer's own, else chosen by its polarity.

    Returns
    -------
    atlas.classify.Classes

    Raises
    ------
    AtlasError
        If the layer or geography is unknown, every value is missing, or the
        scheme, number of classes or palette is not allowed.
    """
    meta = layer_meta(built, layer, geography)
    try:
        return classify(built.values(layer, geography), kind=meta["kind"], scheme=scheme or "quantiles", k=int(k),
                        palette=palette or meta.get("palette") or None,
                        higher_is=meta.get("higher_is") or "neutral", decimals=layer_decimals(meta))
    except AtlasError as exc:
        raise AtlasError(f"{meta['label']} ({layer}) on {meta.get('geography_label') or geography} in "
                         f"{built.la_name}: {exc}") from exc


def layer_meta(built: Atlas, layer: str, geography: str) -> dict:
    """A layer's metadata; an unknown layer or geography gets a message naming near matches."""
    table = built.table(geography)  # says which geographies exist
    if not ((built.layers["layer"] == layer) & (built.layers["geography"] == geography)).any():
        here = list(built.layers_on(geography)["layer"])
        near = difflib.get_close_matches(layer, here, n=4, cutoff=0.5)
        hint = f" Did you mean: {', '.join(near)}?" if near else ""
        elsewhere = sorted(built.layers.loc[built.layers["layer"] == layer, "geography"])
        where = f" It is available on: {', '.join(elsewhere)}." if elsewhere else ""
        listed = ", ".join(here[:15]) + (f" ... ({len(here)} in all)" if len(here) > 15 else "")
        raise AtlasError(f"No layer {layer!r} on {geography!r} ({len(table)} areas) in the {built.la_name} atlas."
                         f"{where}{hint} Layers there: {listed or 'none'}.")
    return built.layer(layer, geography)


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
