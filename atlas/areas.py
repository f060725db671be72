"""Your own areas: a lookup of LSOA code to area (localities, neighbourhoods, PCN footprints ...) as a set.

The steps, each reported rather than silent (:class:`AreaReport`):

1. **Read** the CSV or Excel lookup with the importer's reader
   (:func:`atlas.importer.read_upload`: encodings, separators, header rows, sheets).
2. **Detect** the column of LSOA codes (the importer's :func:`atlas.importer.code_columns`)
   and its vintage, 2011 or 2021, from the codes that exist in only one of the
   national member lists; and the area code and name columns (or take them as given).
3. **Check**: codes of another country, or not LSOA codes, are listed and left
   out; an LSOA listed in two areas is refused with the codes named; a row with
   no area is refused; a set of fewer than :data:`MIN_AREAS` areas is refused.
4. **Convert** LSOA 2011 codes to LSOA 2021 through the ONS lookup
   (:data:`atlas.importer.LSOA_LOOKUP`): every 2021 LSOA a 2011 LSOA became
   joins its area; a 2021 LSOA made of 2011 LSOAs of different areas joins the
   area holding most of them, and is listed.
5. **Authority** (:func:`resolve_authority`, the one place ``--la`` is read): a
   district, or ``E92000001`` for a national set; without it, the district all
   the codes are in (England when they span several). LSOAs outside it are
   left out and listed; its LSOAs in no area are listed.
6. :mod:`atlas.area_geography` makes a set a geography of the atlas, and
   :mod:`atlas.area_sets` keeps the file in ``<atlas folder>/areas/<LA>/`` with
   a manifest, like ``atlas import``, and re-applies every kept set on a rebuild.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import config
from .codes import COUNTY_PREFIX, ENGLAND, GSS_PATTERN, check_district_code, kind_of
from .errors import AtlasError, SourceFileError
from .geography import member_table
from .importer import LOOKUP_NEW, LOOKUP_OLD, LSOA_LOOKUP, check_size, code_columns, read_upload
from .readers import normalise_codes, read_table, require_columns
from .specs import Catalogue

#: Geography ids of area sets: ``areas_<name in lower-case ASCII words>``.
GEOGRAPHY_PREFIX = "areas_"
#: Fewest areas a set may have (one area is the authority, not a geography).
MIN_AREAS = 2
_LIST = 20
_LSOA_PREFIXES = ("E01", "W01")
_OTHER_COUNTRY = {"W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
_NAME_HEADER = re.compile(r"(name|nm)\b|nm$", re.IGNORECASE)


class AreaSetError(AtlasError):
    """A lookup of LSOAs to areas cannot be used as an area set as it is."""


@dataclass
class AreaOptions:
    """What the user says about a lookup file; anything left ``None`` is detected.

    Attributes
    ----------
    code_column : str or None
        Column of LSOA codes.
    area_column : str or None
        Column of area codes (or identifiers); the names stand in when there is none.
    area_name_column : str or None
        Column of area names; the area codes stand in when there is none.
    sheet : str or None
        Excel sheet (default: the first with area codes).
    """

    code_column: str | None = None
    area_column: str | None = None
    area_name_column: str | None = None
    sheet: str | None = None


@dataclass
class AreaReport:
    """What adding an area set read, assigned and left out.

    Attributes
    ----------
    file, sheet, lsoa_column, area_column, area_name_column : str
    vintage : str
        ``"2011"`` or ``"2021"``: the LSOA codes in the file.
    detection : str
        Why that vintage.
    la, la_name : str
        The authority the set is for.
    rows_read : int
    assigned : int
        LSOAs (2021) assigned to an area.
    areas : int
    left_out_of_authority : list of str
        LSOAs (2021) of the authority in no area.
    other_authority : dict
        LSOA code -> the district it is in, for LSOAs outside the authority (left out).
    other_country : dict
        Code -> country, for codes of Wales, Scotland or Northern Ireland (left out).
    not_lsoa : list of tuple
        ``(row, text)`` of rows whose code cell is not an LSOA code (left out).
    unknown : list of str
        LSOA-like codes in neither LSOA vintage (left out).
    converted : dict
        2011 code -> the 2021 codes it became (when the file is in 2011 codes).
    conflicts : dict
        2021 code -> the areas its 2011 LSOAs were in (it joined the first).
    repeated : list of str
        LSOAs listed more than once for the same area (counted once).
    notes : list of str
    """

    file: str
    sheet: str | None
    lsoa_column: str
    area_column: str | None
    area_name_column: str | None
    vintage: str
    detection: str
    la: str = ""
    la_name: str = ""
    rows_read: int = 0
    assigned: int = 0
    areas: int = 0
    left_out_of_authority: list = field(default_factory=list)
    other_authority: dict = field(default_factory=dict)
    other_country: dict = field(default_factory=dict)
    not_lsoa: list = field(default_factory=list)
    unknown: list = field(default_factory=list)
    converted: dict = field(default_factory=dict)
    conflicts: dict = field(default_factory=dict)
    repeated: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def rows(self) -> list[tuple[str, str]]:
        """The report's headline lines as (what, found) pairs: the command line's lines and the app's table."""
        return [("LSOA codes", f"column {self.lsoa_column!r} ({self.detection})"),
                ("areas", f"code column {self.area_column!r}, name column {self.area_name_column!r}"),
                ("authority", f"{self.la_name} ({self.la})"),
                ("rows read", str(self.rows_read)),
                ("LSOAs (2021) assigned", f"{self.assigned}, in {self.areas} areas"),
                (f"LSOAs (2021) of {self.la_name} in no area", str(len(self.left_out_of_authority))),
                ("codes of another vintage converted (LSOA 2011 to 2021)", str(len(self.converted))),
                (f"left out, LSOAs outside {self.la_name}", str(len(self.other_authority))),
                ("left out, codes of another country", str(len(self.other_country))),
                ("left out, not LSOA codes", str(len(self.not_lsoa))),
                ("left out, not a current LSOA code", str(len(self.unknown))),
                ("duplicates (an LSOA in two areas)", "0 (refused when found)"),
                ("LSOAs listed twice for the same area (counted once)", str(len(self.repeated)))]

    def listed(self) -> list[tuple[str, list[str]]]:
        """The codes behind the counts, as (what, codes) pairs; only the non-empty lists."""
        lists = [("in no area", self.left_out_of_authority), ("outside the authority", _pairs(self.other_authority)),
                 ("another country", _pairs(self.other_country)),
                 ("not LSOA codes", [f"row {r}: {t!r}" for r, t in self.not_lsoa]),
                 ("not a current LSOA code", self.unknown),
                 ("2021 LSOAs made of 2011 LSOAs of different areas (joined the first)",
                  [f"{c} ({', '.join(a)})" for c, a in self.conflicts.items()])]
        return [(title, [str(i) for i in items]) for title, items in lists if items]

    def title(self) -> str:
        """The report's first line: the file (and sheet) it is about."""
        return f"Area set report for {self.file}" + (f" (sheet {self.sheet!r})" if self.sheet else "")

    def lines(self) -> list[str]:
        """The report as plain text lines (the command line's)."""
        out = [self.title(), *(f"  {what}: {found}" for what, found in self.rows())]
        out += [f"  note: {note}" for note in self.notes]
        out += [f"  {title}: {_short_text(items)}" for title, items in self.listed()]
        return out

    def to_dict(self) -> dict:
        """The report as plain JSON-able data."""
        data = dataclasses.asdict(self)
        data["not_lsoa"] = [list(item) for item in self.not_lsoa]
        return data


