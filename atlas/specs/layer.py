"""Layer specs: a ``[source]`` dataset and its ``[[indicator]]`` tables (``layers/*.toml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecError
from .points import POINTS_PREFIX
from .reading import check_keys, check_table, load_toml, relative_name

#: Indicator kinds and how each aggregates from small areas to larger ones.
KIND_AGGREGATION = {
    "score": "weighted_mean",  # a composite score: population-weighted mean
    "rate": "weighted_mean",  # a proportion (0-1) or rate per population
    "percentage": "weighted_mean",  # a percentage (0-100)
    "value": "weighted_mean",  # any other mean-like quantity (distance, years)
    "count": "sum",
    "population": "sum",
    "decile": "decile_share",  # national decile: population share per decile
    "rank": "none",  # ranks do not aggregate
}
POLARITIES = ("worse", "better", "neutral")


@dataclass(frozen=True)
class SourceSpec:
    """The ``[source]`` table of a layer spec: one file and how to read it.

    Attributes
    ----------
    id : str
        Identifier of the dataset.
    title : str
        Title of the publication, as cited.
    file : str
        Path relative to the source directory.
    format : str
        ``csv`` or ``excel``.
    key : str
        Column holding the area code (or practice code ...).
    geography : str
        Boundary set id the key codes belong to (``lsoa11`` ...).
    period : str
        The period the data describe, e.g. ``"2019 (mostly 2015/16 data)"``.
    reader : dict
        Options for the reader (``encoding``, ``thousands``, ``sheet``,
        ``skiprows``, ``sep``, ``header``, ``columns`` for header-less files,
        ``na_values``).
    weight : str or None
        Indicator id of the population used to weight means when aggregating.
    coverage : str
        What the whole file covers (e.g. ``"England"``): names the national
        benchmark of indicators with ``compare``; empty for none.
    computed, points, population, radius_km
        For a computed source (no file): the method (``nearest_point`` or
        ``count_points``), the point set it uses (``count_points``: one or a list,
        each counted in a column named after the set), the population indicator
        on the same geography, and the radius for "population within" measures.
    estimate
        For ``computed = "registered_patients"``: the ``[estimate]`` spec whose
        patients-by-area file gives each area's registered patients (column
        ``registered_patients``); ``population`` then names the residents
        indicator (column ``usual_residents``), on the source's geography or on
        the estimate's ``convert`` geography (moved through its lookup; a newer
        area merged from several is shared among them by ``weight``). See
        :mod:`atlas.registered`.
    """

    id: str
    title: str
    file: str
    key: str
    geography: str
    period: str
    publisher: str
    licence: str
    attribution: str
    spec_file: str
    format: str = "csv"
    reader: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)
    weight: str | None = None
    theme: str = "Other"
    url: str = ""
    notes: str = ""
    key_prefix: str | None = None
    coverage: str = ""
    computed: str | None = None
    points: str | list | None = None
    population: str | None = None
    radius_km: float | None = None
    estimate: str | None = None

    #: Required keys of a computed source (no file: its table comes from the atlas's point sets).
    _REQUIRED_COMPUTED = {"id", "title", "geography", "period", "publisher", "licence", "attribution",
                          "computed", "points"}
    #: The computed method counting registered patients against residents (from an ``[estimate]`` spec's file).
    REGISTERED = "registered_patients"
    _REQUIRED_REGISTERED = {"id", "title", "geography", "period", "publisher", "licence", "attribution",
                            "computed", "estimate", "population"}
    COMPUTED_METHODS = ("nearest_point", "count_points", REGISTERED)

    @property
    def point_sets(self) -> list[str]:
        """The point sets a computed source uses."""
        return [self.points] if isinstance(self.points, str) else list(self.points or [])

    @property
    def point_set(self) -> str | None:
        """The point set id when the source is keyed by points (``geography = "points:<set>"``)."""
        return self.geography.split(":", 1)[1] if self.geography.startswith(POINTS_PREFIX) else None


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator (a map layer) read from a source dataset.

    Exactly one of ``column`` (the value as published) or ``numerator`` (one or
    more count columns, summed, divided by ``denominator`` and multiplied by
    ``scale``) gives the value.

    Attributes
    ----------
    id : str
        Unique identifier, used as the column name in the built atlas.
    label : str
        Short plain-English title for legends and menus.
    kind : str
        One of ``score``, ``rate``, ``percentage``, ``value``, ``count``,
        ``population``, ``decile``, ``rank``; decides how it aggregates.
    units : str
        Units shown beside values.
    higher_is : str
        Polarity: ``worse``, ``better`` or ``neutral``.
    description : str
        One plain-English line saying what the indicator measures.
    interval : str or None
        ``"wilson"``: a 95% Wilson score interval from numerator and denominator.
    compare : bool
        Classify each area Better/Similar/Worse than the district (and the
        source's ``coverage``) from its interval.
    benchmark_weight : str or None
        Column weighting the benchmark mean of a ``column`` indicator (e.g.
        person-years); ratio indicators use summed numerators and denominators.
    """

    id: str
    label: str
    kind: str
    units: str
    higher_is: str
    description: str
    source: SourceSpec
    column: str | None = None
    numerator: tuple[str, ...] = ()
    denominator: str | None = None
    scale: float = 1.0
    where: dict = field(default_factory=dict)
    lower: str | None = None
    upper: str | None = None
    palette: str | None = None
    classification: str = "quantiles"
    decimals: int = 1
    notes: str = ""
    interval: str | None = None
    compare: bool = False
    benchmark_weight: str | None = None

    INTERVALS = ("wilson",)

    @property
    def geography(self) -> str:
        """The boundary set the indicator's values are keyed by."""
        return self.source.geography

    @property
    def aggregation(self) -> str:
        """How the indicator aggregates to larger areas (see ``KIND_AGGREGATION``)."""
        if self.numerator and self.denominator:
            return "ratio_of_sums"
        return KIND_AGGREGATION[self.kind]

    def source_columns(self) -> list[str]:
        """Every column of the source table the indicator reads."""
        cols = [self.column] if self.column else [*self.numerator, self.denominator]
        cols += [c for c in (self.lower, self.upper, self.benchmark_weight) if c]
        cols += list(self.where)
        return [c for c in cols if c]


