"""Bring your own indicator: read a CSV or Excel file of values by area and add it to an atlas.

The steps, each reported rather than silent:

1. **Read** (:func:`read_upload`): CSV (UTF-8 with or without a byte-order mark,
   or Windows-1252; comma, semicolon, tab or bar separated) or Excel ``.xlsx``
   (openpyxl reads the values Excel saved: formulas are never evaluated, macros
   never run). Files over :data:`MAX_UPLOAD_BYTES` are refused.
2. **Detect** (:func:`detect`): the column holding area codes and the geography
   and vintage they are (LSOA 2011 or 2021, MSOA, old or new wards ...), from the
   codes themselves against the district's areas and the national member lists.
   Codes that exist in both LSOA vintages decide nothing; the codes that exist
   in only one vintage decide.
3. **Clean** (:func:`prepare`): thousands separators, values written with
   ``%``, suppression markers (``*``, ``c``, ``..``, ``-``, ``x``, ``[c]``,
   ``<5``, blank ...) read as suppressed (no data, never zero); duplicate codes
   are an error naming them; codes of another district, of another kind of
   area or not codes at all are listed and left out.
4. **Convert** between LSOA 2011 and LSOA 2021 (both directions) through the
   ONS lookup (:data:`LSOA_LOOKUP`) by the rule in :data:`CONVERSION_RULE`, and
   aggregate to wards and MSOAs as the build does for its own layers.
5. **Add** the layer to the atlas with full metadata (:func:`add_to_atlas`);
   on the command line (:func:`import_file`) the file is kept in
   ``<atlas folder>/imports/<LA>/`` with a manifest, so a rebuild re-applies it
   (:func:`reapply_imports`, called by :func:`atlas.build.build`).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import aggregate, config, store
from .codes import DISTRICT_PREFIXES, GSS_PATTERN, check_district_code, kind_of
from .errors import AtlasError, SourceDirError, SourceFileError
from .model import Atlas
from .readers import SUPPRESSION_MARKERS, normalise_codes, read_table, require_columns, to_number
from .specs import KIND_AGGREGATION, POLARITIES, Catalogue

#: Largest file accepted, in bytes (every LSOA in England, one value each, is about 1.5 MB).
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
#: Largest unpacked size of an Excel workbook (a guard against zip bombs).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: Most data rows read.
MAX_ROWS = 200_000
#: Most cells read from a sheet (a cap on memory: rows times columns).
MAX_CELLS = 4_000_000
#: The ONS LSOA 2011 to LSOA 2021 lookup, relative to the source directory.
LSOA_LOOKUP = ("deprivation/lookups/LSOA_(2011)_to_LSOA_(2021)_to_Local_Authority_District_(2022)_"
               "Lookup_for_England_and_Wales_(Version_2).csv.gz")
LOOKUP_OLD, LOOKUP_NEW = "LSOA11CD", "LSOA21CD"
#: The conversion rule, as stated to users in the match report and the layer's method.
CONVERSION_RULE = (
    "Unchanged LSOAs carry their value over. Where several LSOAs make one (2011 LSOAs merged into a 2021 LSOA; "
    "or, converting back, the 2021 parts of a split 2011 LSOA), rates take their population-weighted mean and "
    "counts are summed. Where one LSOA makes several (a split 2011 LSOA; or, converting back, a merged 2021 "
    "LSOA), each part inherits the rate, or takes a share of the count in proportion to its population. Areas "
    "changed in more complex ways, or without a link, are not converted and are listed; an area whose source "
    "areas have no value has no data."
)
#: Kinds of indicator an import may be; how each converts and aggregates follows the engine's kinds.
IMPORT_KINDS = ("value", "rate", "percentage", "score", "count", "decile", "rank")
#: Kinds the engine sums (:data:`atlas.specs.KIND_AGGREGATION`); the others it averages, or neither.
COUNT_KINDS = tuple(kind for kind, how in KIND_AGGREGATION.items() if how == "sum")
SINGLE_VALUE_KINDS = tuple(kind for kind, how in KIND_AGGREGATION.items()
                           if how not in ("sum", "weighted_mean"))  # never averaged or summed
MANIFEST = "imports.json"
LAYER_PREFIX = "import_"
LAYER_SUFFIXES = ("note", "lower", "upper", "numerator", "denominator")
_LEVEL_KIND = {"lsoa": "LSOA", "msoa": "MSOA", "ward": "electoral ward", "oa": "output area"}
_MARKERS = {m.lower() for m in SUPPRESSION_MARKERS}
_NUMBER = re.compile(r"^[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)([eE][+-]?\d+)?%?$")
_LESS_THAN = re.compile(r"^<\s*\d+(\.\d+)?$")
_LIST = 20  # codes listed in full in one line of text before "and N more"
_DETECT_ROWS = 2000  # rows looked at to tell which columns hold numbers


class ImportFileError(AtlasError):
    """An uploaded or imported indicator file cannot be used as it is."""


# --- options and results ----------------------------------------------------------------------

@dataclass
class ImportOptions:
    """What the user says about an indicator file; anything left ``None`` is detected.

    Attributes
    ----------
    name : str or None
        Label of the layer (default: the value column's header).
    code_column, value_column : str or None
        Columns holding area codes and values.
    geography : str or None
        Geography id the codes are keyed by (``lsoa11``, ``ward2023`` ...).
    kind : str or None
        One of :data:`IMPORT_KINDS`; ``count`` is summed and shared by
        population, the others are treated as rates (default ``value``, or
        ``percentage`` when every value is written with ``%``).
    units : str or None
        Units shown in legends (default ``%`` for percentages, else blank).
    higher_is : str
        ``worse``, ``better`` or ``neutral`` (default): the polarity.
    period : str
        The period the data cover, e.g. ``"2023-24"``.
    attribution : str
        The data's own source and licence statement, shown on maps and exports
        (e.g. ``"Source: NHS England, OGL v3.0"``); blank when not given.
    sheet : str or None
        Excel sheet (default: the first with area codes).
    """

    name: str | None = None
    code_column: str | None = None
    value_column: str | None = None
    geography: str | None = None
    kind: str | None = None
    units: str | None = None
    higher_is: str = "neutral"
    period: str = ""
    attribution: str = ""
    sheet: str | None = None

    def check(self) -> None:
        """Raise :class:`ImportFileError` for a kind or polarity the atlas does not know."""
        if self.kind is not None and self.kind not in IMPORT_KINDS:
            raise ImportFileError(f"Unknown kind {self.kind!r}; choose one of {', '.join(IMPORT_KINDS)}.")
        if self.higher_is not in POLARITIES:
            raise ImportFileError(f"Unknown polarity {self.higher_is!r}; choose worse, better or neutral.")


@dataclass
class Upload:
    """An indicator file read as text, before any interpretation.

    Attributes
    ----------
    filename : str
        The file's name (no folders), as shown in reports.
    table : pandas.DataFrame
        Every cell as text (blank cells as ``""``), columns named from the header row.
    rows : list of int
        The file's row number (1-based, as a spreadsheet shows it) of each row of ``table``.
    notes : list of str
        What reading did (encoding, byte-order mark, separator, header row, sheet).
    sheets : list of str
        Sheet names (Excel).
    sheet : str or None
        The sheet read (Excel).
    formula_blanks : set of tuple
        ``(row, column)`` of Excel formulas with no saved result (read as blank).
    """

    filename: str
    table: pd.DataFrame
    rows: list[int]
    notes: list[str] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)
    sheet: str | None = None
    formula_blanks: set = field(default_factory=set)


@dataclass
class Detection:
    """Which column holds the codes, which geography they are, and candidate value columns."""

    code_column: str
    geography: str
    geography_label: str
    explanation: str
    value_columns: list[str]
    ambiguous: bool = False


@dataclass
class MatchReport:
    """What an import read, matched and left out; shown before the layer is mapped.

    Attributes
    ----------
    file, sheet, code_column, value_column, geography, geography_label, detection : str
    rows_read : int
        Data rows (blank rows are not counted).
    matched : list of str
        Codes of the district's areas found in the file.
    unmatched_areas : list of str
        The district's areas with no row in the file (shown as no data).
    suppressed : dict
        Code -> the marker written (``"c"``, ``"*"``, ``"(blank)"`` ...).
    unreadable : dict
        Code -> text that is neither a number nor a suppression marker (no data).
    other_district : dict
        Code -> district name (or a reason), for area codes outside the district.
    other_vintage : list of str
        Codes of the district's areas in another vintage of the same geography.
    other_kind : dict
        Code -> kind of area, for GSS codes of another kind (e.g. a district total).
    not_codes : list of tuple
        ``(row, text)`` for rows whose code cell is not an area code at all.
    notes : list of str
        Cleaning and reading notes.
    conversions, aggregations : list of dict
        One entry per geography the layer was converted or aggregated to.
    """

    file: str
    sheet: str | None
    code_column: str
    value_column: str
    geography: str
    geography_label: str
    detection: str
    rows_read: int = 0
    matched: list = field(default_factory=list)
    unmatched_areas: list = field(default_factory=list)
    suppressed: dict = field(default_factory=dict)
    unreadable: dict = field(default_factory=dict)
    other_district: dict = field(default_factory=dict)
    other_vintage: list = field(default_factory=list)
    other_kind: dict = field(default_factory=dict)
    not_codes: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    conversions: list = field(default_factory=list)
    aggregations: list = field(default_factory=list)

    @property
    def district_areas(self) -> int:
        """Areas of the district in the geography: those matched and those with no row."""
        return len(self.matched) + len(self.unmatched_areas)

    @property
    def with_values(self) -> int:
        """Matched areas that have a number (not suppressed or unreadable)."""
        return len(self.matched) - len(self.suppressed) - len(self.unreadable)

    def counts(self) -> pd.DataFrame:
        """The headline figures as a two-column table (``item``, ``count``)."""
        left_out = len(self.other_district) + len(self.other_vintage) + len(self.other_kind) + len(self.not_codes)
        items = [
            ("Rows read", self.rows_read),
            (f"Matched to {self.geography_label} areas of the district", len(self.matched)),
            ("  of which with a value", self.with_values),
            ("  of which suppressed (shown as no data)", len(self.suppressed)),
            ("  of which not a number (shown as no data)", len(self.unreadable)),
            ("Rows left out (not areas of the district)", left_out),
            (f"Areas of the district with no row (no data; of {self.district_areas})", len(self.unmatched_areas)),
            ("Duplicate codes", 0),  # a file with duplicate codes is refused (_check_duplicates)
        ]
        return pd.DataFrame(items, columns=["item", "count"])

    def left_out(self) -> pd.DataFrame:
        """Every row or area left out or shown as no data, with the reason (``code``, ``reason``)."""
        rows = [(c, f"suppressed ({m})") for c, m in self.suppressed.items()]
        rows += [(c, f"not a number: {t!r}") for c, t in self.unreadable.items()]
        rows += [(c, f"not in the district ({d})") for c, d in self.other_district.items()]
        rows += [(c, "an area of the district in another vintage of this geography") for c in self.other_vintage]
        rows += [(c, f"a {k} code, not a {self.geography_label} code") for c, k in self.other_kind.items()]
        rows += [(f"row {r}", f"not an area code: {t!r}") for r, t in self.not_codes]
        rows += [(c, "no row in the file") for c in self.unmatched_areas]
        for conversion in self.conversions:
            rows += [(c, f"not converted to {conversion['geography_label']}: {why}")
                     for c, why in conversion["not_converted"].items()]
        return pd.DataFrame(rows, columns=["code", "reason"])

    def lines(self) -> list[str]:
        """The report as plain text lines (for the command line)."""
        out = [f"Match report for {self.file}" + (f" (sheet {self.sheet!r})" if self.sheet else ""),
               f"  codes: column {self.code_column!r}; values: column {self.value_column!r}",
               f"  geography: {self.detection}"]
        out += [f"  {item}: {count}" for item, count in self.counts().itertuples(index=False)]
        out += [f"  note: {note}" for note in self.notes]
        listed = [("suppressed", list(self.suppressed)), ("not a number", _pairs(self.unreadable)),
                  ("left out, not in the district", _pairs(self.other_district)),
                  ("left out, another vintage", self.other_vintage),
                  ("left out, another kind of area", _pairs(self.other_kind)),
                  ("left out, not area codes", [f"row {r}: {t!r}" for r, t in self.not_codes]),
                  ("areas with no row", self.unmatched_areas)]
        out += [f"  {title}: {_short_text(items)}" for title, items in listed if items]
        for c in self.conversions:
            out.append(f"  converted to {c['geography_label']}: {c['converted']} areas with a value "
                       f"({c['unchanged']} unchanged, {c['combined']} made of several, {c['divided']} parts of "
                       f"one); no data because the source has none: {len(c['no_source_value'])}; "
                       f"not converted: {len(c['not_converted'])}"
                       + (f" ({_short_text(_pairs(c['not_converted']))})" if c["not_converted"] else ""))
            if c.get("inferred"):
                out.append(f"    {c['inferred']}")
        if self.conversions:
            out.append(f"  conversion rule: {CONVERSION_RULE}")
        for a in self.aggregations:
            out.append(f"  aggregated to {a['geography_label']}: {a['method']}"
                       + (f"; some areas lack a value in: {_short_text(a['incomplete'])}" if a["incomplete"] else ""))
        return out

    def to_dict(self) -> dict:
        """The report as plain JSON-able data."""
        data = dataclasses.asdict(self)
        data["not_codes"] = [list(item) for item in self.not_codes]
        data["with_values"] = self.with_values
        data["district_areas"] = self.district_areas
        return data


@dataclass
class ImportResult:
    """A cleaned indicator ready to add to an atlas.

    Attributes
    ----------
    layer : str
        Layer id (``import_<name>``).
    label : str
    report : MatchReport
    columns : dict
        Geography id -> DataFrame indexed by code (``value``, ``note``).
    meta : dict
        Geography id -> metadata row (keys of :data:`atlas.model.LAYER_COLUMNS`).
    options : ImportOptions
        The options as resolved (detected values filled in).
    """

    layer: str
    label: str
    report: MatchReport
    columns: dict
    meta: dict
    options: ImportOptions

    @property
    def geographies(self) -> list[str]:
        """Geographies the layer is on: the native one first."""
        return list(self.columns)


# --- reading ---------------------------------------------------------------------------------

def read_upload(data: bytes, filename: str, sheet: str | None = None) -> Upload:
    """Read an indicator file's cells as text, without interpreting any of them.

    Parameters
    ----------
    data : bytes
        The file's content.
    filename : str
        Its name; ``.csv`` (or ``.txt``/``.tsv``) or ``.xlsx``.
    sheet : str, optional
        Excel sheet to read; by default the first sheet holding area codes.

    Returns
    -------
    Upload

    Raises
    ------
    ImportFileError
        If the file is too large, empty, of another format, or unreadable.
    """
    name = Path(str(filename)).name
    check_size(len(data), name)
    if not data.strip():
        raise ImportFileError(f"{name} is empty.")
    suffix = Path(name).suffix.lower()
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix in (".xls", ".xlsm", ".xlsb", ".ods", ".numbers"):
        raise ImportFileError(f"{name}: {suffix} files are not read; save it as an Excel workbook (.xlsx) or CSV.")
    if suffix == ".xlsx" or is_zip:
        if not is_zip:
            raise ImportFileError(f"{name} is named .xlsx but is not an Excel workbook; save it again from Excel.")
        return _read_xlsx(data, name, sheet)
    return _read_csv(data, name)


def check_size(n_bytes: int, name: str) -> None:
    """Raise :class:`ImportFileError` with a clear message if a file is over :data:`MAX_UPLOAD_BYTES`."""
    if n_bytes > MAX_UPLOAD_BYTES:
        raise ImportFileError(
            f"{name} is {n_bytes / 1024 / 1024:.1f} MB; the atlas imports files up to "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB (one value for every LSOA in England fits in about 2 MB). "
            f"Keep only the area code and value columns, or save the sheet as CSV.")


def _read_csv(data: bytes, name: str) -> Upload:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(f"{name} is not a text (CSV) file; upload a CSV or an Excel .xlsx file.")
    text, notes = _decode(data, name)
    sample = "\n".join(line for line in text.splitlines()[:20] if line.strip())
    counts = {sep: sample.count(sep) for sep in (",", "\t", ";", "|")}
    sep = max(counts, key=counts.get) if any(counts.values()) else ","
    if sep != ",":
        notes.append(f"values are separated by {_SEPARATOR_NAMES[sep]}, not commas")
    rows = _csv_rows(text, sep, name)
    if sep == ";":
        _decimal_commas(rows, name, notes)
    return _tabulate(rows, name, notes)


def _csv_rows(text: str, sep: str, name: str) -> list[list[str]]:
    """The rows of CSV text; a quote left open, or text after a closing quote, is an error naming the line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    rows, started = [], 1
    try:
        for row in reader:
            rows.append(row)
            started = reader.line_num + 1
    except csv.Error as exc:
        if "end of data" in str(exc):
            raise ImportFileError(f"{name}: a value opened with a double quote (\") on line {started} is never "
                                  f"closed, so the rest of the file would be read as one value. Close the quote "
                                  f"(or remove it) and try again.") from exc
        raise ImportFileError(f"{name}, line {reader.line_num}: not valid CSV ({exc}); a value in double quotes "
                              f"must be followed by the separator {sep!r} or the end of the line.") from exc
    return rows


_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+%?$")
_EUROPEAN_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?(%?)$")
_DOT_DECIMAL = re.compile(r"^[+-]?\d*[.,]?\d*\.\d+%?$")


def _decimal_commas(rows: list[list[str]], name: str, notes: list[str]) -> None:
    """Numbers written with decimal commas (``12,5``) in a semicolon-separated file, rewritten as ``12.5``.

    A semicolon-separated file with a comma between digits is read by the
    European convention (``,`` decimal, ``.`` thousands) and the notes say so; a
    number written the other way in the same file (``12.5``, ``1,234.5``) is an
    error saying which convention was assumed.
    """
    cells = [(r, c) for r, row in enumerate(rows) for c, cell in enumerate(row)
             if _COMMA_DECIMAL.match(cell.strip().replace(" ", ""))]
    if not cells:
        return
    example, converted = rows[cells[0][0]][cells[0][1]], 0
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            bare = cell.strip().replace(" ", "")
            match = _EUROPEAN_NUMBER.match(bare)
            if match and ("," in bare or "." in bare):
                sign, whole, fraction, percent = match.groups()
                row[c] = f"{sign}{whole.replace('.', '')}{'.' + fraction if fraction else ''}{percent}"
                converted += 1
            elif _DOT_DECIMAL.match(bare):
                raise ImportFileError(
                    f"{name}: the file is separated by semicolons and writes numbers with decimal commas (e.g. "
                    f"{example!r}), so that convention was assumed ('.' groups thousands); "
                    f"but row {r + 1} has {cell!r}, written with a decimal point. Write every number the same way.")
    notes.append(f"numbers are written with decimal commas (e.g. {example!r}): read by the "
                 f"European convention, ',' as the decimal mark and '.' between thousands ({converted} cells)")


_SEPARATOR_NAMES = {"\t": "tabs", ";": "semicolons", "|": "vertical bars", ",": "commas"}


def _decode(data: bytes, name: str) -> tuple[str, list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), ["read as UTF-16 text (Excel's 'Unicode text'); byte-order mark removed"]
    notes = ["byte-order mark removed from the start of the file"] if data.startswith(b"\xef\xbb\xbf") else []
    try:
        return data.decode("utf-8-sig"), notes
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        return text, notes + ["the file is not UTF-8: read as Windows-1252 (Excel's usual CSV encoding)"]
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{name} is neither UTF-8 nor Windows-1252 text ({exc}); "
                              f"save it as 'CSV UTF-8'.") from exc


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> Upload:
    import openpyxl  # reads saved values; never evaluates formulas or runs macros

    _check_unpacked(data, name)
    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise ImportFileError(f"{name} is not a readable Excel workbook: {exc}") from exc
    try:
        names = values.sheetnames
        chosen = _choose_sheet(values, names, sheet, name)
        rows, blanks = _sheet_rows(values[chosen], formulas[chosen], name)
    except ImportFileError:
        raise
    except Exception as exc:  # a damaged sheet inside a sound zip: openpyxl and its XML parser raise many types
        first = (str(exc).splitlines() or [""])[0]
        raise ImportFileError(f"{name}: a sheet of the workbook cannot be read ({type(exc).__name__}: {first}); "
                              f"open it in Excel and save it again, or save the sheet as CSV.") from exc
    finally:
        values.close()
        formulas.close()
    notes = [f"read sheet {chosen!r}" + (f" of {len(names)} ({', '.join(names)})" if len(names) > 1 else "")]
    notes.append("Excel formulas are never evaluated: their values as last saved by Excel are read")
    upload = _tabulate(rows, name, notes)
    upload.sheets, upload.sheet = names, chosen
    upload.formula_blanks = {(r, upload.table.columns[c]) for r, c in blanks if c < len(upload.table.columns)}
    return upload