@dataclass
class AreaSet:
    """A resolved set of areas: which LSOA (2021) is in which area.

    Attributes
    ----------
    name : str
        The set's name, as the user gave it (its label in the app and exports).
    geography : str
        Its geography id in the atlas (``areas_<slug>``).
    la, la_name : str
        The authority.
    members : pandas.Series
        Area code by LSOA (2021) code, sorted by LSOA code.
    names : dict
        Area code -> area name.
    report : AreaReport
    """

    name: str
    geography: str
    la: str
    la_name: str
    members: pd.Series
    names: dict
    report: AreaReport

    @property
    def label(self) -> str:
        """How the geography is labelled: its name and that it is made of LSOAs (2021)."""
        return f"{self.name} (areas of LSOAs 2021)"


# --- reading and resolving ------------------------------------------------------------------------

def geography_id(name: str) -> str:
    """The geography id of an area set's name: ``areas_`` and the name in lower-case ASCII words.

    Raises
    ------
    AreaSetError
        If the name is blank or has no letter or digit.
    """
    slug = re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")[:48].strip("_")
    if not slug:
        raise AreaSetError(f"An area set needs a name with letters or digits (got {name!r}).")
    return GEOGRAPHY_PREFIX + slug


def resolve(data: bytes, filename: str, name: str, la: str | None = None, options: AreaOptions | None = None,
            source_dir: str | Path | None = None, catalogue: Catalogue | None = None) -> AreaSet:
    """Read a lookup of LSOA code to area and resolve it into an :class:`AreaSet`.

    Parameters
    ----------
    data : bytes
        The CSV or ``.xlsx`` file's content.
    filename : str
        Its name, for reports.
    name : str
        The set's name.
    la : str, optional
        District code, ``E92000001`` for England, or None to infer it from the codes.
    options : AreaOptions, optional
    source_dir : path-like, optional
        The source directory (LSOA member lists and the LSOA 2011-2021 lookup).
    catalogue : Catalogue, optional

    Returns
    -------
    AreaSet

    Raises
    ------
    AreaSetError
        No LSOA codes, codes only of another country, an LSOA in two areas, a
        row with no area, fewer than two areas, or no LSOA of the authority.
    """
    geography = geography_id(name)
    options = options or AreaOptions()
    check_size(len(data), Path(filename).name)
    upload = read_upload(data, filename, options.sheet)
    source = config.source_dir(source_dir)
    catalogue = catalogue or Catalogue.load()
    lists = lsoa_lists(catalogue, source)
    table = upload.table
    lsoa_column = _lsoa_column(table, options.code_column, upload.filename)
    area_column, name_column = _area_columns(table, lsoa_column, options, upload.filename)
    codes = normalise_codes(pd.Series(table[lsoa_column], dtype=object)).fillna("").reset_index(drop=True)
    areas = _cells(table, area_column) if area_column else _cells(table, name_column)
    names = _cells(table, name_column) if name_column else areas
    vintage, detection = _vintage(set(codes), lists)
    report = AreaReport(upload.filename, upload.sheet, lsoa_column, area_column, name_column, vintage, detection,
                        rows_read=len(table), notes=list(upload.notes))
    rows = _sort_rows(codes, areas, names, upload.rows, lists, vintage, report)
    members = _members(rows, vintage, source, report, upload.filename, lsoa_column)
    la_code, la_name, authority = resolve_authority(la, members.index, lists["2021"], catalogue, source)
    report.la, report.la_name = la_code, la_name
    inside = members.index.isin(authority)
    district_of = lists["2021"]
    report.other_authority = {c: str(district_of.get(c, "unknown district")) for c in members.index[~inside]}
    members = members[inside].sort_index()
    area_names = _area_names(rows, members, report)
    _check_areas(members, la_name, upload.filename)
    report.assigned, report.areas = len(members), members.nunique()
    report.left_out_of_authority = sorted(set(authority) - set(members.index))
    return AreaSet(str(name).strip(), geography, la_code, la_name, members, area_names, report)


