"""The analysis maps as categories: what each area is, in which colour, and how it was worked out.

One job: turn an analysis of a built atlas into a map that any renderer can draw
(the A4 exports of :mod:`atlas.export`): the category of each area, the legend
in order with its colours, a title naming the analysis and the indicator(s),
the method in words ("Getis-Ord Gi*, 999 permutations, queen contiguity ...")
and the layers whose sources and licences the map must credit.

Kinds (:data:`KINDS`):

* ``hotspots``: Getis-Ord Gi* hot and cold spots at 90/95/99% confidence;
* ``lisa``: local Moran (LISA) clusters and outliers;
* ``bivariate``: the 3x3 bivariate choropleth (terciles of two indicators);
* ``bivariate-lisa``: bivariate LISA clusters of two indicators;
* ``change``: the LSOAs whose national IMD (or domain) decile went down, stayed or
  went up between IoD2019 and IoD2025.

Each raises :class:`atlas.errors.StatisticError` with a sentence saying why when
the map cannot be made (two indicators on different geographies, a constant or
all-missing layer ...), never a map that means nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .. import change
from ..classify import (
    BIVARIATE_COLOURS,
    BIVARIATE_THIRDS,
    CHANGE_COLOURS,
    LISA_COLOURS,
    MISSING_COLOUR,
    MISSING_LABEL,
    Classes,
    hotspot_styles,
    lisa_styles,
)
from ..errors import AtlasError, StatisticError
from ..model import Atlas
from ..stats.hotspots import BINS
from ..stats.moran import CLUSTERS, DEFAULT_ALPHA, DEFAULT_PERMUTATIONS, DEFAULT_SEED, lisa
from ..stats.weights import DEFAULT_SNAP_TOLERANCE_M
from . import analyses
from .summary import cached_weights

HOTSPOTS, LISA, BIVARIATE, BIVARIATE_LISA, CHANGE = "hotspots", "lisa", "bivariate", "bivariate-lisa", "change"
#: The kinds of analysis map, with what each shows.
KINDS = {
    HOTSPOTS: "Getis-Ord Gi* hot and cold spots (90/95/99% confidence)",
    LISA: "local Moran (LISA) clusters and outliers",
    BIVARIATE: "3x3 bivariate choropleth of two indicators (terciles)",
    BIVARIATE_LISA: "bivariate LISA clusters of two indicators",
    CHANGE: "IMD (or domain) decile change from IoD2019 to IoD2025 on LSOA 2021",
}
_QUEEN, _FDR = "queen contiguity", ", false-discovery-rate corrected"
#: Kinds that relate two indicators (they need a partner layer).
PAIRED = (BIVARIATE, BIVARIATE_LISA)


@dataclass(frozen=True)
class AnalysisMap:
    """One analysis map: each area's category, the legend and the words around it.

    Attributes
    ----------
    kind : str
        A key of :data:`KINDS`.
    title : str
        What the map shows, naming the indicator(s) ("Hot and cold spots of Income ...").
    method : str
        How it was computed, in words.
    labels, colours : list of str
        The legend, in order (the last is "No data").
    areas : pandas.Series
        The category label of each area, by area code (missing: no data).
    metas : list of dict
        The metadata of the layers shown (the first gives the period), for sources and licences.
    axes : tuple of str, optional
        ``(x label, y label)`` of a 3x3 bivariate map, whose legend is a grid.
    short_method : str
        The method in a few words, for a map's subtitle.
    """

    kind: str
    title: str
    method: str
    labels: list[str]
    colours: list[str]
    areas: pd.Series
    metas: list[dict] = field(default_factory=list)
    axes: tuple[str, str] | None = None
    short_method: str = ""

    def classes(self, codes: pd.Index) -> Classes:
        """The map's categories as :class:`atlas.classify.Classes` of the areas ``codes`` (legend order)."""
        position = {label: i for i, label in enumerate(self.labels) if label != MISSING_LABEL}
        index = self.areas.reindex(codes).map(position).fillna(-1).astype(int)
        shown = [(label, colour) for label, colour in zip(self.labels, self.colours) if label != MISSING_LABEL]
        return Classes([label for label, _ in shown], [colour for _, colour in shown], index,
                       list(range(len(shown))), KINDS[self.kind])

    def counts(self) -> dict[str, int]:
        """Areas per legend label (every label, zero where none)."""
        found = self.areas.fillna(MISSING_LABEL).value_counts()
        return {label: int(found.get(label, 0)) for label in self.labels}

    def alt_text(self, place: str, geography_label: str) -> str:
        """A text alternative for the map: what it shows, where, and how many areas in each category."""
        counts = "; ".join(f"{label}: {n}" for label, n in self.counts().items() if n)
        return (f"Map of {place} on {geography_label}: {self.title}. Areas in each category: {counts}. "
                f"Method: {self.method}")


