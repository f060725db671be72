"""The built atlas of one authority, as the app, statistics and exports use it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .errors import AtlasError
from .report import BuildReport
from .specs import (
    POINTS_PREFIX,  # geography ids of point sets in ``Atlas.layers``: ``points:<id>``
    IndicatorSpec,
)

#: Columns of the layer metadata table, one row per (layer, geography).
LAYER_COLUMNS = [
    "layer", "geography", "geography_label", "label", "kind", "units", "higher_is", "description",
    "theme", "period", "source_title", "source_file", "publisher", "licence", "attribution", "url",
    "native_geography", "method", "palette", "classification", "decimals", "has_interval",
    "boundary_attribution",
]

#: Kinds shown with whole numbers whatever the spec's ``decimals``.
WHOLE_NUMBER_KINDS = ("decile", "rank", "count", "population")


def layer_columns(layer: str, values: pd.DataFrame, index: pd.Index) -> dict[str, pd.Series]:
    """The columns one layer adds to a table, by name, each reindexed to ``index``.

    ``value`` is named ``layer``; every other column (``lower``, ``numerator``,
    ``vs_england`` ...) is named ``<layer>_<column>``.
    """
    return {layer if column == "value" else f"{layer}_{column}": values[column].reindex(index)
            for column in values.columns}


def indicator_row(indicator: IndicatorSpec, geography: str, geography_label: str, method: str,
                  native: str | None = None, boundary_attribution: str = "", **shown) -> dict:
    """The metadata row (``LAYER_COLUMNS``) of an indicator of the catalogue on one geography.

    Parameters
    ----------
    indicator : IndicatorSpec
    geography, geography_label : str
        Where the layer is (a boundary set, or a point set ``points:<id>``) and its label.
    method : str
        How the values were made, in words.
    native : str, optional
        The geography the values were published on (``geography`` by default);
        an aggregated layer has no interval.
    boundary_attribution : str
        The attribution of the geography's boundaries.
    **shown
        ``layer``, ``label``, ``units``, ``kind``, ``higher_is`` or ``description``
        in place of the indicator's (a layer derived from it); the decimals and
        classification follow the kind.

    Returns
    -------
    dict
    """
    source, native = indicator.source, native or geography
    row = {"layer": indicator.id, "label": indicator.label, "kind": indicator.kind, "units": indicator.units,
           "higher_is": indicator.higher_is, "description": indicator.description, **shown}
    row.update({
        "geography": geography, "geography_label": geography_label, "theme": source.theme, "period": source.period,
        "source_title": source.title, "source_file": source.file, "publisher": source.publisher,
        "licence": source.licence, "attribution": source.attribution, "url": source.url,
        "native_geography": native, "method": method, "palette": indicator.palette or "",
        "classification": "categorical" if row["kind"] == "decile" else indicator.classification,
        "decimals": 0 if row["kind"] in WHOLE_NUMBER_KINDS else indicator.decimals,
        "has_interval": bool((indicator.interval or indicator.lower and indicator.upper) and native == geography),
        "boundary_attribution": boundary_attribution,
    })
    return {key: row[key] for key in LAYER_COLUMNS}


def empty_shares() -> pd.DataFrame:
    """An empty decile-shares table (see :attr:`Atlas.decile_shares`)."""
    return pd.DataFrame({"geography": pd.Series(dtype=str), "code": pd.Series(dtype=str),
                         "layer": pd.Series(dtype=str), "decile": pd.Series(dtype=int),
                         "population": pd.Series(dtype=float), "areas": pd.Series(dtype=int),
                         "share": pd.Series(dtype=float)})


def empty_catchments() -> pd.DataFrame:
    """An empty catchment table (see :attr:`Atlas.catchments`)."""
    return pd.DataFrame({"practice": pd.Series(dtype=str), "area": pd.Series(dtype=str),
                         "patients": pd.Series(dtype=float), "share": pd.Series(dtype=float)})


@dataclass
class Atlas:
    """One authority's atlas: areas of every geography with every layer joined.

    Attributes
    ----------
    la_code, la_name : str
        The district (or ``E92000001`` England).
    geographies : dict of str to geopandas.GeoDataFrame
        By boundary-set id (``lsoa11``, ``ward2023`` ...): areas indexed by code
        in British National Grid, with ``name`` and one column per layer (plus
        ``<layer>_lower``/``_upper`` intervals and ``_numerator``/``_denominator``
        where the data have them).
    layers : pandas.DataFrame
        Metadata, one row per layer and geography (see ``LAYER_COLUMNS``).
    decile_shares : pandas.DataFrame
        For decile layers aggregated to larger areas: population and LSOA count
        in each national decile (``geography, code, layer, decile, population,
        areas, share``).
    report : BuildReport
        The build report (matches, unmatched codes, missing values, methods).
    outline : geopandas.GeoDataFrame or None
        The district outline.
    path : pathlib.Path or None
        The GeoPackage it was written to or read from.
    points : dict of str to geopandas.GeoDataFrame
        Point sets by id (``gp_practices``, ``pharmacies`` ...): organisations in
        the district, in British National Grid, indexed by organisation code, with
        ``name``, ``postcode``, attributes and indicator columns. Their metadata
        rows in ``layers`` have geography ``points:<id>`` (the set's own row has
        layer id ``<id>`` and kind ``points``); ``table("points:<id>")`` returns one.
    catchments : pandas.DataFrame
        Where the patients of the district's practices live (small-area estimates'
        patient file): ``practice``, ``area`` (LSOA 2011, in the district or not),
        ``patients`` and ``share`` of the practice's patients with a known LSOA.
        Empty when the build had no patient file (or for England).
    """

    la_code: str
    la_name: str
    geographies: dict[str, gpd.GeoDataFrame]
    layers: pd.DataFrame
    decile_shares: pd.DataFrame
    report: BuildReport
    outline: gpd.GeoDataFrame | None = None
    path: Path | None = None
    geography_labels: dict[str, str] = field(default_factory=dict)
    points: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    catchments: pd.DataFrame = field(default_factory=lambda: empty_catchments())

    def table(self, geography: str) -> gpd.GeoDataFrame:
        """The areas of one geography with their layers (or a point set: ``points:<id>``).

        Raises
        ------
        AtlasError
            If the atlas has no such geography (the message lists those it has).
        """
        if geography.startswith(POINTS_PREFIX):
            point_set = geography[len(POINTS_PREFIX):]
            if point_set not in self.points:
                have = ", ".join(self.points) or "none"
                raise AtlasError(f"The {self.la_name} atlas has no point set {point_set!r}; it has: {have}.")
            return self.points[point_set]
        if geography not in self.geographies:
            have = ", ".join(self.geographies) or "none"
            raise AtlasError(f"The {self.la_name} atlas has no geography {geography!r}; it has: {have}.")
        return self.geographies[geography]

    def layers_on(self, geography: str) -> pd.DataFrame:
        """Metadata of the layers available on one geography."""
        return self.layers[self.layers["geography"] == geography].reset_index(drop=True)

    def layer(self, layer: str, geography: str) -> dict:
        """Metadata of one layer on one geography, as a dict.

        Raises
        ------
        AtlasError
            If the layer is not available on that geography.
        """
        rows = self.layers[(self.layers["layer"] == layer) & (self.layers["geography"] == geography)]
        if rows.empty:
            on = sorted(self.layers.loc[self.layers["layer"] == layer, "geography"])
            where = f" It is available on: {', '.join(on)}." if on else ""
            raise AtlasError(f"Layer {layer!r} is not available on {geography!r} in the {self.la_name} atlas.{where}")
        return rows.iloc[0].to_dict()

    def values(self, layer: str, geography: str) -> pd.Series:
        """The values of one layer on one geography, indexed by area code."""
        self.layer(layer, geography)
        return self.table(geography)[layer]

    def geographies_at(self, level: str) -> list[str]:
        """The atlas's geographies of one level (``lsoa``, ``msoa``, ``ward``, ``district``), newest vintage first.

        The roles engine code needs (the newest LSOAs, the ward sets, the MSOAs)
        come from here: the boundary specs' ``level`` and ``vintage`` as the build
        recorded them, never from literal geography ids.
        """
        return [g for g in self.report.geographies_at(level) if g in self.geographies]

    def native_geography(self, layer: str) -> str | None:
        """The geography a layer's values were published on (``None`` if the atlas lacks the layer there)."""
        rows = self.layers[self.layers["layer"] == layer]
        native = [g for g in rows["native_geography"].fillna("") if g in self.geographies]
        return native[0] if native else None

    def layer_columns(self, layer: str, geography: str) -> dict[str, str]:
        """The columns one layer has in a geography's table, by part.

        Returns
        -------
        dict of str to str
            ``value`` (the layer id itself) and, where the table has them, ``lower``,
            ``upper``, ``numerator``, ``denominator``, ``vs_district``, ``vs_england`` ...
            mapped to their column names (``<layer>_<part>``).

        Raises
        ------
        AtlasError
            If the layer is not available on that geography.
        """
        self.layer(layer, geography)
        prefix = f"{layer}_"
        parts = {"value": layer}
        others = {str(c)[len(prefix):]: str(c) for c in self.table(geography).columns if str(c).startswith(prefix)}
        # another layer whose id starts with this one's (``x`` and ``x_rate``) is not a part of it
        layer_ids = set(self.layers_on(geography)["layer"])
        parts.update({part: column for part, column in others.items() if column not in layer_ids})
        return parts

    def has_counts(self, layer: str, geography: str) -> bool:
        """Whether a layer carries the numerator and denominator its rate is made of."""
        parts = self.layer_columns(layer, geography)
        return "numerator" in parts and "denominator" in parts

    def benchmarks(self, layer: str, geography: str) -> list[dict]:
        """The district and England benchmarks the build computed for a layer (empty if none).

        See :meth:`atlas.report.BuildReport.benchmarks_of`.
        """
        return self.report.benchmarks_of(layer, geography)

    def benchmark_value(self, layer: str, geography: str, area: str) -> float | None:
        """One benchmark's value (``area`` is ``district`` or ``england``), if the build computed it."""
        found = (b for b in self.benchmarks(layer, geography) if b.get("area") == area and b.get("value") is not None)
        return next((float(b["value"]) for b in found), None)

    def population_layer(self, geography: str) -> str | None:
        """The id of the resident-population layer of a geography, if the atlas has one.

        A population published on the geography itself is preferred to one
        aggregated to it from smaller areas.
        """
        rows = self.layers_on(geography)
        rows = rows[rows["kind"] == "population"]
        if rows.empty:
            return None
        native = rows[rows["native_geography"] == geography]
        return str((native if len(native) else rows)["layer"].iloc[0])

    def with_layer(self, geography: str, layer: str, columns: pd.DataFrame, meta: dict) -> "Atlas":
        """A copy of the atlas with one more layer on one geography.

        Parameters
        ----------
        geography : str
            Geography the values are keyed by (or a point set, ``points:<id>``).
        layer : str
            New layer id (must not exist on that geography).
        columns : pandas.DataFrame
            Indexed by area code: ``value`` and optionally ``lower``, ``upper``,
            ``numerator``, ``denominator``; areas absent get no data.
        meta : dict
            Metadata; keys of ``LAYER_COLUMNS`` (missing ones are left blank).

        Returns
        -------
        Atlas
            A new atlas; this one is unchanged.
        """
        frame = self.table(geography).copy()
        if layer in frame.columns:
            raise AtlasError(f"The {self.la_name} atlas already has a layer {layer!r} on {geography!r}.")
        for name, column in layer_columns(layer, columns, frame.index).items():
            frame[name] = column
        row = {key: meta.get(key, "") for key in LAYER_COLUMNS}
        row.update(layer=layer, geography=geography,
                   geography_label=meta.get("geography_label") or self.geography_labels.get(geography, geography))
        layers = pd.concat([self.layers, pd.DataFrame([row], columns=LAYER_COLUMNS)], ignore_index=True)
        geographies, points = dict(self.geographies), dict(self.points)
        if geography.startswith(POINTS_PREFIX):
            points[geography[len(POINTS_PREFIX):]] = frame
        else:
            geographies[geography] = frame
        return Atlas(self.la_code, self.la_name, geographies, layers, self.decile_shares, self.report,
                     self.outline, self.path, dict(self.geography_labels), points, self.catchments)