def lsoa_lists(catalogue: Catalogue, source: Path) -> dict:
    """The national LSOA member lists by vintage: ``{"2011": Series, "2021": Series}`` (district by LSOA code).

    The district name stands in ``attrs["names"]`` of each series (district code -> name).
    """
    out = {}
    for spec in catalogue.area_boundaries():
        if spec.level != "lsoa" or spec.members is None or spec.vintage in out:
            continue
        table = member_table(spec, source).drop_duplicates("code")
        series = pd.Series(table["district"].to_numpy(dtype=object), index=table["code"].to_numpy(dtype=object))
        named = table.drop_duplicates("district")
        series.attrs["names"] = dict(zip(named["district"].astype(object), named["district_name"].astype(object)))
        out[spec.vintage] = series
    if "2021" not in out:
        raise SourceFileError("The catalogue has no LSOA (2021) member list: area sets are made of LSOAs (2021).")
    return out


def resolve_authority(la: str | None, codes, lsoa21: pd.Series, catalogue: Catalogue | None = None,
                      source: Path | None = None) -> tuple[str, str, pd.Index]:
    """The authority of a set, its name and its LSOAs (2021): the one place ``--la`` is interpreted.

    Parameters
    ----------
    la : str or None
        A district code, a county code (E10: its districts' LSOAs), ``E92000001``
        (England), or None to infer from ``codes``.
    codes : array-like
        The set's LSOA (2021) codes.
    lsoa21 : pandas.Series
        District by LSOA (2021) code (:func:`lsoa_lists`).
    catalogue : Catalogue, optional
    source : path-like, optional
        For a county: the tables naming its districts (:func:`atlas.authorities.resolve`).

    Returns
    -------
    (str, str, pandas.Index)

    Raises
    ------
    UnknownAreaError, AreaSetError
        A code that is not a district's or England's, or a district with no LSOAs.
    """
    names = lsoa21.attrs.get("names", {})
    if la is None:
        districts = sorted(set(lsoa21.reindex(list(codes)).dropna()))
        la = districts[0] if len(districts) == 1 else ENGLAND
    la = check_district_code(la)  # counties (E10) join here when the atlas has them
    if la == ENGLAND:
        return la, "England", pd.Index(lsoa21.index[lsoa21.index.str.startswith("E01")])
    if la.startswith(COUNTY_PREFIX):
        from .authorities import resolve as resolve_county

        county = resolve_county(la, catalogue, source)
        return la, county.name, pd.Index(lsoa21.index[lsoa21.isin(county.aliases)])
    mine = pd.Index(lsoa21.index[lsoa21.to_numpy() == la])
    if mine.empty:
        raise AreaSetError(f"No LSOA (2021) is in district {la} in the member list; use a 2023 district code "
                           f"(`atlas districts`) or E92000001 for England.")
    return la, str(names.get(la, la)), mine