def _check_unpacked(data: bytes, name: str) -> None:
    """Refuse a workbook whose contents expand beyond :data:`MAX_UNPACKED_BYTES`, before it is expanded.

    The sizes the zip declares are checked first; then each part is inflated in
    chunks, counting, and reading stops as soon as the count passes the limit
    (or a part's declared size), so a file that lies about its sizes is caught
    without ever holding more than one chunk in memory.
    """
    too_big = (f"{name} unpacks to more than the {MAX_UNPACKED_BYTES // 1024 // 1024} MB the atlas reads (a file of "
               f"{len(data) / 1024 / 1024:.1f} MB); keep only the codes and values, or save the sheet as CSV.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if "xl/workbook.xml" not in {info.filename for info in infos}:
                raise ImportFileError(f"{name} is a zip file but not an Excel workbook (.xlsx).")
            if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
                raise ImportFileError(too_big)
            total = 0
            for info in infos:
                with archive.open(info) as part:
                    size = 0
                    while chunk := part.read(1 << 20):
                        size += len(chunk)
                        total += len(chunk)
                        if total > MAX_UNPACKED_BYTES or size > info.file_size:
                            raise ImportFileError(too_big)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise ImportFileError(f"{name} is not a readable Excel workbook: {exc}") from exc


def _choose_sheet(book, names: list[str], sheet: str | None, name: str) -> str:
    if sheet is not None:
        if sheet not in names:
            raise ImportFileError(f"{name} has no sheet {sheet!r}; its sheets are: {', '.join(names)}.")
        return sheet
    for candidate in names:
        for row in book[candidate].iter_rows(max_row=50, values_only=True):
            if any(isinstance(v, str) and GSS_PATTERN.match(v.strip().upper()) for v in row):
                return candidate
    return names[0]


def _sheet_rows(values_sheet, formula_sheet, name: str) -> tuple[list[list[str]], list[tuple[int, int]]]:
    rows, blanks, n_cells = [], [], 0
    for number, (cells, raw) in enumerate(zip(values_sheet.iter_rows(), formula_sheet.iter_rows(values_only=True)),
                                          start=1):
        if number > MAX_ROWS + 50:
            raise ImportFileError(f"{name} has more than {MAX_ROWS:,} rows; the atlas imports up to {MAX_ROWS:,}.")
        row = [_cell_text(cell) for cell in cells]
        n_cells += len(row)
        if n_cells > MAX_CELLS:
            raise ImportFileError(f"{name}: the sheet has more than {MAX_CELLS:,} cells (at row {number}, "
                                  f"{len(row):,} columns); keep only the codes and values.")
        for col, formula in enumerate(raw):
            if isinstance(formula, str) and formula.startswith("=") and col < len(row) and row[col] == "":
                blanks.append((number, col))
        rows.append(row)
    return rows, blanks


def _cell_text(cell) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, (int, float)):
        if "%" in (getattr(cell, "number_format", "") or ""):
            return f"{round(value * 100, 10)!r}%"  # shown as 12% in Excel: read as 12 (percent)
        return repr(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _tabulate(rows: list[list[str]], name: str, notes: list[str]) -> Upload:
    header_at = _header_row(rows)
    if header_at is None:
        raise ImportFileError(f"{name} has no rows with content.")
    header, data_start = rows[header_at], header_at + 1
    if _has_code(header):  # the first row with content already holds codes: no header
        data_start = header_at
        header = []
        notes.append("the file has no header row: columns are named 'column 1', 'column 2' ...")
    elif header_at:
        notes.append(f"rows 1-{header_at} (titles or notes above the header) were skipped; "
                     f"the header is row {header_at + 1}")
    body = [(i + 1, row) for i, row in enumerate(rows[data_start:], start=data_start)]
    body = [(n, [c.strip() for c in row]) for n, row in body if any(c.strip() for c in row)]
    if len(body) > MAX_ROWS:
        raise ImportFileError(f"{name} has {len(body):,} rows; the atlas imports up to {MAX_ROWS:,}.")
    width = max([len(header)] + [len(row) for _, row in body])
    columns = _column_names(header, width)
    cells = [row + [""] * (width - len(row)) for _, row in body]
    table = pd.DataFrame(cells, columns=columns, dtype=object) if cells else pd.DataFrame(columns=columns)
    if table.empty:
        raise ImportFileError(f"{name} has a header but no data rows.")
    return Upload(name, table, [n for n, _ in body], notes)


def _header_row(rows: list[list[str]]) -> int | None:
    """The header's index: the last row with content above the first row holding a GSS code."""
    filled = [i for i, row in enumerate(rows[:60]) if any(str(c).strip() for c in row)]
    if not filled:
        return None
    first_code = next((i for i in filled if _has_code(rows[i])), None)
    if first_code is None:
        return filled[0]
    above = [i for i in filled if i < first_code]
    return above[-1] if above else first_code


def _has_code(row: list[str]) -> bool:
    return any(GSS_PATTERN.match(str(c).strip().upper()) for c in row)


def _column_names(header: list[str], width: int) -> list[str]:
    names, seen = [], set()
    for i in range(width):
        base = header[i].strip() if i < len(header) and header[i].strip() else f"column {i + 1}"
        base = base.lstrip("\ufeff")
        unique, n = base, 2
        while unique in seen:
            unique, n = f"{base} ({n})", n + 1
        seen.add(unique)
        names.append(unique)
    return names


# --- detection -------------------------------------------------------------------------------

@dataclass
class _Areas:
    """The district's areas by geography, and the national member lists the catalogue has."""

    atlas: Atlas
    catalogue: Catalogue
    source: Path | None
    local: dict
    level: dict
    order: dict
    national: dict  # geography -> {code: district name} (only where a member list exists)
    known_codes: dict = field(default_factory=dict)  # geography -> the district's codes and the national ones

    @classmethod
    def of(cls, built: Atlas, source: Path | None, catalogue: Catalogue | None = None) -> "_Areas":
        catalogue = catalogue or Catalogue.load()
        local, level, order, national = {}, {}, {}, {}
        for g, frame in built.geographies.items():
            spec = catalogue.boundaries.get(g)
            if spec is None:
                continue
            local[g], level[g], order[g] = set(frame.index), spec.level, spec.order
            if spec.members is not None and source is not None:
                national[g] = _national_members(spec, source)
        known = {g: local[g] | set(national.get(g, ())) for g in local}
        return cls(built, catalogue, source, local, level, order, national, known)

    def label(self, g: str) -> str:
        return self.atlas.geography_labels.get(g) or self.catalogue.boundaries[g].label

    def known(self, g: str) -> set:
        return self.known_codes[g]

    def siblings(self, g: str) -> list[str]:
        """Other geographies of the same level (other vintages)."""
        return [o for o in self.local if o != g and self.level[o] == self.level[g]]


def _national_members(spec, source: Path) -> dict:
    from .geography import member_table
    try:
        table = member_table(spec, source).drop_duplicates("code")
    except SourceFileError:
        return {}
    names = table["district_name"].astype(object).where(table["district_name"].notna(), table["district"])
    return dict(zip(table["code"].astype(object), names))


def detect(upload: Upload, built: Atlas, code_column: str | None = None, geography: str | None = None,
           source_dir: str | Path | None = None, areas: "_Areas | None" = None) -> Detection:
    """Find the column of area codes and the geography and vintage they are keyed by.

    Parameters
    ----------
    upload : Upload
    built : Atlas
        The district's atlas: its geographies are the candidates.
    code_column, geography : str, optional
        The user's choice, overriding detection (checked).
    source_dir : path-like, optional
        For the national member lists (codes of other districts); detection
        falls back to the district's own areas when it is not available.

    Returns
    -------
    Detection

    Raises
    ------
    ImportFileError
        If no column holds area codes, the codes are district codes, or they
        match no geography of the atlas (the message says what they look like).
    """
    areas = areas or _Areas.of(built, _source_or_none(source_dir))
    table = upload.table
    if code_column is not None:
        column = _find_column(table, code_column, upload.filename, "code")
        candidates = [column]
    else:
        candidates = code_columns(table)
        if not candidates:
            raise ImportFileError(
                f"{upload.filename}: no column holds ONS area codes (such as E01015693 for an LSOA or E05014735 "
                f"for a ward); its columns are: {_quoted(table.columns)}. Add a column of area codes.")
    if geography is not None and geography not in areas.local:
        raise ImportFileError(f"Geography {geography!r} is not in the {built.la_name} atlas; it has: "
                              f"{', '.join(areas.local)}.")
    best, failure = None, None
    for column in candidates:
        codes = set(normalise_codes(pd.Series(table[column])).dropna()) - {""}
        try:
            choice = _choose_geography(codes, areas, geography, upload.filename, column, built.la_name)
        except ImportFileError as exc:
            failure = failure or exc
            continue
        key = (len(codes & areas.local[choice[0]]), len(codes))
        if best is None or key > best[0]:
            best = (key, column, choice)
    if best is None:
        raise failure
    _, column, (g, explanation, ambiguous) = best
    return Detection(column, g, areas.label(g), explanation, _numeric_columns(table, column), ambiguous)


def _source_or_none(source_dir) -> Path | None:
    try:
        return config.source_dir(source_dir)
    except SourceDirError:
        return None


def _find_column(table: pd.DataFrame, wanted: str, filename: str, what: str) -> str:
    if wanted in table.columns:
        return wanted
    folded = {str(c).strip().lower(): c for c in table.columns}
    if str(wanted).strip().lower() in folded:
        return folded[str(wanted).strip().lower()]
    raise ImportFileError(f"{filename} has no column {wanted!r} (asked for as the {what} column); "
                          f"its columns are: {_quoted(table.columns)}.")


def code_columns(table: pd.DataFrame) -> list[str]:
    """Columns where at least half the filled cells are GSS codes, most codes first."""
    found = []
    for column in table.columns:
        cells = pd.Series(table[column]).astype(str).str.strip().str.upper()
        filled = cells[cells != ""]
        if len(filled):
            share = filled.str.match(GSS_PATTERN.pattern).mean()
            if share >= 0.5:
                found.append((share, column))
    return [c for _, c in sorted(found, key=lambda item: -item[0])]


def _choose_geography(codes: set, areas: _Areas, forced: str | None, filename: str, column: str,
                      la_name: str) -> tuple[str, str, bool]:
    """The geography the codes belong to, with a sentence explaining why, and whether it was ambiguous."""
    gss = {c for c in codes if GSS_PATTERN.match(c)}
    if forced is not None:
        matched = len(gss & areas.local[forced])
        return forced, f"{areas.label(forced)} (chosen by the user; {matched} codes are its areas in {la_name})", False
    hits = {g: len(gss & areas.known(g)) for g in areas.local}
    if not any(hits.values()):
        raise ImportFileError(_no_geography_message(gss, areas, filename, column, la_name))
    top = max(hits.values())
    level = next(areas.level[g] for g in areas.local if hits[g] == top)
    same = [g for g in areas.local if areas.level[g] == level and hits[g]]
    exclusive = {g: len((gss & areas.known(g)) - set().union(*(areas.known(o) for o in same if o != g)))
                 for g in same}
    chosen = max(same, key=lambda g: (exclusive[g], len(gss & areas.local[g]), areas.order[g]))
    label = areas.label(chosen)
    text = (f"{label}: {hits[chosen]} of the {len(gss)} area codes in column {column!r} are {label} codes, "
            f"{len(gss & areas.local[chosen])} of them areas of {la_name}")
    ambiguous = False
    if len(same) > 1:
        examples = sorted((gss & areas.known(chosen)) - set().union(*(areas.known(o) for o in same if o != chosen)))
        parts = [f"{exclusive[g]} exist only in {areas.label(g)}" for g in same]
        text += f"; {', '.join(parts)}"
        if exclusive[chosen] == 0:
            ambiguous = True
            text += (f". No code exists in only one vintage, so this is ambiguous: {label} was "
                     f"assumed (choose the geography to override)")
        else:
            text += f" (e.g. {', '.join(examples[:3])}), which decides the vintage"
    return chosen, text, ambiguous


def _no_geography_message(gss: set, areas: _Areas, filename: str, column: str, la_name: str) -> str:
    kinds = pd.Series([kind_of(c) for c in gss]).value_counts()
    if gss and all(c[:3] in DISTRICT_PREFIXES for c in gss):
        return (f"{filename}: column {column!r} holds district codes ({len(gss)}, e.g. {sorted(gss)[0]}): one value "
                f"per local authority. The atlas maps small areas within {la_name} (LSOAs, MSOAs, wards), so a "
                f"district-level file cannot be mapped here.")
    if not gss:
        return (f"{filename}: column {column!r} holds no ONS area codes (such as E01015693 for an LSOA); "
                f"choose the column of area codes.")
    seen = ", ".join(f"{n} {k}" for k, n in kinds.items())
    return (f"{filename}: none of the codes in column {column!r} is an area of the {la_name} atlas "
            f"({', '.join(areas.label(g) for g in areas.local)}); the column holds {seen} codes "
            f"(e.g. {', '.join(sorted(gss)[:3])}). Check that the file is for {la_name}.")


def _numeric_columns(table: pd.DataFrame, code_column: str) -> list[str]:
    """Columns other than the codes whose readable cells (of the first rows) are mostly numbers."""
    out = []
    for column in table.columns:
        if column == code_column:
            continue
        statuses = [_classify_cell(v)[0] for v in table[column].iloc[:_DETECT_ROWS]]
        numbers = statuses.count("number")
        readable = numbers + statuses.count("text")
        if numbers and numbers >= 0.8 * readable:
            out.append(column)
    return out


# --- cleaning --------------------------------------------------------------------------------

def _classify_cell(text: str) -> tuple[str, str]:
    """``("number", text)``, ``("suppressed", marker)`` or ``("text", text)`` for one cell."""
    cell = str(text).strip()
    bare = cell[1:-1].strip() if cell.startswith("[") and cell.endswith("]") else cell
    if cell == "":
        return "suppressed", "(blank)"
    if bare.lower() in _MARKERS or set(bare) == {"*"} or _LESS_THAN.match(bare):
        return "suppressed", cell
    if _NUMBER.match(cell.replace(" ", "")) and any(ch.isdigit() for ch in cell):
        if not math.isfinite(float(cell.replace(" ", "").replace(",", "").rstrip("%"))):
            return "text", cell  # 1e999: not a finite number, so no data (reported)
        return "number", cell
    return "text", cell


def _clean_values(raw: pd.Series, report: MatchReport, blanks_by_formula: set) -> tuple[pd.Series, bool]:
    """Numbers from the value cells of matched areas, and whether every number was written with ``%``.

    Suppressed and unreadable cells become NaN; all of it is reported.
    """
    numbers = {}
    percent = thousands = 0
    for code, cell in raw.items():
        status, text = _classify_cell(cell)
        if status == "number":
            numbers[code] = text.replace(" ", "")
            percent += text.endswith("%")
            thousands += "," in text
        elif status == "suppressed":
            report.suppressed[code] = "formula with no saved result" if code in blanks_by_formula else text
        else:
            report.unreadable[code] = text
    values = to_number(pd.Series(numbers, dtype="string")).reindex(raw.index)
    if thousands:
        report.notes.append(f"{thousands} value(s) had thousands separators (e.g. 1,577), read as numbers")
    if percent:
        share = "every value" if percent == len(numbers) else f"{percent} of {len(numbers)} values"
        report.notes.append(f"{share} written with '%' read as percentages (12% is 12)")
        if percent != len(numbers):
            report.notes.append("some values have '%' and some do not: check they are on the same scale")
    if report.suppressed:
        markers = pd.Series(list(report.suppressed.values())).value_counts()
        report.notes.append("suppressed or blank values, shown as no data (not zero): "
                            + ", ".join(f"{m!r} x{n}" for m, n in markers.items()))
    if blanks_by_formula:
        report.notes.append(f"{len(blanks_by_formula)} value cell(s) hold Excel formulas with no saved result and "
                            f"read as blank; open and save the file in Excel (or paste values) to keep them")
    if report.unreadable:
        report.notes.append(f"{len(report.unreadable)} value(s) are neither finite numbers nor suppression markers "
                            f"and are shown as no data (e.g. {next(iter(report.unreadable.values()))!r})")
    return values, bool(numbers) and percent == len(numbers)


def _sort_rows(codes: pd.Series, cells: pd.Series, rows: list[int], areas: _Areas, geography: str,
               report: MatchReport) -> pd.Series:
    """Keep the rows whose code is an area of the district; list the rest by reason.

    Returns the row positions kept, indexed by code.
    """
    level_kind = _LEVEL_KIND.get(areas.level[geography])
    siblings = areas.siblings(geography)
    kept = {}
    for position, (code, cell, row) in enumerate(zip(codes, cells, rows)):
        if pd.isna(code) or code == "" or not GSS_PATTERN.match(code):
            report.not_codes.append((row, str(cell)))
        elif code in areas.local[geography]:
            kept[code] = position
        elif any(code in areas.local[s] for s in siblings):
            report.other_vintage.append(code)
        elif kind_of(code) != level_kind:
            report.other_kind[code] = kind_of(code)
        else:
            report.other_district[code] = _district_of(code, geography, siblings, areas)
    return pd.Series(kept, dtype=int)


def _district_of(code: str, geography: str, siblings: list[str], areas: _Areas) -> str:
    for g in [geography, *siblings]:
        name = areas.national.get(g, {}).get(code)
        if name is not None:
            return f"{name}, {areas.label(g)}"
    return f"not one of {areas.atlas.la_name}'s areas; another district's, or not a current code"


def _check_duplicates(codes: pd.Series, rows: list[int], filename: str, column: str) -> None:
    valid = codes[codes.notna() & codes.str.match(GSS_PATTERN.pattern).fillna(False).astype(bool)]
    duplicated = valid[valid.duplicated(keep=False)]
    if duplicated.empty:
        return
    where = {}
    for position, code in duplicated.items():
        where.setdefault(code, []).append(str(rows[position]))
    listed = "; ".join(f"{code} (rows {', '.join(r)})" for code, r in list(where.items())[:10])
    more = f" and {len(where) - 10} more" if len(where) > 10 else ""
    raise ImportFileError(
        f"{filename}: {len(where)} area code(s) appear more than once in column {column!r}: {listed}{more}. "
        f"Keep one row per area (for example, filter the file to one year or one group) and try again.")


# --- the import ------------------------------------------------------------------------------

def prepare(upload: Upload, built: Atlas, options: ImportOptions | None = None,
            source_dir: str | Path | None = None, imported_on: dt.date | None = None,
            catalogue: Catalogue | None = None) -> ImportResult:
    """Detect, clean, convert and describe an indicator file for one atlas.

    Parameters
    ----------
    upload : Upload
        From :func:`read_upload`.
    built : Atlas
        The district's atlas.
    options : ImportOptions, optional
    source_dir : path-like, optional
        Source directory (national member lists, the LSOA lookup, ward lookups).
    imported_on : datetime.date, optional
        The date shown in the layer's description (default today).
    catalogue : Catalogue, optional
        The boundary specs (the project's by default).

    Returns
    -------
    ImportResult

    Raises
    ------
    ImportFileError
        If no codes or values can be found, codes are duplicated, the value
        column is ambiguous, or no area of the district has a row.
    """
    options = dataclasses.replace(options or ImportOptions())
    options.check()
    source = _source_or_none(source_dir)
    areas = _Areas.of(built, source, catalogue)
    found = detect(upload, built, options.code_column, options.geography, areas=areas)
    value_column = _value_column(upload, found, options.value_column)
    codes = normalise_codes(pd.Series(upload.table[found.code_column], dtype=object)).reset_index(drop=True)
    _check_duplicates(codes, upload.rows, upload.filename, found.code_column)
    report = MatchReport(upload.filename, upload.sheet, found.code_column, value_column, found.geography,
                         found.geography_label, found.explanation, rows_read=len(upload.table),
                         notes=list(upload.notes))
    kept = _sort_rows(codes, upload.table[found.code_column], upload.rows, areas, found.geography, report)
    if kept.empty:
        raise ImportFileError(_nothing_matched(report, built.la_name))
    report.matched = sorted(kept.index)
    report.unmatched_areas = sorted(areas.local[found.geography] - set(kept.index))
    raw = pd.Series(upload.table[value_column].to_numpy()[kept.to_numpy()], index=kept.index)
    blanks = {code for code, p in kept.items() if (upload.rows[p], value_column) in upload.formula_blanks}
    values, all_percent = _clean_values(raw, report, blanks)
    _resolve_options(options, found, value_column, upload, report, values, all_percent)
    return _result(upload, built, areas, options, report, values, imported_on or dt.date.today())


def _nothing_matched(report: MatchReport, la_name: str) -> str:
    districts = sorted({d.split(",")[0] for d in report.other_district.values()})
    found = [f"{len(report.other_district)} are areas of other districts ({', '.join(districts[:3])})"
             if report.other_district else "",
             f"{len(report.other_vintage)} are {la_name} areas of another vintage" if report.other_vintage else "",
             f"{len(report.other_kind)} are codes of other kinds of area" if report.other_kind else "",
             f"{len(report.not_codes)} are not area codes" if report.not_codes else ""]
    return (f"{report.file}: none of the {report.rows_read} rows of column {report.code_column!r} is a "
            f"{report.geography_label} area of {la_name}: {'; '.join(f for f in found if f)}. "
            f"Check that the file is for {la_name}.")


def _value_column(upload: Upload, found: Detection, wanted: str | None) -> str:
    if wanted is not None:
        column = _find_column(upload.table, wanted, upload.filename, "value")
        if column == found.code_column:
            raise ImportFileError(f"{upload.filename}: column {column!r} holds the area codes; choose another "
                                  f"column for the values.")
        return column
    if len(found.value_columns) == 1:
        return found.value_columns[0]
    if not found.value_columns:
        raise ImportFileError(f"{upload.filename}: no column besides {found.code_column!r} holds numbers; its "
                              f"columns are: {_quoted(upload.table.columns)}.")
    raise ImportFileError(f"{upload.filename} has {len(found.value_columns)} columns of numbers: "
                          f"{_quoted(found.value_columns)}. Choose one (--value-column on the command line).")


def _resolve_options(options: ImportOptions, found: Detection, value_column: str, upload: Upload,
                     report: MatchReport, values: pd.Series, all_percent: bool) -> None:
    options.code_column, options.value_column = found.code_column, value_column
    options.geography = found.geography
    options.name = (options.name or value_column).strip() or value_column
    if options.kind is None:
        options.kind = "percentage" if all_percent else "value"
    if options.units is None:
        options.units = "%" if options.kind == "percentage" or all_percent else ""
    if options.sheet is None:
        options.sheet = upload.sheet
    if options.kind in SINGLE_VALUE_KINDS and values.dropna().mod(1).any():
        report.notes.append(f"the values are declared {options.kind}s but some are not whole numbers")


def layer_id(name: str) -> str:
    """The layer id for an imported indicator's name: ``import_`` and the name in lower-case ASCII words."""
    slug = re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_")[:48].strip("_")
    return LAYER_PREFIX + (slug or "indicator")


def _result(upload: Upload, built: Atlas, areas: _Areas, options: ImportOptions, report: MatchReport,
            values: pd.Series, imported_on: dt.date) -> ImportResult:
    native = options.geography
    notes = pd.Series("", index=values.index, dtype=object)
    for code, marker in report.suppressed.items():
        notes[code] = f"suppressed in the file ({marker})"
    for code, text in report.unreadable.items():
        notes[code] = f"not a number in the file ({text})"
    columns = {native: pd.DataFrame({"value": values, "note": notes})}
    methods = {native: "as imported"}
    for target in areas.siblings(native):
        converted = _convert_lsoa(values, notes, native, target, options.kind, areas, report)
        if converted is not None:
            columns[target], methods[target] = converted
        else:
            report.notes.append(f"not shown on {areas.label(target)}: the atlas converts values between LSOA 2011 "
                                f"and 2021 only; import a file keyed by {areas.label(target)} codes for it")
    for target, (agg, method) in _aggregate(values, native, options.kind, areas, report).items():
        if target not in columns:
            columns[target], methods[target] = agg, method
    decimals = _decimals(upload.table[options.value_column], options.kind)
    meta = {g: _meta(options, upload, areas, g, native, methods[g], decimals, imported_on) for g in columns}
    return ImportResult(layer_id(options.name), options.name, report, columns, meta, options)


def _decimals(cells: pd.Series, kind: str) -> int:
    if kind in COUNT_KINDS + SINGLE_VALUE_KINDS:
        return 0
    places = [len(m.group(1)) for m in (re.search(r"\.(\d+)", str(c)) for c in cells) if m]
    return min(max(places, default=0), 3)


def _meta(options: ImportOptions, upload: Upload, areas: _Areas, geography: str, native: str, method: str,
          decimals: int, imported_on: dt.date) -> dict:
    spec = areas.catalogue.boundaries[geography]
    description = f"Imported by the user from {upload.filename} on {imported_on.isoformat()}."
    if geography != native:
        description += f" Keyed by {areas.label(native)} in the file; shown on {areas.label(geography)}: {method}."
    return {
        "layer": layer_id(options.name), "geography": geography, "geography_label": areas.label(geography),
        "label": options.name, "kind": options.kind, "units": options.units or "", "higher_is": options.higher_is,
        "description": description, "theme": "Imported", "period": options.period or "not stated",
        "source_title": upload.filename, "source_file": upload.filename, "publisher": "imported by the user",
        "licence": "as stated in the attribution" if options.attribution else "not stated (imported by the user)",
        "attribution": options.attribution, "url": "",
        "native_geography": native, "method": method, "palette": "",
        "classification": "categorical" if options.kind == "decile" else "quantiles",
        "decimals": decimals, "has_interval": False, "boundary_attribution": spec.attribution,
    }


# --- LSOA 2011 <-> 2021 conversion ---------------------------------------------------------------

def lsoa_links(built: Atlas, source_dir: str | Path | None = None, areas: "_Areas | None" = None) -> pd.DataFrame:
    """Links between the district's LSOA 2011 and LSOA 2021 areas, with the kind of change.

    The ONS lookup held here has one row per 2011 LSOA and no change indicator:
    it lists merges (several 2011 LSOAs to one 2021 LSOA) but only one of the
    2021 LSOAs a split 2011 LSOA became. So a 2021 LSOA of the district missing
    from the lookup is linked to the 2011 LSOA that holds most of its area
    (when that is at least half of it), and marked ``"boundary overlap"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``old`` (2011 code), ``new`` (2021 code), ``change`` (``unchanged``,
        ``merged``, ``split``, ``complex``) and ``how`` (``"ONS lookup"`` or
        ``"boundary overlap"``). Empty when the atlas lacks either vintage.
    """
    areas = areas or _Areas.of(built, _source_or_none(source_dir))
    old_g, new_g = _lsoa_vintages(areas)
    if old_g is None or new_g is None or areas.source is None:
        return pd.DataFrame(columns=["old", "new", "change", "how"])
    table = read_table(areas.source, LSOA_LOOKUP, {}, "the import's LSOA 2011-2021 conversion",
                       text_columns=(LOOKUP_OLD, LOOKUP_NEW))
    require_columns(table, [LOOKUP_OLD, LOOKUP_NEW], LSOA_LOOKUP, "the import's LSOA 2011-2021 conversion")
    links = pd.DataFrame({"old": normalise_codes(table[LOOKUP_OLD]), "new": normalise_codes(table[LOOKUP_NEW])})
    old, new = areas.local[old_g], areas.local[new_g]
    links = links[links["old"].isin(old) | links["new"].isin(new)].drop_duplicates()
    links["how"] = "ONS lookup"
    missing = sorted(new - set(links["new"]))
    if missing:
        links = pd.concat([links, _links_by_overlap(built, old_g, new_g, missing)], ignore_index=True)
    per_old = links.groupby("old")["new"].transform("size")
    per_new = links.groupby("new")["old"].transform("size")
    links["change"] = np.select([(per_old == 1) & (per_new == 1), per_old == 1, per_new == 1],
                                ["unchanged", "merged", "split"], "complex")
    return links.astype({"old": object, "new": object}).reset_index(drop=True)


def _lsoa_vintages(areas: _Areas) -> tuple[str | None, str | None]:
    lsoas = {areas.catalogue.boundaries[g].vintage: g for g in areas.local if areas.level[g] == "lsoa"}
    return lsoas.get("2011"), lsoas.get("2021")


def _links_by_overlap(built: Atlas, old_g: str, new_g: str, codes: list[str]) -> pd.DataFrame:
    old = built.table(old_g)[["geometry"]]
    rows = []
    for code in codes:
        shape = built.table(new_g).geometry[code]
        overlap = old.geometry.intersection(shape).area / shape.area
        if len(overlap) and overlap.max() >= 0.5:
            rows.append((overlap.idxmax(), code))
    return pd.DataFrame(rows, columns=["old", "new"]).assign(how="boundary overlap")


def _convert_lsoa(values: pd.Series, notes: pd.Series, native: str, target: str, kind: str, areas: _Areas,
                  report: MatchReport):
    """Values on the other LSOA vintage by :data:`CONVERSION_RULE`, or None when there is none."""
    old_g, new_g = _lsoa_vintages(areas)
    if {native, target} != {old_g, new_g}:
        return None
    links = lsoa_links(areas.atlas, areas=areas)
    if links.empty:
        return None
    pairs = links.rename(columns={"old": "src", "new": "dst"} if native == old_g else {"new": "src", "old": "dst"})
    population = (_population(areas.atlas, native), _population(areas.atlas, target))
    by_target = pairs.groupby("dst", sort=False)
    sources = by_target["src"].agg(list).to_dict()
    complex_change = by_target["change"].agg(lambda c: bool((c == "complex").any())).to_dict()
    parts = pairs.groupby("src", sort=False)["dst"].agg(list).to_dict()
    rows = {code: _convert_one(code, sources.get(code, []), complex_change.get(code, False), parts, values, notes,
                               kind, *population)
            for code in sorted(areas.local[target])}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["value", "problem", "note", "change"])
    inferred = links[links["how"] == "boundary overlap"]
    changes = table["change"].value_counts()
    report.conversions.append({
        "geography": target, "geography_label": areas.label(target), "rule": CONVERSION_RULE,
        "converted": int(table["value"].notna().sum()),
        **{change: int(changes.get(change, 0)) for change in ("unchanged", "combined", "divided")},
        "no_source_value": sorted(table.index[(table["problem"] == "") & table["value"].isna()]),
        "not_converted": table.loc[table["problem"] != "", "problem"].to_dict(),
        "inferred": (f"the lookup lacks {len(inferred)} LSOA (2021) area(s) made by splits; each was linked "
                     f"to the LSOA (2011) holding most of its area: "
                     + ", ".join(f"{n} in {o}" for o, n in zip(inferred["old"], inferred["new"])))
        if len(inferred) else "",
    })
    method = (f"converted from {areas.label(native)} through the ONS LSOA 2011 to 2021 lookup "
              f"({Path(LSOA_LOOKUP).name}): {CONVERSION_RULE}")
    return table[["value", "note"]].astype({"value": float, "note": object}), method


