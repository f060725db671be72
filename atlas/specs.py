"""The catalogue of declarative specs: boundary sets and indicator layers.

``boundaries/*.toml`` holds one spec per boundary set (a geography and vintage:
where its files are, which columns hold the code and the name, the CRS the files
are in, how its areas belong to a district, and how finer areas aggregate into
it). ``layers/*.toml`` holds one spec per source dataset: a ``[source]`` table
(the file, how to read it, its key column and geography, period, publisher,
licence) and one ``[[indicator]]`` table per indicator taken from that file
(column, units, polarity, description, palette). A new indicator is a new
``[[indicator]]`` entry; a new dataset is a new file.

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

from .config import PROJECT_ROOT
from .errors import SpecError

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


def _check_keys(where: str, table: dict, allowed: set[str], required: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise SpecError(
            f"{where}: unknown key(s) {', '.join(unknown)}; expected some of: {', '.join(sorted(allowed))}"
        )
    missing = sorted(required - set(table))
    if missing:
        raise SpecError(f"{where}: missing required key(s) {', '.join(missing)}")


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

    _KEYS = {
        "id", "label", "level", "vintage", "files", "national_files", "code", "name", "crs",
        "members", "aggregate_from", "publisher", "licence", "attribution", "url", "reader",
        "order", "district_column",
    }
    _REQUIRED = {"id", "label", "level", "vintage", "files", "code", "name", "crs"}

    @classmethod
    def from_toml(cls, path: Path) -> "BoundarySpec":
        """Read and validate a boundary spec file."""
        data = _load_toml(path)
        where = _rel(path)
        _check_keys(where, data, cls._KEYS, cls._REQUIRED)
        members = None
        if "members" in data:
            m = data["members"]
            _check_keys(f"{where} [members]", m, {"file", "code", "district", "district_name", "reader"},
                        {"file", "code", "district"})
            members = Members(**m)
        rules = {}
        for child, rule in data.get("aggregate_from", {}).items():
            _check_keys(f"{where} [aggregate_from.{child}]", rule,
                        {"method", "file", "child", "parent", "reader"}, {"method"})
            if rule["method"] not in ("lookup", "centroid", "name_prefix"):
                raise SpecError(
                    f"{where} [aggregate_from.{child}]: method {rule['method']!r} is not one of "
                    "lookup, centroid, name_prefix"
                )
            if rule["method"] == "lookup" and not all(rule.get(k) for k in ("file", "child", "parent")):
                raise SpecError(f"{where} [aggregate_from.{child}]: a lookup needs file, child and parent")
            rules[child] = AggregationRule(**rule)
        files = data["files"] if isinstance(data["files"], list) else [data["files"]]
        fields = {k: v for k, v in data.items() if k not in ("members", "aggregate_from", "files")}
        return cls(files=files, members=members, aggregate_from=rules, spec_file=where, **fields)


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

    _KEYS = {
        "id", "title", "file", "format", "reader", "key", "geography", "period", "publisher",
        "licence", "attribution", "weight", "theme", "url", "notes", "where", "key_prefix",
    }
    _REQUIRED = {"id", "title", "file", "key", "geography", "period", "publisher", "licence", "attribution"}


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

    _KEYS = {
        "id", "label", "kind", "units", "higher_is", "description", "column", "numerator",
        "denominator", "scale", "where", "lower", "upper", "palette", "classification",
        "decimals", "notes",
    }
    _REQUIRED = {"id", "label", "kind", "units", "higher_is", "description"}

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
        cols += [c for c in (self.lower, self.upper) if c]
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
    data = _load_toml(path)
    where = _rel(path)
    _check_keys(where, data, {"source", "indicator"}, {"source", "indicator"})
    src = data["source"]
    _check_keys(f"{where} [source]", src, SourceSpec._KEYS, SourceSpec._REQUIRED)
    source = SourceSpec(spec_file=where, **src)
    indicators = []
    for i, ind in enumerate(data["indicator"]):
        here = f"{where} [[indicator]] #{i + 1} ({ind.get('id', '?')})"
        _check_keys(here, ind, IndicatorSpec._KEYS, IndicatorSpec._REQUIRED)
        if ind["kind"] not in KIND_AGGREGATION:
            raise SpecError(f"{here}: kind {ind['kind']!r} is not one of {', '.join(KIND_AGGREGATION)}")
        if ind["higher_is"] not in POLARITIES:
            raise SpecError(f"{here}: higher_is {ind['higher_is']!r} is not one of {', '.join(POLARITIES)}")
        has_column = bool(ind.get("column"))
        has_ratio = bool(ind.get("numerator")) and bool(ind.get("denominator"))
        if has_column == has_ratio:
            raise SpecError(f"{here}: give either column, or numerator and denominator (not both)")
        numerator = ind.get("numerator", ())
        ind = {**ind, "numerator": tuple([numerator] if isinstance(numerator, str) else numerator)}
        indicators.append(IndicatorSpec(source=source, **ind))
    return indicators


def _load_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return _without_downloads(tomllib.load(fh))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{_rel(path)} is not valid TOML: {exc}") from exc


def _without_downloads(value):
    """A spec without its ``download`` tables: they say where :mod:`atlas.fetch` gets a file, not how to read it."""
    if isinstance(value, dict):
        return {k: _without_downloads(v) for k, v in value.items() if not (k == "download" and isinstance(v, dict))}
    if isinstance(value, list):
        return [_without_downloads(v) for v in value]
    return value


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


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

    @classmethod
    def load(cls, root: str | Path | None = None) -> "Catalogue":
        """Load the specs under ``root/boundaries`` and ``root/layers``.

        Parameters
        ----------
        root : path-like, optional
            Folder holding ``boundaries/`` and ``layers/``; the project by default.

        Returns
        -------
        Catalogue

        Raises
        ------
        SpecError
            On a malformed spec, a duplicated id, or an indicator whose geography
            or weight is unknown.
        """
        root = Path(root) if root else PROJECT_ROOT
        boundaries: dict[str, BoundarySpec] = {}
        for path in sorted((root / "boundaries").glob("*.toml")):
            spec = BoundarySpec.from_toml(path)
            if spec.id in boundaries:
                raise SpecError(f"{spec.spec_file}: boundary id {spec.id!r} is also used by "
                                f"{boundaries[spec.id].spec_file}")
            boundaries[spec.id] = spec
        indicators: dict[str, IndicatorSpec] = {}
        for path in sorted((root / "layers").rglob("*.toml")):
            for ind in load_layer_file(path):
                if ind.id in indicators:
                    raise SpecError(f"{ind.source.spec_file}: indicator id {ind.id!r} is also used by "
                                    f"{indicators[ind.id].source.spec_file}")
                indicators[ind.id] = ind
        catalogue = cls(boundaries, indicators)
        catalogue._validate()
        return catalogue

    def _validate(self) -> None:
        for ind in self.indicators.values():
            if ind.geography not in self.boundaries:
                raise SpecError(f"{ind.source.spec_file}: geography {ind.geography!r} is not a boundary set; "
                                f"known: {', '.join(sorted(self.boundaries))}")
            weight = ind.source.weight
            if weight and (weight not in self.indicators or self.indicators[weight].geography != ind.geography):
                raise SpecError(f"{ind.source.spec_file}: weight {weight!r} must be an indicator on "
                                f"the same geography ({ind.geography})")

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
