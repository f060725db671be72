"""An import's options and results: what the user chose, the file as read, what was detected and the match report."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from ..specs import POLARITIES
from .common import CONVERSION_RULE, IMPORT_KINDS, ImportFileError, labelled_pairs, short_text

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
            ("Duplicate codes", 0),  # a file with duplicate codes is refused (check_duplicates)
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
        listed = [("suppressed", list(self.suppressed)), ("not a number", labelled_pairs(self.unreadable)),
                  ("left out, not in the district", labelled_pairs(self.other_district)),
                  ("left out, another vintage", self.other_vintage),
                  ("left out, another kind of area", labelled_pairs(self.other_kind)),
                  ("left out, not area codes", [f"row {r}: {t!r}" for r, t in self.not_codes]),
                  ("areas with no row", self.unmatched_areas)]
        out += [f"  {title}: {short_text(items)}" for title, items in listed if items]
        for c in self.conversions:
            out.append(f"  converted to {c['geography_label']}: {c['converted']} areas with a value "
                       f"({c['unchanged']} unchanged, {c['combined']} made of several, {c['divided']} parts of "
                       f"one); no data because the source has none: {len(c['no_source_value'])}; "
                       f"not converted: {len(c['not_converted'])}"
                       + (f" ({short_text(labelled_pairs(c['not_converted']))})" if c["not_converted"] else ""))
            if c.get("inferred"):
                out.append(f"    {c['inferred']}")
        if self.conversions:
            out.append(f"  conversion rule: {CONVERSION_RULE}")
        for a in self.aggregations:
            out.append(f"  aggregated to {a['geography_label']}: {a['method']}"
                       + (f"; some areas lack a value in: {short_text(a['incomplete'])}" if a["incomplete"] else ""))
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