def _convert_one(code: str, sources: list[str], complex_change: bool, parts: dict, values: pd.Series,
                 notes: pd.Series, kind: str, pop_src: pd.Series | None,
                 pop_dst: pd.Series | None) -> tuple[float, str, str, str]:
    """One target area: its value, why it cannot be converted (or ""), a note on how it was made, the change.

    ``sources`` are the source areas linked to ``code``; ``parts`` maps each source area to the
    target areas it is linked to.
    """
    if not sources:
        return np.nan, "no link in the lookup, and no single source area holds most of it", "not converted", ""
    if complex_change:
        return np.nan, f"complex boundary change (from {', '.join(sources)})", "not converted (complex change)", ""
    src_values = values.reindex(sources)
    if src_values.isna().any():
        gaps = [f"{s}: {notes.get(s) or 'no row in the file'}" for s in sources if pd.isna(src_values.get(s))]
        return np.nan, "", f"no data ({'; '.join(gaps)})", ""
    if len(sources) > 1:
        return _combine(sources, src_values, kind, pop_src)
    parent = sources[0]
    siblings = parts[parent]
    if len(siblings) == 1:
        return float(src_values.iloc[0]), "", "unchanged", "unchanged"
    if kind not in COUNT_KINDS:
        return float(src_values.iloc[0]), "", f"part of {parent}: inherits its value", "divided"
    weights = pop_dst.reindex(siblings) if pop_dst is not None else None
    if weights is None or weights.isna().any() or weights.sum() <= 0:
        return np.nan, f"no population to share {parent}'s count among {', '.join(siblings)}", "not converted", ""
    share = float(weights[code] / weights.sum())
    return float(src_values.iloc[0]) * share, "", f"part of {parent}: {share:.1%} of its count, by population", \
        "divided"


