"""Which authority a code names, and which districts its atlas covers.

An atlas is built for a **district** (lower tier: E06, E07, E08, E09; unitary
authorities are upper tier too) or a **county** (upper tier, E10: all its
districts' areas together). The district outline spec (``district.toml``) names
three tables this module reads:

* its own file (the May 2025 district outlines): today's districts and names;
* ``[upper_tier]``: the county each district lies in (none for unitaries), and
  its region (E12, when the table names one: a region's atlas is all its districts);
* ``[successors]``: former district codes and the district each lies in today.

A code is resolved to an :class:`Authority` (:func:`resolve`):

* a district of today, or a county of the ``[upper_tier]`` table, as it is;
* a former code that is today's district under a new code, with the same area
  (a recoding, e.g. Sheffield E08000019 -> E08000039), as the former district:
  its files are read, and its today's code counts as its own;
* a former code that the data tables still key areas by (the IoD2019's 2019
  codes) but whose district merged into a larger one: resolved to today's
  district, with a note for the build report;
* any other former code is an error naming its successor; an unknown code too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyogrio

from . import config
from .codes import COUNTY_PREFIX, DISTRICT_PREFIXES, ENGLAND, ENTITY_KINDS, REGION_PREFIX, check_district_code
from .errors import SourceFileError, SpecError, UnknownAreaError
from .geography import DistrictSet, glob_files, member_table
from .readers import normalise_codes, read_table, require_columns
from .specs import BoundarySpec, Catalogue


@dataclass(frozen=True)
class Authority(DistrictSet):
    """One authority an atlas can be built for.

    Attributes
    ----------
    name : str
    kind : str
        ``"county"``, ``"region"``, ``"unitary authority"``, ``"metropolitan borough"``,
        ``"London borough"``, ``"district"`` (in a county) or ``"country"``.
    county : str or None
        The county (upper-tier authority) of a district in one.
    district_names : dict
        Name by code of each district of ``districts``.
    notes : tuple of str
        How the code was resolved (for the build report).
    """

    name: str = ""
    kind: str = ""
    county: str | None = None
    district_names: dict = field(default_factory=dict, hash=False, compare=False)
    notes: tuple = ()

    @property
    def is_county(self) -> bool:
        return self.kind == "county"

    @property
    def is_group(self) -> bool:
        """A county or a region: an atlas of several districts, with them as a geography."""
        return self.kind in ("county", "region")

    def describe(self) -> dict:
        """The build report's ``authority`` section."""
        return {"code": self.code, "name": self.name, "kind": self.kind, "county": self.county,
                "districts": [{"code": c, "name": self.district_names.get(c, "")} for c in self.districts],
                "former_codes": sorted(self.aliases - set(self.districts)), "notes": list(self.notes)}


@dataclass(frozen=True)
class _Tables:
    current: dict          # today's district code -> name
    county_of: dict        # district code -> county code
    county_names: dict     # county code -> name
    successor: dict        # former code -> today's code
    former_names: dict     # former code -> name
    data_codes: frozenset  # district codes the member tables key areas by
    unread: tuple = ()     # errors of the tables that could not be read (their file is missing)
    region_of: dict = field(default_factory=dict)     # district code -> region code
    region_names: dict = field(default_factory=dict)  # region code -> name


def resolve(code: str, catalogue: Catalogue | None = None, source_dir: str | Path | None = None) -> Authority:
    """The authority ``code`` names, with the districts its atlas covers.

    Parameters
    ----------
    code : str
        A district, county or region code (or ``E92000001`` for England).
    catalogue : Catalogue, optional
    source_dir : path-like, optional

    Returns
    -------
    Authority

    Raises
    ------
    UnknownAreaError
        If the code is not an authority code, is unknown to the source files, or
        is a former district code (the message names today's district).
    """

    clean = check_district_code(code)
    if clean == ENGLAND:
        return Authority(ENGLAND, (ENGLAND,), frozenset({ENGLAND}), name="England", kind="country")
    catalogue = catalogue or Catalogue.load()
    tables = _tables(catalogue, config.source_dir(source_dir))
    if clean in tables.current:
        return _district(clean, tables)
    if clean in tables.county_names:
        return _county(clean, tables)
    if clean in tables.region_names:
        return _region(clean, tables)
    if clean in tables.successor:
        return _former(clean, tables)
    if tables.unread:  # the code may be in a table that is missing: say which
        raise SourceFileError(f"{clean} is not one of today's districts, and the tables that name counties and "
                              f"former districts cannot be read: " + " ".join(tables.unread))
    known = "today's districts (May 2025 outlines), counties and regions"
    raise UnknownAreaError(f"{clean} is not an authority the source files know: it is in none of {known}, nor a "
                           f"former district code. Run `atlas districts` to list every authority that can be built.")


