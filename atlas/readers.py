"""Reading source tables and turning their columns into indicator values.

Official files have quirks: byte-order marks, numbers written with thousands
separators (``"29,199"``), suppression markers, header-less ODS extracts, long
tables with one row per sex or age band. The reader options in a spec say how
to read each file; this module applies them and checks that the columns a spec
names are really there.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SourceFileError
from .specs import IndicatorSpec, SourceSpec

#: Cell values read as "suppressed or not available" unless a spec says otherwise.
SUPPRESSION_MARKERS = ["*", "c", "..", ".", "-", "x", ":", "z", "n/a", "N/A", ""]

_READER_OPTIONS = {"encoding", "thousands", "sheet", "skiprows", "sep", "header", "columns", "na_values",
                   "decimal", "engine", "usecols_only"}


def resolve(source_dir: Path, relative: str, wanted_by: str) -> Path:
    """Return the path of a source file, or raise an error naming file and spec.

    Parameters
    ----------
    source_dir : pathlib.Path
        The source directory.
    relative : str
        The file's path relative to it, as written in the spec.
    wanted_by : str
        The spec that wants the file (named in the error).

    Raises
    ------
    SourceFileError
        If the file does not exist.
    """
    path = Path(source_dir) / relative
    if not path.is_file():
        raise SourceFileError(
            f"Missing source file {relative} (wanted by {wanted_by}): not found in the source "
            f"directory {source_dir}. Check the spec's file name, or the source directory setting "
            f"(ATLAS_SOURCE_DIR / --source)."
        )
    return path


def read_table(source_dir: Path, relative: str, reader: dict, wanted_by: str,
               text_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV or Excel table as a spec describes it.

    Parameters
    ----------
    source_dir : pathlib.Path
        The source directory.
    relative : str
        File path relative to the source directory.
    reader : dict
        Reader options from the spec: ``encoding`` (default ``utf-8-sig``, which
        strips a byte-order mark), ``thousands`` (default ``,``), ``sep``,
        ``sheet`` (Excel), ``skiprows``, ``header``, ``columns`` (names for a
        header-less file), ``na_values`` (suppression markers).
    wanted_by : str
        The spec that wants the file, named in errors.
    text_columns : tuple of str
        Columns to keep as text (codes), whatever they look like.

    Returns
    -------
    pandas.DataFrame
        A fresh copy the caller may change.

    Raises
    ------
    SourceFileError
        If the file is missing or cannot be parsed.
    """
    unknown = set(reader) - _READER_OPTIONS
    if unknown:
        raise SourceFileError(f"{wanted_by}: unknown reader option(s) {', '.join(sorted(unknown))}; "
                              f"known: {', '.join(sorted(_READER_OPTIONS))}")
    path = resolve(source_dir, relative, wanted_by)
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in reader.items()))
    stat = path.stat()
    table = _read_cached(str(path), stat.st_mtime_ns, stat.st_size, frozen, tuple(sorted(text_columns)),
                         wanted_by)
    return table.copy()


@functools.lru_cache(maxsize=32)
def _read_cached(path: str, _mtime: int, _size: int, frozen: tuple, text_columns: tuple,
                 wanted_by: str) -> pd.DataFrame:
    options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in frozen}
    na_values = options.get("na_values", SUPPRESSION_MARKERS)
    dtype = {c: str for c in text_columns}
    try:
        if path.endswith((".xlsx", ".xls")):
            table = pd.read_excel(path, sheet_name=options.get("sheet", 0), skiprows=options.get("skiprows"),
                                  header=options.get("header", 0), na_values=na_values, dtype=dtype,
                                  keep_default_na=True)
        else:
            header = options.get("header", 0)
            names = options.get("columns")
            if names:
                header = None
            table = pd.read_csv(path, encoding=options.get("encoding", "utf-8-sig"),
                                thousands=options.get("thousands", ","), sep=options.get("sep", ","),
                                skiprows=options.get("skiprows"), header=header, names=names,
                                na_values=na_values, keep_default_na=True, dtype=dtype,
                                decimal=options.get("decimal", "."), engine=options.get("engine", "c"),
                                # the python engine (multi-byte separators such as '¬') has no low_memory
                                **({} if options.get("engine") == "python" else {"low_memory": False}))
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError, OSError, KeyError) as exc:
        raise SourceFileError(f"Cannot read {path} (wanted by {wanted_by}): {exc}") from exc
    table.columns = [str(c).strip() for c in table.columns]
    return table


def require_columns(table: pd.DataFrame, columns, relative: str, wanted_by: str) -> None:
    """Raise a clear error if any of ``columns`` is not in ``table``.

    Raises
    ------
    SourceFileError
        Naming the file, the spec, the missing column(s) and the columns present.
    """
    missing = [c for c in columns if c not in table.columns]
    if missing:
        present = ", ".join(repr(c) for c in table.columns[:30])
        more = "" if len(table.columns) <= 30 else f" ... ({len(table.columns)} columns)"
        raise SourceFileError(
            f"{relative} (wanted by {wanted_by}) has no column {', '.join(repr(m) for m in missing)}; "
            f"the file's columns are: {present}{more}"
        )


def normalise_codes(codes: pd.Series) -> pd.Series:
    """Area codes as upper-case text without surrounding spaces (NaN kept)."""
    return codes.astype("string").str.strip().str.upper()