def _combine(sources: list[str], src_values: pd.Series, kind: str, pop_src: pd.Series | None):
    """Several source areas making one target area: summed counts, population-weighted rates."""
    listed = ", ".join(sources)
    if kind in SINGLE_VALUE_KINDS:
        return np.nan, f"made of {listed}: a {kind} cannot be combined", "not converted", ""
    if kind in COUNT_KINDS:
        return float(src_values.sum()), "", f"sum of {listed}", "combined"
    weights = pop_src.reindex(sources) if pop_src is not None else None
    if weights is None or weights.isna().any() or (weights <= 0).any():
        return np.nan, f"no population to weight {listed}", "not converted", ""
    value = float((src_values * weights).sum() / weights.sum())
    return value, "", f"population-weighted mean of {listed}", "combined"


def _population(built: Atlas, geography: str) -> pd.Series | None:
    """The population layer published on a geography (the weight the build uses there), if any."""
    rows = built.layers_on(geography)
    rows = rows[(rows["kind"] == "population") & (rows["native_geography"] == geography)]
    return built.values(rows["layer"].iloc[0], geography) if len(rows) else None


# --- aggregation to wards and MSOAs --------------------------------------------------------------

def _aggregate(values: pd.Series, native: str, kind: str, areas: _Areas, report: MatchReport) -> dict:
    """The layer on larger geographies that aggregate from the native one, as the build aggregates its layers."""
    from .geography import Boundaries, assign
    if kind in SINGLE_VALUE_KINDS or areas.source is None:
        return {}
    built, out, how = areas.atlas, {}, KIND_AGGREGATION[kind]
    weights = _population(built, native)
    child = Boundaries(areas.catalogue.boundaries[native], built.table(native))
    for target in areas.local:
        rule = areas.catalogue.boundaries[target].aggregate_from.get(native)
        if rule is None:
            continue
        parent = Boundaries(areas.catalogue.boundaries[target], built.table(target))
        assignment = assign(rule, child, parent, areas.source)
        parents = assignment.parent.reindex(child.frame.index)
        full = values.reindex(child.frame.index)
        result = aggregate.by_rule(how, full.to_frame("value"), "value", parents, weights)
        weight_label = None if weights is None else built.layer(weights.name, native)["label"]
        method = aggregate.method_text(how, areas.label(native), weight_label, assignment.method)
        frame = result.columns[["value"]].copy()
        frame["note"] = ""
        frame.loc[frame.index.isin(result.incomplete), "note"] = "some of its areas have no value"
        out[target] = (frame, method)
        report.aggregations.append({"geography": target, "geography_label": areas.label(target), "method": method,
                                    "incomplete": list(result.incomplete)})
    return out


