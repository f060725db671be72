"""The catalogue of declarative specs: boundary sets and indicator layers.

``boundaries/*.toml`` holds one spec per boundary set (a geography and vintage:
where its files are, which columns hold the code and the name, the CRS the files
are in, how its areas belong to a district, and how finer areas aggregate into
it). ``layers/*.toml`` holds one spec per source dataset: a ``[source]`` table
(the file, how to read it, its key column and geography, period, publisher,
licence) and one ``[[indicator]]`` table per indicator taken from that file
(column, units, polarity, description, palette). A new indicator is a new
``[[indicator]]`` entry; a new dataset is a new file.

Besides ``[source]`` + ``[[indicator]]`` files, ``layers/`` holds three other
kinds of spec, each recognised by its top-level table:

* ``[points]``: a **point set** (GP practices, pharmacies ...): a table of
  organisations with a postcode, which rows are active (``where``, ``status``,
  ``close_date``), the postcode lookup that places them (``locate``), extra
  attributes and ``[[points.join]]`` tables keyed by the same code (e.g. the
  practice's Primary Care Network). Indicators whose ``[source]`` has
  ``geography = "points:<set>"`` become attributes of the points (e.g. QOF
  prevalence per practice).
* ``[postcodes]``: a **postcode lookup** (OS Code-Point Open): files, the
  postcode, easting/northing columns and CRS, and the district column.
* ``[[series]]``: **district-level series** (OHID Fingertips): one value per
  district and period, shown as trend charts, never as a small-area map.
* ``[estimate]``: **small-area estimates** of practice registers: the registers
  of a points-keyed ``[source]`` (QOF) apportioned to the areas where each
  practice's patients live (a patients-by-LSOA file), see :mod:`atlas.estimates`.
  Every ratio indicator of that source becomes an indicator ``<id><suffix>`` on
  the spec's geography (computed ``small_area_estimate``), aggregated like any
  other ratio (summed registers over summed lists).

A ``[source]`` with ``computed = "<method>"`` has no file: its table is computed
from the atlas's point sets (``nearest_point``: straight-line distance from each
area's centroid to the nearest point and the population within ``radius_km``;
``count_points``: points in each area and its population, see
:mod:`atlas.points`; ``registered_patients``: each area's registered patients
from an ``[estimate]`` spec's patients file beside its census residents, see
:mod:`atlas.registered`). Its indicators are ordinary indicators of that table, so
they are reported, classified and aggregated like any other.

Indicator options added for health data: ``interval = "wilson"`` computes a
95% Wilson score interval from the numerator and denominator; ``compare = true``
classifies each area Better/Similar/Worse than the district and (with the
source's ``coverage``, e.g. ``"England"``) the whole file, against benchmarks
computed from the file (ratio of summed numerators and denominators, or the
mean weighted by ``benchmark_weight``); see :mod:`atlas.comparators`.

Any table naming a ``file`` (or ``files``) may carry a ``download`` table: the
file's official address and how to turn the published product into the file
the spec reads. Only :mod:`atlas.fetch` reads those; the engine drops them.

The engine (:mod:`atlas.build`) reads only these objects; nothing about a
particular file or authority is written in code.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .downloads import FileDownload, collect_downloads

#: The folder of the packaged specs: ``boundaries/`` (one TOML per boundary set) and ``layers/``
#: (one TOML per dataset). The checkout's top-level ``boundaries`` and ``layers`` point here.
SPEC_ROOT = Path(__file__).resolve().parent

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
#: Geography ids of point sets start with this prefix (``points:gp_practices``).
POINTS_PREFIX = "points:"


def _check_keys(where: str, table: dict, allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(unknown)}; expected some of: {', '.join(sorted(allowed))}"
        )
    missing = sorted(required - set(table))
    if missing:
        raise SpecError(f"{where}: missing required key(s) {', '.join(missing)}")


def _check_table(where: str, table: dict, cls, filled: tuple[str, ...] = (), extra: tuple[str, ...] = (),
                 required: set[str] | None = None) -> None:
    """Check a spec table's keys against the fields of the dataclass ``cls`` it becomes.

    Every field is an allowed key, and those without a default are required,
    except ``spec_file`` and the ``filled`` fields the loader sets itself;
    ``extra`` keys are allowed too, and ``required`` replaces the required set.
    """
    allowed, needed = set(extra), set()
    for f in dataclasses.fields(cls):
        if f.name == "spec_file" or f.name in filled:
            continue
        allowed.add(f.name)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            needed.add(f.name)
    _check_keys(where, table, allowed, needed if required is None else required)


@dataclass(frozen=True)
class Members:
    """Where to find which areas of a boundary set belong to each district.

    Attributes
    ----------
    file : str
        A table in the source directory, relative path.
    code : str
        Column holding the area code.
    district : str
        Column holding the district code.
    district_name : str or None
        Column holding the district name, when there is one.
    reader : dict
        Extra reader options (encoding, thousands, sheet ...).
    """

    file: str
    code: str
    district: str
    district_name: str | None = None
    reader: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Variant:
    """Another vintage a boundary set's file may hold, labelled by its real vintage.

    Attributes
    ----------
    label, vintage : str
        What the areas are called when the variant applies.
    code, name : str or None
        Columns of this vintage: the variant applies to a file that has ``code``
        and lacks the spec's own code column.
    codes_file, codes_column : str or None
        A table of this vintage's codes: the variant applies when every area
        code read is in its ``codes_column``.
    """

    label: str
    vintage: str
    code: str | None = None
    name: str | None = None
    codes_file: str | None = None
    codes_column: str | None = None


@dataclass(frozen=True)
class AggregationRule:
    """How the areas of a finer boundary set are assigned to this one.

    ``method`` is ``"lookup"`` (a best-fit lookup file: ``file``, ``child`` and
    ``parent`` columns), ``"centroid"`` (the child's centroid falls in the parent
    polygon; a child whose centroid falls outside every parent goes to the
    parent it overlaps most, and is reported), or ``"name_prefix"`` (the child's
    name is the parent's name plus one letter, as ONS names LSOAs within MSOAs).
    """

    method: str
    file: str | None = None
    child: str | None = None
    parent: str | None = None
    reader: dict = field(default_factory=dict)
    #: For a lookup: ``"centroid"`` assigns the children whose lookup parent is not an area of the
    #: boundary set (e.g. wards redrawn since the lookup) by centroid instead (reported per parent).
    fallback: str | None = None


@dataclass(frozen=True)
class BoundarySpec:
    """One boundary set: a geography at one vintage.

    Attributes
    ----------
    id : str
        Identifier used everywhere (``lsoa11``, ``ward2023`` ...).
    label : str
        Plain-English name shown to users, e.g. ``"LSOA (2011)"``.
    level : str
        ``lsoa``, ``msoa``, ``oa``, ``ward`` or ``district``.
    vintage : str
        The boundary vintage, e.g. ``"2011"`` or ``"May 2023"``.
    files : list of str
        Glob patterns relative to the source directory; ``{lad}`` is replaced by
        the district code.
    national_files : str or None
        Glob of every file of the set, searched when the district's own file
        does not hold all its areas (e.g. districts merged since the files were cut).
    code, name : str
        Columns holding the area code and name.
    crs : str
        CRS the files are expected to be in (checked on reading).
    members : Members or None
        Which areas belong to each district.
    aggregate_from : dict
        Rules for assigning finer geographies' areas to this one, keyed by the
        finer geography's id.
    variants : list of Variant
        Other vintages a file of the set may hold, each with its own label: the
        first whose columns are in the file (``code``), or whose code list holds
        every area code read (``codes_file``), labels the areas read.
    upper_tier : dict
        District outlines only: the table of each district's upper-tier authority
        (``file``, ``district``, ``district_name``, ``code``, ``name`` columns).
    successors : dict
        District outlines only: the table of former district codes and the
        district each lies in today (``file``, ``old``, ``old_name``, ``new``, ``new_name``).
    england_areas : int or None
        How many areas of the set England has (32,844 LSOAs in 2011 ...): a source
        holding fewer than 95% of them is not national.
    spec_file : str
        The file the spec came from (named in errors).
    """

    id: str
    label: str
    level: str
    vintage: str
    files: list[str]
    code: str
    name: str
    crs: str
    spec_file: str
    national_files: str | None = None
    district_column: str | None = None
    members: Members | None = None
    aggregate_from: dict[str, AggregationRule] = field(default_factory=dict)
    publisher: str = ""
    licence: str = ""
    attribution: str = ""
    url: str = ""
    reader: dict = field(default_factory=dict)
    order: int = 100
    england_areas: int | None = None
    variants: list = field(default_factory=list)
    upper_tier: dict = field(default_factory=dict)
    successors: dict = field(default_factory=dict)

    @classmethod
    def from_toml(cls, path: Path) -> "BoundarySpec":
        """Read and validate a boundary spec file."""
        return cls.from_table(_load_toml(path), _rel(path))

    @classmethod
    def from_table(cls, data: dict, where: str) -> "BoundarySpec":
        """Validate a parsed boundary spec (without its ``download`` tables); ``where`` names its file."""
        _check_table(where, data, cls)
        members = None
        if "members" in data:
            m = data["members"]
            _check_table(f"{where} [members]", m, Members)
            members = Members(**m)
        rules = {}
        for child, rule in data.get("aggregate_from", {}).items():
            _check_table(f"{where} [aggregate_from.{child}]", rule, AggregationRule)
            if rule["method"] not in ("lookup", "centroid", "name_prefix"):
                raise SpecError(
                    f"{where} [aggregate_from.{child}]: method {rule['method']!r} is not one of "
                    "lookup, centroid, name_prefix"
                )
            if rule["method"] == "lookup" and not all(rule.get(k) for k in ("file", "child", "parent")):
                raise SpecError(f"{where} [aggregate_from.{child}]: a lookup needs file, child and parent")
            rules[child] = AggregationRule(**rule)
            if rule.get("fallback") not in (None, "centroid"):
                raise SpecError(f"{where} [aggregate_from.{child}]: fallback {rule['fallback']!r} is not 'centroid'")
        variants = []
        for i, variant in enumerate(data.get("variants", [])):
            _check_table(f"{where} [[variants]] #{i + 1}", variant, Variant)
            if not variant.get("code") and not variant.get("codes_file"):
                raise SpecError(f"{where} [[variants]] #{i + 1}: a variant needs code (and name) or codes_file")
            variants.append(Variant(**variant))
        for key, needed in (("upper_tier", ("file", "district", "code", "name")),
                            ("successors", ("file", "old", "new"))):
            if key in data:
                _check_keys(f"{where} [{key}]", data[key], set(needed) | {"district_name", "old_name", "new_name",
                                                                           "reader"}, set(needed))
        files = data["files"] if isinstance(data["files"], list) else [data["files"]]
        fields = {k: v for k, v in data.items() if k not in ("members", "aggregate_from", "files", "variants")}
        return cls(files=files, members=members, aggregate_from=rules, variants=variants, spec_file=where, **fields)


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
    return _layer_indicators(_load_toml(path), _rel(path))


def _layer_indicators(data: dict, where: str) -> list[IndicatorSpec]:
    """The indicators of a parsed layer spec (``where`` names the file in errors)."""
    _check_keys(where, data, {"source", "indicator"}, {"source", "indicator"})
    src = data["source"]
    if "computed" in src:
        required = (SourceSpec._REQUIRED_REGISTERED if src.get("computed") == SourceSpec.REGISTERED
                    else SourceSpec._REQUIRED_COMPUTED)
        _check_table(f"{where} [source]", src, SourceSpec, required=required)
        if src["computed"] not in SourceSpec.COMPUTED_METHODS:
            raise SpecError(f"{where} [source]: computed {src['computed']!r} is not one of "
                            f"{', '.join(SourceSpec.COMPUTED_METHODS)}")
        src = {"file": "", "key": "code", **src}
    else:
        _check_table(f"{where} [source]", src, SourceSpec)
    source = SourceSpec(spec_file=where, **src)
    indicators = []
    for i, ind in enumerate(data["indicator"]):
        here = f"{where} [[indicator]] #{i + 1} ({ind.get('id', '?')})"
        _check_table(here, ind, IndicatorSpec, filled=("source",))
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


@dataclass(frozen=True)
class PointJoin:
    """Attributes of a point set taken from another table keyed by the same code.

    Attributes
    ----------
    file : str
        Table in the source directory.
    key : str
        Its column holding the organisation code.
    columns : dict
        Attribute name in the atlas -> column of the table.
    title : str
        Title of the publication (cited in the metadata).
    """

    file: str
    key: str
    columns: dict
    title: str = ""
    reader: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PointSetSpec:
    """A set of point locations (organisations placed by postcode).

    Attributes
    ----------
    id : str
        Identifier: the atlas holds the set as ``Atlas.points[id]`` and its
        metadata under geography ``points:<id>``.
    label : str
        Plain-English name ("GP practices").
    file : str
        The organisation table in the source directory.
    key, name, postcode : str
        Columns holding the organisation code, its name and its postcode.
    where : dict
        Row filters (column -> allowed value or list), e.g. prescribing setting 4.
    status : dict
        ``{column = ..., active = [...]}``: rows with another status are closed.
    close_date : str or None
        Column of close dates (``YYYYMMDD``); rows closed on or before the data's
        date (the latest date in ``dates``, e.g. the latest open date) are excluded and counted.
    dates : list of str
        Date columns whose latest value is taken as the data's date.
    locate : str
        Id of the ``[postcodes]`` spec that places the points.
    attributes : list of str
        Further columns kept as attributes of each point.
    joins : list of PointJoin
        Attributes from other tables keyed by the same code.
    colour_by : str or None
        Attribute colouring the points by category (e.g. ``pcn_name``).
    colour_label : str
        What that attribute is, for the legend title ("Primary Care Network").
    marker, colour : str
        How the set is drawn where all sets share one map (the profiles' map): a
        matplotlib marker (``o``, ``^``, ``s``, ``P`` ...) and a colour of the
        Okabe-Ito colour-blind-safe palette; blank takes the next of
        :data:`atlas.classify.POINT_MARKERS`.
    order : int
        Where the set comes in lists of services (lowest first).
    """

    id: str
    label: str
    title: str
    file: str
    key: str
    name: str
    postcode: str
    locate: str
    period: str
    publisher: str
    licence: str
    attribution: str
    description: str
    spec_file: str
    reader: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)
    status: dict = field(default_factory=dict)
    close_date: str | None = None
    dates: list = field(default_factory=list)
    attributes: list = field(default_factory=list)
    joins: tuple = ()
    colour_by: str | None = None
    colour_label: str = ""
    marker: str = ""
    colour: str = ""
    order: int = 100
    theme: str = "Assets"
    url: str = ""
    notes: str = ""

    @property
    def geography(self) -> str:
        """The geography id of the set's metadata rows (``points:<id>``)."""
        return POINTS_PREFIX + self.id

    @classmethod
    def from_table(cls, table: dict, where: str) -> "PointSetSpec":
        """Validate a ``[points]`` table."""
        _check_table(f"{where} [points]", table, cls, filled=("joins",), extra=("join",))
        if table.get("status") and not {"column", "active"} <= set(table["status"]):
            raise SpecError(f"{where} [points]: status needs column and active (the active status values)")
        joins = []
        for i, join in enumerate(table.get("join", [])):
            _check_table(f"{where} [[points.join]] #{i + 1}", join, PointJoin)
            joins.append(PointJoin(**join))
        fields = {k: v for k, v in table.items() if k != "join"}
        return cls(spec_file=where, joins=tuple(joins), **fields)


@dataclass(frozen=True)
class PostcodeSpec:
    """A postcode lookup placing postcodes on the map (OS Code-Point Open).

    Attributes
    ----------
    files : str
        Glob of the lookup files, relative to the source directory.
    postcode, x, y : str
        Columns holding the postcode and its easting and northing.
    crs : str
        CRS of the coordinates.
    district, country : str or None
        Columns holding the district and country code of each postcode.
    """

    id: str
    title: str
    files: str
    postcode: str
    x: str
    y: str
    crs: str
    publisher: str
    licence: str
    attribution: str
    spec_file: str
    district: str | None = None
    country: str | None = None
    reader: dict = field(default_factory=dict)
    period: str = ""
    url: str = ""
    notes: str = ""


@dataclass(frozen=True)
class SeriesSpec:
    """A district-level time series (one value per district and period).

    Attributes
    ----------
    file : str
        Long table: one row per area and period.
    area, area_name, period, value : str
        Columns holding the area code and name, the period and the value.
    where : dict
        Row filters (e.g. sex).
    """

    id: str
    label: str
    title: str
    file: str
    units: str
    higher_is: str
    description: str
    publisher: str
    licence: str
    attribution: str
    spec_file: str
    area: str = "area_code"
    area_name: str = "area_name"
    period: str = "period"
    value: str = "value"
    where: dict = field(default_factory=dict)
    reader: dict = field(default_factory=dict)
    theme: str = "District context"
    url: str = ""
    notes: str = ""
    decimals: int = 1


@dataclass(frozen=True)
class EstimateSpec:
    """Small-area estimates of the registers of a practice-keyed source (``[estimate]``).

    Attributes
    ----------
    registers : str
        The ``[source]`` id of the practice registers (its ratio indicators are estimated).
    register_column : str
        The registers file's column naming the register (every value in the file
        should have an indicator; those without are reported).
    file : str
        The patients-by-area file: one row per practice and area of residence.
    practice, area, patients : str
        Its columns: practice code, area code, number of patients.
    unknown_areas : list of str
        Area codes meaning "no area" (``NO2011``), left out and counted.
    geography : str
        The boundary set of the file's area codes (``lsoa11``).
    suffix : str
        Added to a register indicator's id to make the estimate's (``qof_ob`` -> ``qof_ob_est``).
    convert : dict
        Optional conversion of the counts to another LSOA vintage: ``geography``,
        ``file`` (lookup), ``old`` and ``new`` columns, ``weight`` (population
        indicator on the target sharing a split area).
    catchments : str or None
        A point set (``gp_practices``) whose district members' catchments (where
        their patients live) the atlas keeps.
    """

    id: str
    title: str
    registers: str
    register_column: str
    file: str
    practice: str
    area: str
    patients: str
    geography: str
    period: str
    publisher: str
    licence: str
    attribution: str
    spec_file: str
    unknown_areas: list = field(default_factory=list)
    reader: dict = field(default_factory=dict)
    suffix: str = "_est"
    convert: dict = field(default_factory=dict)
    catchments: str | None = None
    theme: str = "Small-area health estimates"
    url: str = ""
    notes: str = ""

    #: The ``computed`` method of the sources it makes.
    METHOD = "small_area_estimate"

    def source(self) -> SourceSpec:
        """The computed source its indicators share (keyed by area code)."""
        return SourceSpec(id=self.id, title=self.title, file=self.file, key="code", geography=self.geography,
                          period=self.period, publisher=self.publisher, licence=self.licence,
                          attribution=self.attribution, spec_file=self.spec_file, theme=self.theme, url=self.url,
                          notes=self.notes, computed=self.METHOD)

    def indicator_for(self, register: IndicatorSpec, source: SourceSpec) -> IndicatorSpec:
        """The estimate indicator of one register indicator (same units, polarity and palette)."""
        label = register.label.replace("recorded prevalence", "estimated prevalence by area")
        if label == register.label:
            label = f"{register.label} (estimated by area)"
        description = (f"Estimate (not a count): the practices' registers (the GP practice layer "
                       f"\"{register.label}\") shared among the areas where their registered patients live. "
                       f"{register.description}")
        return IndicatorSpec(id=register.id + self.suffix, label=label, kind="percentage", units=register.units,
                             higher_is=register.higher_is, description=description, source=source,
                             numerator=(f"{register.id}_register",), denominator=f"{register.id}_list",
                             scale=register.scale, palette=register.palette, decimals=register.decimals)


def _load_other_specs(data: dict, where: str) -> dict:
    """Point sets, postcode lookups and series from a layer file without ``[source]``."""
    out: dict[str, list] = {"points": [], "postcodes": [], "series": [], "estimates": []}
    _check_keys(where, data, {"points", "postcodes", "series", "estimate"}, set())
    if not data:
        raise SpecError(f"{where}: empty spec; expected [source] with [[indicator]], [points], [postcodes], "
                        f"[[series]] or [estimate]")
    if "estimate" in data:
        _check_table(f"{where} [estimate]", data["estimate"], EstimateSpec)
        out["estimates"].append(EstimateSpec(spec_file=where, **data["estimate"]))
    if "points" in data:
        out["points"].append(PointSetSpec.from_table(data["points"], where))
    if "postcodes" in data:
        _check_table(f"{where} [postcodes]", data["postcodes"], PostcodeSpec)
        out["postcodes"].append(PostcodeSpec(spec_file=where, **data["postcodes"]))
    for i, series in enumerate(data.get("series", [])):
        _check_table(f"{where} [[series]] #{i + 1}", series, SeriesSpec)
        if series["higher_is"] not in POLARITIES:
            raise SpecError(f"{where} [[series]] #{i + 1}: higher_is {series['higher_is']!r} is not one of "
                            f"{', '.join(POLARITIES)}")
        out["series"].append(SeriesSpec(spec_file=where, **series))
    return out


def _estimate_indicators(spec: EstimateSpec, indicators: dict) -> list[IndicatorSpec]:
    """The estimate indicators of an ``[estimate]`` spec: one per ratio indicator of its registers source."""
    registers = [i for i in indicators.values() if i.source.id == spec.registers and i.numerator and i.denominator]
    if not registers:
        raise SpecError(f"{spec.spec_file}: registers {spec.registers!r} names no [source] with ratio indicators "
                        f"(numerator and denominator)")
    source = spec.source()
    return [spec.indicator_for(register, source) for register in registers]


def _load_toml(path: Path) -> dict:
    return _without_downloads(_read_toml(path))


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{_rel(path)} is not valid TOML: {exc}") from exc


def _without_downloads(value):
    """A spec without its ``download`` tables: they say where :mod:`atlas.fetch` gets a file, not how to read it."""
    if isinstance(value, dict):
        return {k: _without_downloads(v) for k, v in value.items() if not (k == "download" and isinstance(v, dict))}
    if isinstance(value, list):
        return [_without_downloads(v) for v in value]
    return value


def _rel(path: Path, root: Path | None = None) -> str:
    """A spec file's name as messages give it: relative to its spec folder."""
    try:
        return str(Path(path).resolve().relative_to(Path(root or SPEC_ROOT).resolve()))
    except ValueError:
        return str(path)


def spec_files(root: str | Path | None = None) -> list[Path]:
    """Every spec file under ``root`` (default ``SPEC_ROOT``): ``boundaries/*.toml``, then ``layers/**/*.toml``.

    Parameters
    ----------
    root : path-like, optional

    Returns
    -------
    list of pathlib.Path
    """
    root = Path(root) if root else SPEC_ROOT
    return sorted((root / "boundaries").glob("*.toml")) + sorted((root / "layers").rglob("*.toml"))


#: The catalogue last loaded, by its folder and the state (time, size) of its files.
_LOADED: dict[tuple, "Catalogue"] = {}


@dataclass
class Catalogue:
    """Every boundary set and indicator the atlas knows about.

    Parameters
    ----------
    boundaries : dict
        Boundary specs by id.
    indicators : dict
        Indicator specs by id.
    """

    boundaries: dict[str, BoundarySpec]
    indicators: dict[str, IndicatorSpec]
    points: dict[str, PointSetSpec] = field(default_factory=dict)
    postcodes: dict[str, PostcodeSpec] = field(default_factory=dict)
    series: dict[str, SeriesSpec] = field(default_factory=dict)
    estimates: dict[str, EstimateSpec] = field(default_factory=dict)
    #: Every file the specs name, by pattern, with the specs naming it and its download (``atlas fetch``).
    downloads: dict[str, FileDownload] = field(default_factory=dict)

    @classmethod
    def load(cls, root: str | Path | None = None) -> "Catalogue":
        """Load the specs under ``root/boundaries`` and ``root/layers``.

        The catalogue is parsed once and shared while no spec file changes
        (treat it as read-only).

        Parameters
        ----------
        root : path-like, optional
            Folder holding ``boundaries/`` and ``layers/``; the packaged specs (``SPEC_ROOT``) by default.

        Returns
        -------
        Catalogue

        Raises
        ------
        SpecError
            On a malformed spec, a duplicated id, or an indicator whose geography
            or weight is unknown.
        """
        root = Path(root) if root else SPEC_ROOT
        files = spec_files(root)
        key = (str(root.resolve()), tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))
        if key not in _LOADED:
            _LOADED.clear()  # one catalogue kept: the specs' latest state
            _LOADED[key] = cls._parse(root, files)
        return _LOADED[key]

    @classmethod
    def _parse(cls, root: Path, files: list[Path]) -> "Catalogue":
        downloads: dict[str, FileDownload] = {}

        def parse(path: Path) -> tuple[dict, str]:  # each file parsed once: its downloads, then the spec
            raw, where = _read_toml(path), _rel(path, root)
            collect_downloads(raw, where, downloads)
            return _without_downloads(raw), where

        boundaries: dict[str, BoundarySpec] = {}
        for path in (p for p in files if p.parent == root / "boundaries"):
            spec = BoundarySpec.from_table(*parse(path))
            if spec.id in boundaries:
                raise SpecError(f"{spec.spec_file}: boundary id {spec.id!r} is also used by "
                                f"{boundaries[spec.id].spec_file}")
            boundaries[spec.id] = spec
        indicators: dict[str, IndicatorSpec] = {}
        others: dict[str, dict] = {"points": {}, "postcodes": {}, "series": {}, "estimates": {}}
        for path in (p for p in files if p.is_relative_to(root / "layers")):
            data, where = parse(path)
            if "source" not in data and "indicator" not in data:
                for kind, specs in _load_other_specs(data, where).items():
                    for spec in specs:
                        if spec.id in others[kind]:
                            raise SpecError(f"{spec.spec_file}: {kind} id {spec.id!r} is also used by "
                                            f"{others[kind][spec.id].spec_file}")
                        others[kind][spec.id] = spec
                continue
            for ind in _layer_indicators(data, where):
                if ind.id in indicators:
                    raise SpecError(f"{ind.source.spec_file}: indicator id {ind.id!r} is also used by "
                                    f"{indicators[ind.id].source.spec_file}")
                indicators[ind.id] = ind
        for spec in others["estimates"].values():
            for ind in _estimate_indicators(spec, indicators):
                if ind.id in indicators:
                    raise SpecError(f"{spec.spec_file}: estimate {ind.id!r} is also an indicator of "
                                    f"{indicators[ind.id].source.spec_file}")
                indicators[ind.id] = ind
        catalogue = cls(boundaries, indicators, others["points"], others["postcodes"], others["series"],
                        estimates=others["estimates"], downloads=downloads)
        catalogue._validate()
        return catalogue

    def _validate(self) -> None:
        for spec in self.points.values():
            if spec.locate not in self.postcodes:
                raise SpecError(f"{spec.spec_file}: locate {spec.locate!r} is not a [postcodes] spec; "
                                f"known: {', '.join(sorted(self.postcodes)) or 'none'}")
        for ind in self.indicators.values():
            point_set = ind.source.point_set
            if point_set is not None:
                if point_set not in self.points:
                    raise SpecError(f"{ind.source.spec_file}: geography {ind.geography!r} names no point set; "
                                    f"known: {', '.join(POINTS_PREFIX + p for p in sorted(self.points)) or 'none'}")
                continue
            if ind.geography not in self.boundaries:
                raise SpecError(f"{ind.source.spec_file}: geography {ind.geography!r} is not a boundary set; "
                                f"known: {', '.join(sorted(self.boundaries))}")
            if ind.source.computed == EstimateSpec.METHOD:
                continue
            if ind.source.computed == SourceSpec.REGISTERED:
                self._validate_registered(ind.source)
                continue
            unknown = [p for p in ind.source.point_sets if p not in self.points]
            if ind.source.computed and (unknown or not ind.source.point_sets):
                raise SpecError(f"{ind.source.spec_file}: points {ind.source.points!r} names no point set; "
                                f"known: {', '.join(sorted(self.points)) or 'none'}")
            if ind.source.computed == "nearest_point" and len(ind.source.point_sets) != 1:
                raise SpecError(f"{ind.source.spec_file}: nearest_point takes one point set (points = \"...\")")
            weight = ind.source.weight
            if weight and (weight not in self.indicators or self.indicators[weight].geography != ind.geography):
                raise SpecError(f"{ind.source.spec_file}: weight {weight!r} must be an indicator on "
                                f"the same geography ({ind.geography})")
        for spec in self.estimates.values():
            if spec.catchments and spec.catchments not in self.points:
                raise SpecError(f"{spec.spec_file}: catchments {spec.catchments!r} names no point set; "
                                f"known: {', '.join(sorted(self.points)) or 'none'}")

    def _validate_registered(self, source: SourceSpec) -> None:
        """A registered-patients source names an ``[estimate]`` on its geography and residents it can reach."""
        where = f"{source.spec_file} [source]"
        spec = self.estimates.get(source.estimate)
        if spec is None:
            raise SpecError(f"{where}: estimate {source.estimate!r} names no [estimate] spec; "
                            f"known: {', '.join(sorted(self.estimates)) or 'none'}")
        if source.geography != spec.geography:
            raise SpecError(f"{where}: geography {source.geography!r} must be the estimate's ({spec.geography})")
        residents = self.indicators.get(source.population)
        reachable = {spec.geography, spec.convert.get("geography")} - {None}
        if residents is None or residents.geography not in reachable:
            raise SpecError(f"{where}: population {source.population!r} must be an indicator on "
                            f"{' or '.join(sorted(reachable))} (the residents)")
        weight = self.indicators.get(source.weight) if source.weight else None
        if source.weight and (weight is None or weight.geography != source.geography):
            raise SpecError(f"{where}: weight {source.weight!r} must be an indicator on {source.geography}")

    def indicators_on(self, geography: str) -> list[IndicatorSpec]:
        """Indicators whose values are keyed by ``geography``."""
        return [i for i in self.indicators.values() if i.geography == geography]

    def sources_on(self, geography: str) -> list[SourceSpec]:
        """Distinct source datasets keyed by ``geography``, in catalogue order."""
        seen: dict[str, SourceSpec] = {}
        for ind in self.indicators_on(geography):
            seen.setdefault(ind.source.id, ind.source)
        return list(seen.values())

    def area_boundaries(self) -> list[BoundarySpec]:
        """Boundary sets other than district outlines, in display order."""
        return sorted((b for b in self.boundaries.values() if b.level != "district"), key=lambda b: b.order)

    def district_outline(self) -> BoundarySpec | None:
        """The boundary set of district outlines, if the catalogue has one."""
        return next((b for b in self.boundaries.values() if b.level == "district"), None)


def as_dict(obj: Any) -> dict:
    """A spec as a plain dict (for metadata tables and JSON)."""
    return dataclasses.asdict(obj)