def _cells(table: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series(table[column], dtype=object).fillna("").astype(str).str.strip().reset_index(drop=True)


def _find_column(table: pd.DataFrame, wanted: str, filename: str, what: str) -> str:
    folded = {str(c).strip().lower(): c for c in table.columns}
    if str(wanted).strip().lower() in folded:
        return folded[str(wanted).strip().lower()]
    raise AreaSetError(f"{filename} has no column {wanted!r} (asked for as the {what} column); its columns are: "
                       f"{', '.join(repr(str(c)) for c in table.columns[:30])}.")


def _lsoa_column(table: pd.DataFrame, wanted: str | None, filename: str) -> str:
    if wanted is not None:
        return _find_column(table, wanted, filename, "LSOA code")
    best, most = None, 0
    for column in code_columns(table):
        cells = normalise_codes(pd.Series(table[column], dtype=object)).fillna("")
        n = int(cells.str.slice(0, 3).isin(("E01", "W01", "S01")).sum())
        if n > most:
            best, most = column, n
    if best is None:
        raise AreaSetError(f"{filename}: no column holds LSOA codes (such as E01015693); its columns are: "
                           f"{', '.join(repr(str(c)) for c in table.columns[:30])}. An area set is a lookup of "
                           f"LSOA code to area: add a column of LSOA codes.")
    return best


def _area_columns(table: pd.DataFrame, lsoa_column: str, options: AreaOptions,
                  filename: str) -> tuple[str | None, str | None]:
    """The area code and area name columns, as given or detected."""
    code = _find_column(table, options.area_column, filename, "area") if options.area_column else None
    name = _find_column(table, options.area_name_column, filename, "area name") if options.area_name_column else None
    if code or name:
        return code, name
    rest = [c for c in table.columns if c != lsoa_column and (pd.Series(table[c]).astype(str).str.strip() != "").any()]
    rest = [c for c in rest if not _NAME_HEADER.search(str(c)) or "lsoa" not in str(c).lower()]  # LSOA names
    coded = [c for c in code_columns(table[rest]) if c in rest] if rest else []
    named = [c for c in rest if c not in coded and _NAME_HEADER.search(str(c))]
    code = coded[0] if coded else None
    name = named[0] if named else next((c for c in rest if c not in coded), None)
    if code is None and name is None:
        raise AreaSetError(f"{filename}: besides the LSOA codes in column {lsoa_column!r} no column names an area; "
                           f"add a column of area names (or codes) to say which area each LSOA is in.")
    return code, name


def _vintage(codes: set, lists: dict) -> tuple[str, str]:
    new = set(lists["2021"].index)
    old = set(lists.get("2011", pd.Series(dtype=object)).index)
    only_new, only_old = len((codes & new) - old), len((codes & old) - new)
    if only_old > only_new:
        return "2011", (f"LSOA (2011): {only_old} codes exist only in 2011 and {only_new} only in 2021; "
                        f"converted to LSOA (2021) through the ONS lookup")
    text = f"LSOA (2021): {only_new} codes exist only in 2021 and {only_old} only in 2011"
    if not only_new:
        text += " (no code decides the vintage; 2021 assumed)"
    return "2021", text


def _sort_rows(codes: pd.Series, areas: pd.Series, names: pd.Series, rows: list[int], lists: dict, vintage: str,
               report: AreaReport) -> pd.DataFrame:
    """The rows with an LSOA code of the file's vintage and an area; the rest listed by reason."""
    known = set(lists[vintage].index)
    keep, no_area = [], []
    for code, area, name, row in zip(codes, areas, names, rows):
        if not GSS_PATTERN.match(code) or kind_of(code) != "LSOA" and not code.startswith("S01"):
            report.not_lsoa.append((row, code))
        elif code[0] in _OTHER_COUNTRY:
            report.other_country[code] = _OTHER_COUNTRY[code[0]]
        elif code not in known:
            report.unknown.append(code)
        elif not area and not name:
            no_area.append(row)
        else:
            keep.append((code, area or name, name or area, row))
    if no_area:
        raise AreaSetError(f"{report.file}: {len(no_area)} row(s) have an LSOA code but no area (empty area name): "
                           f"rows {_short_text(no_area)}. Give every LSOA an area, or delete those rows.")
    if not keep:
        found = (f"{len(report.other_country)} are codes of another country "
                 f"({', '.join(sorted(set(report.other_country.values())))}; the atlas covers England)"
                 if report.other_country else f"{len(report.not_lsoa)} are not LSOA codes")
        raise AreaSetError(f"{report.file}: no row of column {report.lsoa_column!r} holds an English LSOA code: "
                           f"{found}.")
    if report.not_lsoa and all(GSS_PATTERN.match(t) for _, t in report.not_lsoa):
        report.notes.append("some codes are of another kind of area (not LSOAs): listed and left out")
    return pd.DataFrame(keep, columns=["code", "area", "name", "row"])


def _members(rows: pd.DataFrame, vintage: str, source: Path, report: AreaReport, filename: str,
             column: str) -> pd.Series:
    """Area by LSOA (2021) code; duplicates refused, 2011 codes converted."""
    pairs = rows.drop_duplicates(["code", "area"])
    report.repeated = sorted(set(rows["code"][rows.duplicated(["code", "area"])]))
    clash = pairs[pairs["code"].duplicated(keep=False)]
    if len(clash):
        listed = [f"{code} ({', '.join(group['area'])}; rows {', '.join(map(str, group['row']))})"
                  for code, group in list(clash.groupby("code", sort=True))[:10]]
        more = clash["code"].nunique() - len(listed)
        raise AreaSetError(f"{filename}: {clash['code'].nunique()} LSOA(s) in column {column!r} are in two or more "
                           f"areas: {'; '.join(listed)}" + (f" and {more} more" if more > 0 else "")
                           + ". An LSOA can be in one area only; nothing was added.")
    members = pd.Series(pairs["area"].to_numpy(dtype=object), index=pairs["code"].to_numpy(dtype=object))
    return members if vintage == "2021" else _to_2021(members, source, report)


def _to_2021(members: pd.Series, source: Path, report: AreaReport) -> pd.Series:
    links = lsoa_links(source)
    links = links[links["old"].isin(members.index)]
    links = links.assign(area=members.reindex(links["old"]).to_numpy())
    report.converted = {old: list(new) for old, new in links.groupby("old")["new"]}
    unlinked = sorted(set(members.index) - set(links["old"]))
    if unlinked:
        report.notes.append(f"{len(unlinked)} LSOA (2011) code(s) have no row in the ONS lookup and were left out: "
                            f"{_short_text(unlinked)}")
    out = {}
    for new, group in links.groupby("new", sort=True):
        counts = group["area"].value_counts(sort=True)
        out[new] = counts.index[0]
        if len(counts) > 1:
            report.conflicts[new] = [str(a) for a in counts.index]
    return pd.Series(out, dtype=object)


def lsoa_links(source: str | Path) -> pd.DataFrame:
    """The ONS LSOA 2011 to 2021 lookup as columns ``old`` and ``new`` (one row per pair)."""
    wanted_by = "area sets (LSOA 2011 to 2021)"
    table = read_table(Path(source), LSOA_LOOKUP, {}, wanted_by, text_columns=(LOOKUP_OLD, LOOKUP_NEW))
    require_columns(table, [LOOKUP_OLD, LOOKUP_NEW], LSOA_LOOKUP, wanted_by)
    links = pd.DataFrame({"old": normalise_codes(table[LOOKUP_OLD]).astype(object),
                          "new": normalise_codes(table[LOOKUP_NEW]).astype(object)})
    return links.dropna().drop_duplicates().reset_index(drop=True)


def lsoa11_members(members21: pd.Series, source: str | Path) -> pd.Series:
    """Area by LSOA (2011) code: each 2011 LSOA joins the area of the 2021 LSOA(s) it became.

    A 2011 LSOA whose 2021 parts are in different areas joins the area holding
    most of them (the first in code order on a tie).
    """
    links = lsoa_links(source)
    links = links.assign(area=members21.reindex(links["new"]).to_numpy()).dropna(subset=["area"])
    votes = links.groupby(["old", "area"], sort=False).agg(n=("new", "size"), first=("new", "min")).reset_index()
    votes = votes.sort_values(["old", "n", "first"], ascending=[True, False, True]).drop_duplicates("old")
    return pd.Series(votes["area"].to_numpy(dtype=object), index=pd.Index(votes["old"].to_numpy(dtype=object)))


def _area_names(rows: pd.DataFrame, members: pd.Series, report: AreaReport) -> dict:
    named = rows[rows["area"].isin(set(members))].drop_duplicates("area")
    names = dict(zip(named["area"], named["name"]))
    several = rows[rows["area"].isin(set(members))].groupby("area")["name"].nunique()
    if (several > 1).any():
        report.notes.append(f"{int((several > 1).sum())} area(s) have more than one name in the file; the first "
                            f"is used (e.g. {several[several > 1].index[0]})")
    return {code: names.get(code) or code for code in sorted(set(members))}


def _check_areas(members: pd.Series, la_name: str, filename: str) -> None:
    if members.empty:
        raise AreaSetError(f"{filename}: none of its LSOAs is in {la_name}; check the file, or give --la.")
    if members.nunique() < MIN_AREAS:
        raise AreaSetError(f"{filename}: every one of its {len(members)} LSOAs of {la_name} is in one area "
                           f"({members.iloc[0]!r}); an area set needs at least {MIN_AREAS} areas. Check the area "
                           f"column (--area-column, --area-name-column).")


# --- helpers ------------------------------------------------------------------------------------

def _pairs(mapping: dict) -> list[str]:
    return [f"{k} ({v})" for k, v in mapping.items()]


def _short_text(items: list) -> str:
    items = [str(i) for i in items]
    more = f" ... and {len(items) - _LIST} more" if len(items) > _LIST else ""
    return ", ".join(items[:_LIST]) + more