# --- adding to an atlas ------------------------------------------------------------------------

def add_to_atlas(built: Atlas, result: ImportResult) -> Atlas:
    """A copy of ``built`` with the imported layer on each of its geographies.

    An earlier layer with the same id (an earlier import of the same name) is replaced.
    """
    out = without_layer(built, result.layer)
    for geography, columns in result.columns.items():
        out = out.with_layer(geography, result.layer, columns, result.meta[geography])
    return out


def without_layer(built: Atlas, layer: str) -> Atlas:
    """A copy of ``built`` without ``layer`` (its values, notes and metadata) on any geography."""
    if not (built.layers["layer"] == layer).any():
        return built
    drop = {layer, *(f"{layer}_{s}" for s in LAYER_SUFFIXES)}
    geographies = {g: f.drop(columns=[c for c in f.columns if c in drop]) for g, f in built.geographies.items()}
    layers = built.layers[built.layers["layer"] != layer].reset_index(drop=True)
    return dataclasses.replace(built, geographies=geographies, layers=layers)


# --- the command line's persistent imports -----------------------------------------------------------

def imports_folder(atlas_folder: str | Path, la_code: str) -> Path:
    """Where a district's imported files and their manifest are kept: ``<atlas folder>/imports/<LA>/``."""
    return Path(atlas_folder) / "imports" / la_code