def analysis_map(built: Atlas, kind: str, layer: str, geography: str, partner: str | None = None,
                 permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, fdr: bool = False) -> AnalysisMap:
    """The analysis map of one kind for a layer (and a partner layer for the bivariate kinds).

    Parameters
    ----------
    built : Atlas
    kind : str
        A key of :data:`KINDS`.
    layer : str
        The layer analysed; for ``change`` an IoD domain key of :data:`atlas.change.DOMAINS`
        (``imd``, ``income`` ...).
    geography : str
        The area geography (``change`` is always on the newer LSOAs).
    partner : str, optional
        The second indicator of a bivariate map, on the same geography.
    permutations, seed : int
        Of the permutation tests.
    fdr : bool
        False-discovery-rate cut-offs instead of the pseudo p-values (``hotspots`` and ``lisa`` only).

    Returns
    -------
    AnalysisMap

    Raises
    ------
    StatisticError
        When the map cannot be made (the message says why).
    """
    if kind not in KINDS:
        raise StatisticError(f"Unknown analysis {kind!r}; choose one of: {', '.join(KINDS)}.")
    if kind in PAIRED and not partner:
        raise StatisticError(f"The {kind} map relates two indicators: name the second one (--with LAYER).")
    if kind not in PAIRED and partner:
        raise StatisticError(f"The {kind} map shows one indicator; --with is only for {' and '.join(PAIRED)}.")
    if fdr and kind not in (HOTSPOTS, LISA):
        raise StatisticError(f"The false-discovery-rate correction applies to hotspots and lisa, not {kind}.")
    if kind == CHANGE:
        return _change_map(built, layer, geography)
    _check_on(built, layer, geography)
    if kind in PAIRED:
        _check_on(built, partner, geography, pair_with=layer)
        return _bivariate_map(built, kind, layer, partner, geography, permutations, seed)
    if kind == HOTSPOTS:
        return _hot_spot_map(built, layer, geography, permutations, seed, fdr)
    return _lisa_map(built, layer, geography, permutations, seed, fdr)


def _check_on(built: Atlas, layer: str, geography: str, pair_with: str | None = None) -> None:
    """A clear error when a layer is not on the geography (naming where it is)."""
    if geography not in built.geographies:
        raise StatisticError(f"Unknown area geography {geography!r}; this atlas has: {', '.join(built.geographies)}.")
    on = built.layers.loc[built.layers["layer"] == layer, "geography"].astype(str).tolist()
    if geography in on:
        return
    if not on:
        raise StatisticError(f"Unknown layer {layer!r}: {built.la_name}'s atlas has no such layer.")
    if pair_with:
        raise StatisticError(f"{pair_with} and {layer} are on different geographies ({geography} and "
                             f"{', '.join(on)}); a bivariate map relates the two values of the same areas, so "
                             f"choose two indicators on one geography.")
    raise StatisticError(f"{layer} is not on {geography}; it is on {', '.join(on)}.")


def _label(built: Atlas, layer: str, geography: str) -> str:
    return str(built.layer(layer, geography).get("label") or layer)


def _hot_spot_map(built, layer, geography, permutations, seed, fdr) -> AnalysisMap:
    entry = analyses.hot_spot_summary(built, layer, geography, permutations=permutations, seed=seed, fdr=fdr)
    if not entry["available"]:
        raise StatisticError(entry["message"])
    styles = hotspot_styles(built.layer(layer, geography).get("higher_is"))
    labels, colours = [styles[b][0] for b in BINS], [styles[b][1] for b in BINS]
    areas = pd.Series(entry["areas"], dtype=object).map(lambda b: styles[b][0] if b in styles else b)
    return AnalysisMap(HOTSPOTS, f"Hot and cold spots of {_label(built, layer, geography)}",
                       entry["method"], labels, colours, areas, [built.layer(layer, geography)],
                       short_method=f"Getis-Ord Gi*, {permutations} permutations, {_QUEEN}{_FDR if fdr else ''}")