def list_authorities(catalogue: Catalogue | None = None, source_dir: str | Path | None = None) -> pd.DataFrame:
    """Every district, county and region the source directory can build.

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``name``, ``kind``, ``county`` (a district's county,
        or ""), ``districts`` (how many districts the atlas covers).
    """

    catalogue = catalogue or Catalogue.load()
    tables = _tables(catalogue, config.source_dir(source_dir))
    rows = [_district(c, tables) for c in sorted(tables.current)]
    rows += [_county(c, tables) for c in sorted(tables.county_names)]
    rows += [_region(c, tables) for c in sorted(tables.region_names)]
    return pd.DataFrame({
        "code": [a.code for a in rows], "name": [a.name for a in rows], "kind": [a.kind for a in rows],
        "county": [a.county or "" for a in rows], "districts": [len(a.districts) for a in rows],
    })


def list_with_geographies(catalogue: Catalogue | None = None,
                          source_dir: str | Path | None = None) -> pd.DataFrame:
    """:func:`list_authorities`, with one column per area geography saying whether the authority has it.

    A geography is there when a member table lists areas of the authority's
    districts (or their former codes), or, for a set without one, when a file
    of the set exists for each of its districts (or its former codes).
    """

    catalogue = catalogue or Catalogue.load()
    source = config.source_dir(source_dir)
    tables = _tables(catalogue, source)
    table = list_authorities(catalogue, source)
    found = {a.code: a for a in (_district(c, tables) for c in tables.current)}
    found.update({c: _county(c, tables) for c in tables.county_names})
    found.update({c: _region(c, tables) for c in tables.region_names})
    for spec in catalogue.area_boundaries():
        if spec.members is not None:
            listed = set(member_table(spec, source)["district"])
            table[spec.id] = [bool(found[c].aliases & listed) for c in table["code"]]
            continue
        with_file = _codes_with_files(spec, source)
        table[spec.id] = [all(d in with_file or bool(_former_codes(d, tables) & with_file)
                              for d in found[c].districts) for c in table["code"]]
    return table


def _former_codes(district: str, tables: _Tables) -> set:
    return {old for old, new in tables.successor.items() if new == district}


def _codes_with_files(spec: BoundarySpec, source: Path) -> set:
    """District codes with a file of the set (the ``{lad}`` part of the names found)."""
    codes: set = set()
    for pattern in spec.files:
        if "{lad}" not in pattern:
            continue
        head = pattern.split("{lad}", 1)[0]
        for relative in glob_files(source, pattern.replace("{lad}", "*")):
            code = relative[len(head):len(head) + 9]
            if code.startswith(DISTRICT_PREFIXES):
                codes.add(code)
    return codes


def _district(code: str, tables: _Tables) -> Authority:
    county = tables.county_of.get(code)
    kind = "district" if county else _kind(code)
    former = frozenset(_former_codes(code, tables))
    return Authority(code, (code,), frozenset({code}) | former, name=tables.current[code], kind=kind,
                     county=county, district_names={code: tables.current[code]},
                     notes=(f"former code(s) {', '.join(sorted(former))} count as {code}",) if former else ())


def _county(code: str, tables: _Tables) -> Authority:
    return _group(code, tables, tables.county_of, tables.county_names[code], "county",
                  "county (upper-tier authority)")


def _region(code: str, tables: _Tables) -> Authority:
    return _group(code, tables, tables.region_of, tables.region_names[code], "region", "region")


def _group(code: str, tables: _Tables, member_of: dict, name: str, kind: str, noun: str) -> Authority:
    """A county or region: today's districts that ``member_of`` puts in ``code``, with their former codes."""
    districts = tuple(sorted(d for d, c in member_of.items() if c == code and d in tables.current))
    former = frozenset(old for old, new in tables.successor.items() if new in districts)
    names = {d: tables.current[d] for d in districts}
    return Authority(code, districts, frozenset(districts) | former, name=name, kind=kind, district_names=names,
                     notes=(f"{noun} of {len(districts)} districts: "
                            + ", ".join(f"{d} {names[d]}" for d in districts),))


def _former(code: str, tables: _Tables) -> Authority:
    today = tables.successor[code]
    old_name = tables.former_names.get(code, code)
    if today not in tables.current:
        raise UnknownAreaError(f"{code} ({old_name}) is a former district code whose successor {today} is not a "
                               f"district of today's outlines either.")
    today_name = tables.current[today]
    predecessors = sorted(old for old, new in tables.successor.items() if new == today)
    if predecessors == [code]:  # recoded, same area: build the district under the code asked for
        county = tables.county_of.get(today)
        return Authority(code, (code,), frozenset({code, today}), name=old_name,
                         kind="district" if county else _kind(today), county=county,
                         district_names={code: old_name},
                         notes=(f"{code} ({old_name}) is the former code of today's {today} ({today_name}), the "
                                f"same district recoded; built from the files under {code}, with {today} counting "
                                f"as its own (postcodes, outline)",))
    if code in tables.data_codes:
        district = _district(today, tables)
        note = (f"{code} ({old_name}) is a 2019 district code the data still use; the district was merged into "
                f"today's {today} ({today_name}) with {', '.join(p for p in predecessors if p != code)}: the atlas "
                f"of {today} ({today_name}) was built")
        return Authority(district.code, district.districts, district.aliases, name=district.name,
                         kind=district.kind, county=district.county, district_names=district.district_names,
                         notes=(note, *district.notes))
    raise UnknownAreaError(f"{code} ({old_name}) is an abolished district: its area is now part of {today} "
                           f"({today_name}). Build {today} instead.")