def to_number(values: pd.Series) -> pd.Series:
    """Finite numbers from a column that may hold text such as ``"1,577"``, ``"12%"`` or ``"c"``.

    Suppression markers and other non-numbers become NaN, and so do infinite
    values (``inf``, ``1e999``): no statistic or legend is computed from them.
    How many were infinite is in the result's ``attrs["non_finite"]``, for the
    caller's report. This is the one gate every number read from a file passes.
    """
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype(float)
    else:
        text = values.astype("string").str.strip().str.replace(",", "", regex=False).str.rstrip("%")
        numbers = pd.to_numeric(text, errors="coerce").astype(float)
    return finite(numbers)


def finite(numbers: pd.Series) -> pd.Series:
    """``numbers`` with infinite values as NaN; their count in ``attrs["non_finite"]``."""
    infinite = np.isinf(numbers.to_numpy(dtype=float, na_value=np.nan))
    out = numbers.mask(infinite) if infinite.any() else numbers.copy()
    out.attrs["non_finite"] = int(infinite.sum())
    return out


def read_source(source: SourceSpec, source_dir: Path) -> pd.DataFrame:
    """Read a layer spec's source table with its key column as normalised codes.

    Rows failing the source's ``where`` filter, or whose key does not start with
    ``key_prefix``, are dropped (both declared in the spec, never silent).

    Raises
    ------
    SourceFileError
        If the file is missing or its key column (or a filter column) is absent.
    """
    table = read_table(source_dir, source.file, source.reader, source.spec_file, text_columns=(source.key,))
    require_columns(table, [source.key, *source.where], source.file, source.spec_file)
    table = apply_where(table, source.where)
    table[source.key] = normalise_codes(table[source.key])
    table = table[table[source.key].notna()]
    if source.key_prefix:
        table = table[table[source.key].str.startswith(source.key_prefix)]
    return table


def apply_where(table: pd.DataFrame, where: dict) -> pd.DataFrame:
    """The rows of ``table`` passing a spec's ``where`` filter (column -> allowed value or list, compared as text)."""
    for column, wanted in where.items():
        allowed = wanted if isinstance(wanted, list) else [wanted]
        table = table[member_of(table[column].astype(str), [str(a) for a in allowed])]
    return table


def member_of(values: pd.Series, allowed) -> np.ndarray:
    """Boolean array: is each text value one of ``allowed``? (Arrow's ``is_in``: pandas' ``isin``
    on Arrow-backed strings loops in Python and is slow on national files.)"""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(allowed, (pd.Index, pd.Series)):
        allowed = pd.Series(list(allowed), dtype=object)
    wanted = pa.array(pd.Series(allowed).astype("string").dropna(), type=pa.string())
    column = pa.array(values.astype("string"), type=pa.string())
    return np.asarray(pc.is_in(column, value_set=wanted).fill_null(False), dtype=bool)


def indicator_frame(table: pd.DataFrame, indicator: IndicatorSpec) -> pd.DataFrame:
    """Values of one indicator keyed by area code.

    Parameters
    ----------
    table : pandas.DataFrame
        The source table from :func:`read_source`.
    indicator : IndicatorSpec

    Returns
    -------
    pandas.DataFrame
        Indexed by code, with ``value`` and, when the spec has them, ``lower``,
        ``upper``, ``numerator`` and ``denominator``.

    Raises
    ------
    SourceFileError
        If a column is missing, or a code appears more than once after the
        indicator's filter (the error lists the duplicated codes).
    """
    source = indicator.source
    wanted_by = f"{source.spec_file} indicator {indicator.id!r}"
    require_columns(table, indicator.source_columns(), source.file, wanted_by)
    rows = apply_where(table, indicator.where)
    key = rows[source.key]
    duplicated = key[key.duplicated()].unique()
    if len(duplicated):
        sample = ", ".join(duplicated[:10])
        raise SourceFileError(
            f"{source.file} (wanted by {wanted_by}): {len(duplicated)} code(s) appear more than once "
            f"in column {source.key!r}, e.g. {sample}. Add a 'where' filter to the spec so each code has one row."
        )
    out = pd.DataFrame(index=pd.Index(key.to_numpy(), name="code"))
    numeric = [indicator.column, *indicator.numerator, indicator.denominator, indicator.lower, indicator.upper]
    out.attrs["non_finite"] = sum(to_number(rows[c]).attrs["non_finite"] for c in dict.fromkeys(numeric) if c)
    if indicator.column:
        out["value"] = to_number(rows[indicator.column]).to_numpy()
    else:
        numerator = sum(to_number(rows[c]).to_numpy() for c in indicator.numerator)
        denominator = to_number(rows[indicator.denominator]).to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(denominator > 0, numerator / denominator * indicator.scale, np.nan)
        out["value"] = value
        out["numerator"] = numerator
        out["denominator"] = denominator
        if indicator.interval == "wilson":
            from .stats.rates import proportion_interval  # (here: atlas.stats imports this module)
            lower, upper = proportion_interval(numerator, denominator)
            out["lower"], out["upper"] = lower * indicator.scale, upper * indicator.scale
    for bound in ("lower", "upper"):
        column = getattr(indicator, bound)
        if column:
            out[bound] = to_number(rows[column]).to_numpy()
    return out
