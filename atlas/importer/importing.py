"""The import: an uploaded file prepared as a layer of the atlas, with its match report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pandas as pd

from ..model import Atlas
from ..readers import normalise_codes
from ..specs import Catalogue
from .aggregation import aggregate_import
from .cleaning import check_duplicates, clean_values, sort_rows
from .common import COUNT_KINDS, LAYER_PREFIX, SINGLE_VALUE_KINDS, ImportFileError, quoted_names
from .conversion import convert_lsoa
from .detection import detect, find_column, source_or_none
from .district import DistrictAreas
from .options import Detection, ImportOptions, ImportResult, MatchReport, Upload

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
    source = source_or_none(source_dir)
    areas = DistrictAreas.of(built, source, catalogue)
    found = detect(upload, built, options.code_column, options.geography, areas=areas)
    value_column = _value_column(upload, found, options.value_column)
    codes = normalise_codes(pd.Series(upload.table[found.code_column], dtype=object)).reset_index(drop=True)
    check_duplicates(codes, upload.rows, upload.filename, found.code_column)
    report = MatchReport(upload.filename, upload.sheet, found.code_column, value_column, found.geography,
                         found.geography_label, found.explanation, rows_read=len(upload.table),
                         notes=list(upload.notes))
    kept = sort_rows(codes, upload.table[found.code_column], upload.rows, areas, found.geography, report)
    if kept.empty:
        raise ImportFileError(_nothing_matched(report, built.la_name))
    report.matched = sorted(kept.index)
    report.unmatched_areas = sorted(areas.local[found.geography] - set(kept.index))
    raw = pd.Series(upload.table[value_column].to_numpy()[kept.to_numpy()], index=kept.index)
    blanks = {code for code, p in kept.items() if (upload.rows[p], value_column) in upload.formula_blanks}
    values, all_percent = clean_values(raw, report, blanks)
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
        column = find_column(upload.table, wanted, upload.filename, "value")
        if column == found.code_column:
            raise ImportFileError(f"{upload.filename}: column {column!r} holds the area codes; choose another "
                                  f"column for the values.")
        return column
    if len(found.value_columns) == 1:
        return found.value_columns[0]
    if not found.value_columns:
        raise ImportFileError(f"{upload.filename}: no column besides {found.code_column!r} holds numbers; its "
                              f"columns are: {quoted_names(upload.table.columns)}.")
    raise ImportFileError(f"{upload.filename} has {len(found.value_columns)} columns of numbers: "
                          f"{quoted_names(found.value_columns)}. Choose one (--value-column on the command line).")


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


def _result(upload: Upload, built: Atlas, areas: DistrictAreas, options: ImportOptions, report: MatchReport,
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
        converted = convert_lsoa(values, notes, native, target, options.kind, areas, report)
        if converted is not None:
            columns[target], methods[target] = converted
        else:
            report.notes.append(f"not shown on {areas.label(target)}: the atlas converts values between LSOA 2011 "
                                f"and 2021 only; import a file keyed by {areas.label(target)} codes for it")
    for target, (agg, method) in aggregate_import(values, native, options.kind, areas, report).items():
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


def _set_attribution(areas: DistrictAreas, geography: str, native: str) -> str:
    """An area set's boundary attribution (it has no spec): its own layers', else the native LSOAs'."""
    layers = areas.atlas.layers
    found = layers.loc[layers["geography"] == geography, "boundary_attribution"].dropna()
    return str(found.iloc[0]) if len(found) else areas.catalogue.boundaries[native].attribution


def _meta(options: ImportOptions, upload: Upload, areas: DistrictAreas, geography: str, native: str, method: str,
          decimals: int, imported_on: dt.date) -> dict:
    spec = areas.catalogue.boundaries.get(geography)
    boundary_attribution = spec.attribution if spec else _set_attribution(areas, geography, native)
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
        "decimals": decimals, "has_interval": False, "boundary_attribution": boundary_attribution,
    }