def _kind(code: str) -> str:
    kind = ENTITY_KINDS.get(code[:3], "district")
    return kind[kind.find("(") + 1:-1] if "(" in kind else kind


def _tables(catalogue: Catalogue, source: Path) -> _Tables:
    outline = catalogue.district_outline()
    if outline is None:
        raise SpecError("No district outline spec (level = \"district\") in the catalogue: authorities cannot be "
                        "resolved.")
    key = (str(source), tuple(_stamp(source, f) for f in _table_files(outline, catalogue, source)))
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _read_tables(outline, catalogue, source)
    return _CACHE[key]


def _table_files(outline: BoundarySpec, catalogue: Catalogue, source: Path) -> list[str]:
    files = [f for pattern in outline.files for f in glob_files(source, pattern)]
    files += [t["file"] for t in (outline.upper_tier, outline.successors) if t]
    files += [s.members.file for s in catalogue.area_boundaries() if s.members is not None]
    return files


def _stamp(source: Path, relative: str) -> tuple:
    path = Path(source) / relative
    return (relative, path.stat().st_mtime if path.exists() else None)


#: The tables last read, by source directory and the files' modification times.
_CACHE: dict = {}


def _read_tables(outline: BoundarySpec, catalogue: Catalogue, source: Path) -> _Tables:
    current = {}
    for relative in (f for pattern in outline.files for f in glob_files(source, pattern)):
        gdal_path = f"/vsigzip/{Path(source) / relative}" if relative.endswith(".gz") else str(Path(source) / relative)
        table = pyogrio.read_dataframe(gdal_path, columns=[outline.code, outline.name], read_geometry=False)
        for code, name in zip(normalise_codes(table[outline.code]), table[outline.name].astype(str)):
            if isinstance(code, str) and code.startswith(DISTRICT_PREFIXES):
                current.setdefault(code, name)
    county_of, county_names, unread = {}, {}, []
    region_of, region_names = {}, {}
    if outline.upper_tier:
        t = outline.upper_tier
        regions = [t["region"], t["region_name"]] if t.get("region") and t.get("region_name") else []
        table = _columns(source, t, [t["district"], t["code"], t["name"]] + regions, outline, unread)
        if regions:
            region_of, region_names = _regions(table, t)
        table = table[table[t["code"]].astype("string").str.startswith(COUNTY_PREFIX, na=False)]
        for district, county, name in zip(normalise_codes(table[t["district"]]), normalise_codes(table[t["code"]]),
                                          table[t["name"]].astype(str)):
            county_of[district] = county
            county_names[county] = name
    successor, former_names = {}, {}
    if outline.successors:
        s = outline.successors
        table = _columns(source, s, [s["old"], s["new"]] + ([s["old_name"]] if s.get("old_name") else []), outline,
                         unread)
        old, new = normalise_codes(table[s["old"]]), normalise_codes(table[s["new"]])
        names = table[s["old_name"]].astype(str) if s.get("old_name") else old
        for o, n, name in zip(old, new, names):
            if isinstance(o, str) and o.startswith(DISTRICT_PREFIXES) and o != n and o not in current:
                successor[o] = n
                former_names[o] = name
    data_codes = set()
    for spec in catalogue.area_boundaries():
        if spec.members is not None:
            data_codes |= set(member_table(spec, source)["district"])
    return _Tables(current, county_of, county_names, successor, former_names, frozenset(data_codes), tuple(unread),
                   region_of, region_names)


def _regions(table: pd.DataFrame, t: dict) -> tuple[dict, dict]:
    """District -> region and region -> name, from the upper-tier table's region columns (E12 codes only)."""
    table = table[table[t["region"]].astype("string").str.startswith(REGION_PREFIX, na=False)]
    districts, regions = normalise_codes(table[t["district"]]), normalise_codes(table[t["region"]])
    return dict(zip(districts, regions)), dict(zip(regions, table[t["region_name"]].astype(str)))


def _columns(source: Path, table: dict, columns: list, outline: BoundarySpec, unread: list) -> pd.DataFrame:
    """The table's columns; an empty table (and the error in ``unread``) when its file is missing."""
    wanted_by = f"{outline.spec_file} [{'upper_tier' if 'district' in table else 'successors'}]"
    if not (Path(source) / table["file"]).is_file():
        unread.append(f"Missing source file {table['file']} (wanted by {wanted_by}).")
        return pd.DataFrame({c: pd.Series(dtype="string") for c in columns})
    frame = read_table(source, table["file"], table.get("reader", {}), wanted_by, text_columns=tuple(columns))
    require_columns(frame, columns, table["file"], wanted_by)
    return frame.drop_duplicates(columns)