def read_manifest(folder: Path) -> dict:
    """The manifest of imports kept in ``folder`` (layer id -> entry); empty when there is none.

    Raises
    ------
    ImportFileError
        If the manifest exists but is not valid JSON.
    """
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"The imports manifest {path} is damaged ({exc}); fix or delete it.") from exc
    problem = _manifest_problem(manifest)
    if problem:
        raise ImportFileError(f"The imports manifest {path} is damaged: {problem}. Nothing was changed; fix or "
                              f"delete it.")
    return manifest


def _manifest_problem(manifest) -> str | None:
    """What is wrong with a manifest read from disk (None when nothing is)."""
    if not isinstance(manifest, dict):
        return f"it holds a {type(manifest).__name__}, not a table of imported layers"
    for layer, entry in manifest.items():
        if not str(layer).startswith(LAYER_PREFIX):
            return f"{layer!r} is not an imported layer id (they start with {LAYER_PREFIX!r})"
        if not isinstance(entry, dict) or not isinstance(entry.get("options"), dict):
            return f"the entry of {layer} is not a table with its options"
        stored = entry.get("file")
        if not isinstance(stored, str) or stored in ("", ".", "..", MANIFEST) or Path(stored).name != stored \
                or "\\" in stored or stored.startswith("."):
            return (f"the entry of {layer} names the file {stored!r}; a kept file is a plain file name inside "
                    f"the imports folder")
    return None