def _lisa_map(built, layer, geography, permutations, seed, fdr) -> AnalysisMap:
    meta = built.layer(layer, geography)
    values = pd.to_numeric(built.table(geography)[layer], errors="coerce")
    name = f"{meta.get('label', layer)}, {built.la_name}, {meta.get('geography_label') or geography}"
    try:
        weights = cached_weights(built.table(geography), DEFAULT_SNAP_TOLERANCE_M, name)
        table = lisa(values, weights, permutations=permutations, seed=seed, fdr=fdr, name=name)
    except AtlasError as exc:
        raise StatisticError(str(exc)) from None
    cut = (f"false-discovery-rate cut-off at {DEFAULT_ALPHA:g} (p < {table.attrs['p_threshold']:.4f})" if fdr
           else f"p < {DEFAULT_ALPHA:g}")
    method = (f"Local Moran's I (esda Moran_Local), {permutations} conditional permutations (seed {seed}), "
              f"{cut}; {weights.describe()}")
    styles = lisa_styles(meta.get("higher_is"))
    areas = table["cluster"].astype(object).map(lambda c: styles[c][0] if c in styles else c)
    return AnalysisMap(LISA, f"Local clusters and outliers (LISA) of {_label(built, layer, geography)}", method,
                       [styles[c][0] for c in CLUSTERS], [styles[c][1] for c in CLUSTERS], areas, [meta],
                       short_method=f"Local Moran's I (LISA), {permutations} permutations, {_QUEEN}{_FDR if fdr else ''}")


def bivariate_key_label(key: str, x_label: str, y_label: str) -> str:
    """The legend label of a 3x3 class ``"<x>-<y>"`` ("Income: high, Obesity: low")."""
    return f"{x_label}: {BIVARIATE_THIRDS[int(key[0]) - 1]}, {y_label}: {BIVARIATE_THIRDS[int(key[2]) - 1]}"


def _bivariate_map(built, kind, layer, partner, geography, permutations, seed) -> AnalysisMap:
    entry = analyses.bivariate_summary(built, layer, geography, partner, geography, permutations=permutations,
                                       seed=seed)
    if not entry["available"]:
        raise StatisticError(entry["message"])
    x_label, y_label = entry["x_label"], entry["y_label"]
    metas = [built.layer(layer, geography), built.layer(partner, geography)]
    if kind == BIVARIATE_LISA:
        return AnalysisMap(BIVARIATE_LISA, f"Bivariate LISA clusters: {x_label} against neighbours' {y_label}",
                           entry["method"].split(" Map classes:")[0], list(CLUSTERS),
                           [LISA_COLOURS.get(c, MISSING_COLOUR) for c in CLUSTERS],
                           pd.Series(entry["clusters"], dtype=object), metas,
                           short_method=f"Bivariate local Moran's I, {permutations} permutations, {_QUEEN}")
    label_of = {key: bivariate_key_label(key, x_label, y_label) for key in BIVARIATE_COLOURS}
    areas = pd.Series(entry["classes"], dtype=object).map(label_of)
    method = (f"Terciles of each indicator (mapclassify Quantiles, k=3) over the areas with both values; "
              f"Joshua Stevens' 3x3 pink-blue palette. Bivariate Moran's I = {entry['moran']['I']:.3f} "
              f"(p = {entry['moran']['p_sim']:.3f}, {permutations} permutations).")
    return AnalysisMap(BIVARIATE, f"Two indicators together: {x_label} and {y_label}", method,
                       [*label_of.values(), MISSING_LABEL], [*BIVARIATE_COLOURS.values(), MISSING_COLOUR], areas,
                       metas, axes=(x_label, y_label), short_method="Terciles of each indicator, 3x3 classes")


def _change_map(built: Atlas, domain: str, geography: str) -> AnalysisMap:
    if domain not in change.DOMAINS:
        raise StatisticError(f"The change map takes an IoD domain as its layer, not {domain!r}; choose one of: "
                             f"{', '.join(change.DOMAINS)}.")
    new = change.new_geography()
    if geography and geography != new:
        raise StatisticError(f"The change map is drawn on {new} (IoD2025's LSOAs), not {geography}.")
    try:
        table = change.decile_change(built, domain)
    except AtlasError as exc:
        raise StatisticError(str(exc)) from None
    found = change.editions()
    metas = []
    for year in ("2025", "2019"):
        edition = found[year]
        metas.append(built.layer(edition.layer.replace("imd", domain, 1), edition.geography))
    period = " against ".join(str(m.get("period") or "") for m in reversed(metas))
    metas[0] = dict(metas[0], period=period)
    return AnalysisMap(CHANGE, f"{change.DOMAINS[domain]}: national decile change from IoD2019 to IoD2025",
                       change.METHOD, list(change.MOVEMENTS), list(CHANGE_COLOURS),
                       table["movement"].astype(object), metas,
                       short_method="IoD2019 converted to LSOA 2021 by the ONS lookup; deciles relative to England")