def load_layer_file(path: Path) -> list[IndicatorSpec]:
    """Read a layer spec file: its ``[source]`` and every ``[[indicator]]``.

    Parameters
    ----------
    path : pathlib.Path
        A TOML file in ``layers/``.

    Returns
    -------
    list of IndicatorSpec

    Raises
    ------
    SpecError
        If a key is unknown or missing, or a value is not allowed.
    """
    return layer_indicators(load_toml(path), relative_name(path))


def layer_indicators(data: dict, where: str) -> list[IndicatorSpec]:
    """The indicators of a parsed layer spec (``where`` names the file in errors)."""
    check_keys(where, data, {"source", "indicator"}, {"source", "indicator"})
    src = data["source"]
    if "computed" in src:
        required = (SourceSpec._REQUIRED_REGISTERED if src.get("computed") == SourceSpec.REGISTERED
                    else SourceSpec._REQUIRED_COMPUTED)
        check_table(f"{where} [source]", src, SourceSpec, required=required)
        if src["computed"] not in SourceSpec.COMPUTED_METHODS:
            raise SpecError(f"{where} [source]: computed {src['computed']!r} is not one of "
                            f"{', '.join(SourceSpec.COMPUTED_METHODS)}")
        src = {"file": "", "key": "code", **src}
    else:
        check_table(f"{where} [source]", src, SourceSpec)
    source = SourceSpec(spec_file=where, **src)
    indicators = []
    for i, ind in enumerate(data["indicator"]):
        here = f"{where} [[indicator]] #{i + 1} ({ind.get('id', '?')})"
        check_table(here, ind, IndicatorSpec, filled=("source",))
        if ind["kind"] not in KIND_AGGREGATION:
            raise SpecError(f"{here}: kind {ind['kind']!r} is not one of {', '.join(KIND_AGGREGATION)}")
        if ind["higher_is"] not in POLARITIES:
            raise SpecError(f"{here}: higher_is {ind['higher_is']!r} is not one of {', '.join(POLARITIES)}")
        has_column = bool(ind.get("column"))
        has_ratio = bool(ind.get("numerator")) and bool(ind.get("denominator"))
        if has_column == has_ratio:
            raise SpecError(f"{here}: give either column, or numerator and denominator (not both)")
        if ind.get("interval") and (ind["interval"] not in IndicatorSpec.INTERVALS or not has_ratio):
            raise SpecError(f"{here}: interval {ind['interval']!r} needs a numerator and denominator and "
                            f"must be one of {', '.join(IndicatorSpec.INTERVALS)}")
        if ind.get("compare") and not (has_ratio or (ind.get("lower") and ind.get("upper")) or ind.get("interval")):
            raise SpecError(f"{here}: compare needs an interval (lower and upper columns, or interval = \"wilson\")")
        if ind.get("compare") and has_column and not ind.get("benchmark_weight"):
            raise SpecError(f"{here}: compare on a column indicator needs benchmark_weight (the column "
                            f"weighting the district and national means, e.g. person-years)")
        numerator = ind.get("numerator", ())
        ind = {**ind, "numerator": tuple([numerator] if isinstance(numerator, str) else numerator)}
        indicators.append(IndicatorSpec(source=source, **ind))
    return indicators
