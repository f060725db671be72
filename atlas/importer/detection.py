"""Detection: which column holds the area codes, which geography they are, and which columns hold numbers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import config
from ..area_members import area_set_geographies
from ..codes import DISTRICT_PREFIXES, GSS_PATTERN, kind_of
from ..errors import SourceDirError
from ..model import Atlas
from ..readers import normalise_codes
from .cleaning import classify_cell
from .common import ImportFileError, quoted_names
from .district import DistrictAreas
from .options import Detection, Upload

_DETECT_ROWS = 2000  # rows looked at to tell which columns hold numbers


# --- detection -------------------------------------------------------------------------------

def detect(upload: Upload, built: Atlas, code_column: str | None = None, geography: str | None = None,
           source_dir: str | Path | None = None, areas: "DistrictAreas | None" = None) -> Detection:
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
    areas = areas or DistrictAreas.of(built, source_or_none(source_dir))
    table = upload.table
    if geography in area_set_geographies(built):
        raise ImportFileError(_area_set_message(built, geography, upload.filename))
    if code_column is not None:
        column = find_column(table, code_column, upload.filename, "code")
        candidates = [column]
    else:
        candidates = code_columns(table)
        keyed_by_set = _keyed_by_area_set(table, built) if not candidates else None
        if keyed_by_set:
            raise ImportFileError(_area_set_message(built, keyed_by_set, upload.filename))
        if not candidates:
            raise ImportFileError(
                f"{upload.filename}: no column holds ONS area codes (such as E01015693 for an LSOA or E05014735 "
                f"for a ward); its columns are: {quoted_names(table.columns)}. Add a column of area codes.")
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


def _keyed_by_area_set(table: pd.DataFrame, built: Atlas) -> str | None:
    """The area set whose area codes or names fill most of a column of the file (None when there is none)."""
    for geography in area_set_geographies(built):
        frame = built.table(geography)
        own = {str(v).strip().casefold() for v in [*frame.index, *frame["name"]]}
        for column in table.columns:
            cells = pd.Series(table[column]).astype(str).str.strip().str.casefold()
            filled = cells[cells != ""]
            if len(filled) and filled.isin(own).mean() >= 0.5:
                return geography
    return None


def _area_set_message(built: Atlas, geography: str, filename: str) -> str:
    label = built.geography_labels.get(geography, geography)
    return (f"{filename}: its areas are those of the area set {label}; an indicator cannot be imported keyed by an "
            f"area set's own codes. Import it keyed by LSOA codes (2011 or 2021): it is then shown on the LSOAs and "
            f"aggregated to every area set of {built.la_name} by the set's membership, as wards are.")


def source_or_none(source_dir) -> Path | None:
    try:
        return config.source_dir(source_dir)
    except SourceDirError:
        return None


def find_column(table: pd.DataFrame, wanted: str, filename: str, what: str) -> str:
    if wanted in table.columns:
        return wanted
    folded = {str(c).strip().lower(): c for c in table.columns}
    if str(wanted).strip().lower() in folded:
        return folded[str(wanted).strip().lower()]
    raise ImportFileError(f"{filename} has no column {wanted!r} (asked for as the {what} column); "
                          f"its columns are: {quoted_names(table.columns)}.")


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


def _choose_geography(codes: set, areas: DistrictAreas, forced: str | None, filename: str, column: str,
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


def _no_geography_message(gss: set, areas: DistrictAreas, filename: str, column: str, la_name: str) -> str:
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
        statuses = [classify_cell(v)[0] for v in table[column].iloc[:_DETECT_ROWS]]
        numbers = statuses.count("number")
        readable = numbers + statuses.count("text")
        if numbers and numbers >= 0.8 * readable:
            out.append(column)
    return out
