"""Reading an uploaded file: CSV or Excel, its encoding, separator, decimal commas, header row and sheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pandas as pd

from ..codes import GSS_PATTERN
from ..errors import naming
from .common import ImportFileError
from .options import Upload

#: Suffixes of files that are not tables (boundaries, databases, archives): refused by name.
NOT_TABLES = (".geojson", ".json", ".gpkg", ".shp", ".kml", ".kmz", ".zip", ".sqlite", ".db", ".parquet",
              ".pdf", ".docx")
#: Largest file accepted, in bytes (every LSOA in England, one value each, is about 1.5 MB).
#: The size limit of an imported file, in MB: the app's uploader (``server.maxUploadSize``), ``atlas import`` and
#: the README state this one figure.
MAX_UPLOAD_MB = 10
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
#: Largest unpacked size of an Excel workbook (a guard against zip bombs).
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
#: Most data rows read.
MAX_ROWS = 200_000
#: Most cells read from a sheet (a cap on memory: rows times columns).
MAX_CELLS = 4_000_000


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
    if suffix in NOT_TABLES:
        raise ImportFileError(f"{name}: {suffix} files (maps or databases) are not read here; give a table of area "
                              f"codes as CSV or an Excel workbook (.xlsx).")
    with naming(name, ImportFileError, "a CSV file or an Excel workbook (.xlsx)"):  # any parser error names it
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
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{name} starts as UTF-16 text (Excel's 'Unicode text') but is not valid UTF-16 "
                                  f"({exc.reason} at byte {exc.start}); save it again, or as 'CSV UTF-8'.") from exc
        return text, ["read as UTF-16 text (Excel's 'Unicode text'); byte-order mark removed"]
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