def import_file(path: str | Path, la_code: str, options: ImportOptions | None = None,
                atlas_folder: str | Path | None = None, source_dir: str | Path | None = None,
                save: bool = True) -> tuple[Atlas, ImportResult]:
    """Import an indicator file into a district's built atlas on disk (the command line's ``atlas import``).

    The file is kept as ``<atlas folder>/imports/<LA>/<layer><suffix>`` with an
    entry in ``imports.json`` (the options and date), so :func:`reapply_imports`
    adds it again when the atlas is rebuilt. Every write is atomic.

    Parameters
    ----------
    path : path-like
        The CSV or ``.xlsx`` file.
    la_code : str
        The district.
    options : ImportOptions, optional
    atlas_folder : path-like, optional
        Folder of built atlases (default ``output/atlas``).
    source_dir : path-like, optional
    save : bool
        Write the atlas and keep the file (default); False only reports.

    Returns
    -------
    (Atlas, ImportResult)

    Raises
    ------
    ImportFileError, AtlasError
        If the file cannot be imported, or the district has no built atlas.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"No file {path} to import.")
    check_size(path.stat().st_size, path.name)
    folder = config.atlas_dir(atlas_folder)
    data = path.read_bytes()
    upload = read_upload(data, path.name, options.sheet if options else None)
    _load_built(folder, la_code)  # a clear error before the lock when there is no atlas
    today = dt.date.today()
    with store.locked(folder):  # concurrent imports take turns: each adds to the atlas the last one wrote
        built = _load_built(folder, la_code)
        kept = imports_folder(folder, built.la_code)
        manifest = read_manifest(kept)  # a damaged manifest stops the import before anything is written
        result = prepare(upload, built, options, source_dir, today)
        _check_layer_id(manifest, result)
        updated = add_to_atlas(built, result)
        if not save:
            return updated, result
        stored = f"{result.layer}{path.suffix.lower() or '.csv'}"
        updated = _with_import_report(updated, result)
        manifest[result.layer] = {"file": stored, "original_name": path.name, "imported_on": today.isoformat(),
                                  "options": dataclasses.asdict(result.options)}
        with store.transaction() as tx:  # the atlas, the kept file and the manifest change together
            tx.write_bytes(kept / stored, data)
            store.save(updated, folder, tx)
            tx.write_text(kept / MANIFEST, json.dumps(manifest, indent=2))
    return updated, result


def _check_layer_id(manifest: dict, result: ImportResult) -> None:
    """Refuse a name whose layer id is another import's; note when an import of the same name is replaced."""
    earlier = manifest.get(result.layer)
    if earlier is None:
        return
    name = earlier.get("options", {}).get("name")
    if name != result.label:
        raise ImportFileError(
            f"The name {result.label!r} gives the layer id {result.layer}, which the earlier import {name!r} "
            f"(from {earlier.get('original_name', earlier.get('file'))}) already has. Choose another name "
            f"(--name), or remove that layer first (--remove {result.layer}).")
    result.report.notes.append(f"replaces the layer {result.layer} imported from "
                               f"{earlier.get('original_name', earlier.get('file'))} on {earlier.get('imported_on')}")


