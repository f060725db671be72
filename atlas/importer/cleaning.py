"""Cleaning an import's values: numbers, suppressed and missing cells, rows outside the district, duplicates."""

from __future__ import annotations

import math
import re

import pandas as pd

from ..codes import GSS_PATTERN, kind_of
from ..readers import SUPPRESSION_MARKERS, to_number
from .common import ImportFileError
from .district import DistrictAreas
from .options import MatchReport

_LEVEL_KIND = {"lsoa": "LSOA", "msoa": "MSOA", "ward": "electoral ward", "oa": "output area"}
_MARKERS = {m.lower() for m in SUPPRESSION_MARKERS}
_NUMBER = re.compile(r"^[+-]?((\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)([eE][+-]?\d+)?%?$")
_LESS_THAN = re.compile(r"^<\s*\d+(\.\d+)?$")


# --- cleaning --------------------------------------------------------------------------------

def classify_cell(text: str) -> tuple[str, str]:
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


def clean_values(raw: pd.Series, report: MatchReport, blanks_by_formula: set) -> tuple[pd.Series, bool]:
    """Numbers from the value cells of matched areas, and whether every number was written with ``%``.

    Suppressed and unreadable cells become NaN; all of it is reported.
    """
    numbers = {}
    percent = thousands = 0
    for code, cell in raw.items():
        status, text = classify_cell(cell)
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


def sort_rows(codes: pd.Series, cells: pd.Series, rows: list[int], areas: DistrictAreas, geography: str,
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


def _district_of(code: str, geography: str, siblings: list[str], areas: DistrictAreas) -> str:
    for g in [geography, *siblings]:
        name = areas.national.get(g, {}).get(code)
        if name is not None:
            return f"{name}, {areas.label(g)}"
    return f"not one of {areas.atlas.la_name}'s areas; another district's, or not a current code"


def check_duplicates(codes: pd.Series, rows: list[int], filename: str, column: str) -> None:
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
