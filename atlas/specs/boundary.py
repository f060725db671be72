"""Boundary-set specs: a geography at one vintage (``boundaries/*.toml``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SpecError
from .reading import check_keys, check_table, load_toml, relative_name


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
    #: How much of each parent's residents its assigned children hold: ``population`` (a population
    #: indicator of the children, summed to the parent) against ``reference`` (the parent's residents,
    #: a population layer it has from another set), e.g. wards from 2011 LSOAs placed by centroid.
    coverage: dict = field(default_factory=dict)


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
        (``file``, ``district``, ``district_name``, ``code``, ``name`` columns; optionally
        ``region`` and ``region_name``, the region each district lies in).
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
        return cls.from_table(load_toml(path), relative_name(path))

    @classmethod
    def from_table(cls, data: dict, where: str) -> "BoundarySpec":
        """Validate a parsed boundary spec (without its ``download`` tables); ``where`` names its file."""
        check_table(where, data, cls)
        members = None
        if "members" in data:
            m = data["members"]
            check_table(f"{where} [members]", m, Members)
            members = Members(**m)
        rules = {}
        for child, rule in data.get("aggregate_from", {}).items():
            check_table(f"{where} [aggregate_from.{child}]", rule, AggregationRule)
            if rule["method"] not in ("lookup", "centroid", "name_prefix"):
                raise SpecError(
                    f"{where} [aggregate_from.{child}]: method {rule['method']!r} is not one of "
                    "lookup, centroid, name_prefix"
                )
            if rule["method"] == "lookup" and not all(rule.get(k) for k in ("file", "child", "parent")):
                raise SpecError(f"{where} [aggregate_from.{child}]: a lookup needs file, child and parent")
            if "coverage" in rule:
                check_keys(f"{where} [aggregate_from.{child}.coverage]", rule["coverage"],
                           {"population", "reference"}, {"population", "reference"})
            rules[child] = AggregationRule(**rule)
            if rule.get("fallback") not in (None, "centroid"):
                raise SpecError(f"{where} [aggregate_from.{child}]: fallback {rule['fallback']!r} is not 'centroid'")
        variants = []
        for i, variant in enumerate(data.get("variants", [])):
            check_table(f"{where} [[variants]] #{i + 1}", variant, Variant)
            if not variant.get("code") and not variant.get("codes_file"):
                raise SpecError(f"{where} [[variants]] #{i + 1}: a variant needs code (and name) or codes_file")
            variants.append(Variant(**variant))
        for key, needed in (("upper_tier", ("file", "district", "code", "name")),
                            ("successors", ("file", "old", "new"))):
            if key in data:
                check_keys(f"{where} [{key}]", data[key], set(needed) | {"district_name", "old_name", "new_name",
                                                                           "reader", "region", "region_name"}, set(needed))
        files = data["files"] if isinstance(data["files"], list) else [data["files"]]
        fields = {k: v for k, v in data.items() if k not in ("members", "aggregate_from", "files", "variants")}
        return cls(files=files, members=members, aggregate_from=rules, variants=variants, spec_file=where, **fields)