def remove_import(la_code: str, layer: str, atlas_folder: str | Path | None = None) -> Atlas:
    """Remove an imported layer from a district's atlas on disk, and its kept file.

    Raises
    ------
    ImportFileError
        If no import of that id is kept for the district.
    """
    folder = config.atlas_dir(atlas_folder)
    _load_built(folder, la_code)
    with store.locked(folder):
        built = _load_built(folder, la_code)
        kept = imports_folder(folder, built.la_code)
        manifest = read_manifest(kept)  # checked: every kept file is a plain name inside ``kept``
        if layer not in manifest:
            have = ", ".join(manifest) or "none"
            raise ImportFileError(f"No imported layer {layer!r} in the {built.la_name} atlas; imported layers: "
                                  f"{have}.")
        entry = manifest.pop(layer)
        updated = without_layer(built, layer)
        updated.report = {**updated.report, "imports": [e for e in updated.report.get("imports", [])
                                                         if e.get("layer") != layer]}
        with store.transaction() as tx:
            store.save(updated, folder, tx)
            tx.write_text(kept / MANIFEST, json.dumps(manifest, indent=2))
            tx.remove(kept / entry["file"])
    return updated


def reapply_imports(built: Atlas, atlas_folder: str | Path, source_dir: str | Path | None = None,
                    catalogue: Catalogue | None = None) -> Atlas:
    """Add again the layers imported on the command line into ``atlas_folder`` (after a rebuild).

    An import that no longer applies (its file is gone or no longer matches)
    is left out with a warning in the build report, never silently.
    """
    kept = imports_folder(atlas_folder, built.la_code)
    try:
        manifest = read_manifest(kept)
    except ImportFileError as exc:
        built.report.setdefault("warnings", []).append(str(exc))
        return built
    for layer, entry in manifest.items():
        try:
            data = (kept / entry["file"]).read_bytes()
            options = ImportOptions(**entry["options"])
            upload = read_upload(data, entry.get("original_name", entry["file"]), options.sheet)
            result = prepare(upload, built, options, source_dir, dt.date.fromisoformat(entry["imported_on"]),
                             catalogue)
            built = _with_import_report(add_to_atlas(built, result), result)
        except (AtlasError, OSError, KeyError, TypeError, ValueError) as exc:
            built.report.setdefault("warnings", []).append(
                f"Imported layer {layer} ({kept / entry.get('file', '?')}) was not re-applied: {exc}")
    return built


def _with_import_report(built: Atlas, result: ImportResult) -> Atlas:
    entries = [e for e in built.report.get("imports", []) if e.get("layer") != result.layer]
    entries.append({"layer": result.layer, "label": result.label, "geographies": result.geographies,
                    **result.report.to_dict()})
    return dataclasses.replace(built, report={**built.report, "imports": entries})


def _load_built(folder: Path, la_code: str) -> Atlas:
    la = check_district_code(la_code)
    path = store.atlas_path(folder, la)
    if not path.is_file():
        raise AtlasError(f"No built atlas for {la} in {folder}: build it first with `atlas build --la {la}`, "
                         f"then import.")
    return store.load(path)


# --- helpers ------------------------------------------------------------------------------------

def _quoted(names) -> str:
    names = [str(n) for n in names]
    text = ", ".join(repr(n) for n in names[:30])
    return text + (f" ... ({len(names)} columns)" if len(names) > 30 else "")


def _pairs(mapping: dict) -> list[str]:
    return [f"{k} ({v})" for k, v in mapping.items()]


def _short_text(items: list) -> str:
    items = [str(i) for i in items]
    more = f" ... and {len(items) - _LIST} more" if len(items) > _LIST else ""
    return ", ".join(items[:_LIST]) + more
