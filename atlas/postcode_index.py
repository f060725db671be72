"""Postcode lookups: reading them, and a cached index of the postcodes a build needs.

OS Code-Point Open holds 1.7 million postcodes in 120 files. A build needs only

* the postcodes of the organisations of its point sets (practices, pharmacies ...),
  to place them, and
* the postcode sectors of its districts and how many postcodes they hold, to
  tell which unmatched postcodes may be in the district.

:func:`organisation_postcodes` keeps both in ``<output>/cache/postcodes/`` (two
small Parquet files), made once from the whole lookup and made again when a
lookup file or a point set's file changes; a build then reads tens of thousands
of rows, not millions.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from pathlib import Path

import pandas as pd

from . import config
from .errors import SourceFileError
from .readers import read_table, require_columns
from .specs import PointSetSpec, PostcodeSpec

#: Bump when the cache's layout changes.
CACHE_VERSION = 1


def normalise_postcodes(postcodes: pd.Series) -> pd.Series:
    """Postcodes in capitals without any spaces (``"lu1 1aa"`` -> ``"LU11AA"``); NaN kept."""
    return postcodes.astype("string").str.upper().str.replace(" ", "", regex=False).str.strip().replace("", pd.NA)


def postcode_sector(postcodes: pd.Series) -> pd.Series:
    """The postcode sector (outward code and the inward digit: ``"LU1 1"``) of normalised postcodes."""
    clean = normalise_postcodes(postcodes)
    return clean.str.slice(0, -3) + " " + clean.str.slice(-3, -2)


def lookup_files(spec: PostcodeSpec, source_dir: Path) -> list[str]:
    """The lookup's files (relative to the source directory), sorted.

    Raises
    ------
    SourceFileError
        If no file matches the spec's glob.
    """
    base = Path(source_dir)
    files = sorted(str(Path(f).relative_to(base)) for f in glob.glob(str(base / spec.files)))
    if not files:
        raise SourceFileError(f"No postcode lookup file matches {spec.files} (wanted by {spec.spec_file}) in the "
                              f"source directory {source_dir}.")
    return files


def read_postcodes(spec: PostcodeSpec, source_dir: Path) -> pd.DataFrame:
    """Every postcode of a lookup, indexed by normalised postcode.

    Returns
    -------
    pandas.DataFrame
        Columns ``x``, ``y`` (in the spec's CRS), ``district`` and ``country``
        (when the lookup has them) and ``postcode`` as written.

    Raises
    ------
    SourceFileError
        If no file matches the spec's glob, or a named column is missing.
    """
    files = lookup_files(spec, source_dir)
    wanted = [c for c in (spec.postcode, spec.x, spec.y, spec.district, spec.country) if c]
    text = tuple(c for c in (spec.postcode, spec.district, spec.country) if c)
    parts = [_read_one(spec, Path(source_dir), relative, wanted, text) for relative in files]
    table = pd.concat(parts, ignore_index=True)
    out = pd.DataFrame({
        "postcode": table[spec.postcode].astype("string").str.strip(),
        "x": pd.to_numeric(table[spec.x], errors="coerce"),
        "y": pd.to_numeric(table[spec.y], errors="coerce"),
        "district": table[spec.district].astype("string").str.strip() if spec.district else pd.NA,
        "country": table[spec.country].astype("string").str.strip() if spec.country else pd.NA,
    })
    out.index = pd.Index(normalise_postcodes(out["postcode"]).to_numpy(), name="postcode_key")
    out = out[out.index.notna() & out["x"].notna() & out["y"].notna()]
    out.attrs["files"] = files
    return out[~out.index.duplicated(keep="first")]


def _read_one(spec: PostcodeSpec, base: Path, relative: str, wanted: list, text: tuple) -> pd.DataFrame:
    names = spec.reader.get("columns")
    if names and set(spec.reader) <= {"columns", "encoding"}:
        # header-less national files: read only the wanted columns, and keep them out of the readers' cache
        path = base / relative
        try:
            table = pd.read_csv(path, header=None, names=names, usecols=[c for c in wanted if c in names],
                                dtype={c: str for c in text if c in names},
                                encoding=spec.reader.get("encoding", "utf-8-sig"))
        except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise SourceFileError(f"Cannot read {relative} (wanted by {spec.spec_file}): {exc}") from exc
    else:
        table = read_table(base, relative, spec.reader, spec.spec_file, text_columns=text)
    require_columns(table, wanted, relative, spec.spec_file)
    return table[wanted]


def organisation_postcodes(spec: PostcodeSpec, users: list[PointSetSpec], source_dir: Path,
                           cache_dir: Path | None = None) -> pd.DataFrame:
    """The lookup's postcodes that the point sets' files use, with every district's sectors.

    Parameters
    ----------
    spec : PostcodeSpec
    users : list of PointSetSpec
        The point sets placed through this lookup.
    source_dir : pathlib.Path
    cache_dir : pathlib.Path, optional
        Where the index is kept; ``<output>/cache/postcodes`` by default.

    Returns
    -------
    pandas.DataFrame
        As :func:`read_postcodes`, cut down to the organisations' postcodes;
        ``attrs["sectors"]`` has columns ``district``, ``sector`` and
        ``postcodes`` (how many postcodes of the lookup) for the whole lookup,
        and ``attrs["files"]`` the lookup's files.
    """
    source_dir = Path(source_dir)
    files = lookup_files(spec, source_dir)
    user_files = sorted({u.file for u in users})
    folder = (Path(cache_dir) if cache_dir else config.out_dir() / "cache" / "postcodes") / _key(
        spec, users, source_dir, files + user_files)
    points_path, sectors_path = folder / "postcodes.parquet", folder / "sectors.parquet"
    if not (points_path.is_file() and sectors_path.is_file()):
        _write_index(spec, users, source_dir, folder)
    out = pd.read_parquet(points_path)
    out.attrs["sectors"] = pd.read_parquet(sectors_path)
    out.attrs["files"] = files
    return out


def _key(spec: PostcodeSpec, users: list[PointSetSpec], source_dir: Path, files: list[str]) -> str:
    stamps = []
    for relative in files:
        path = source_dir / relative
        stat = path.stat() if path.exists() else None
        stamps.append([relative, stat.st_mtime_ns if stat else None, stat.st_size if stat else None])
    described = {"version": CACHE_VERSION, "source": str(source_dir.resolve()), "spec": spec.spec_file,
                 "columns": [spec.postcode, spec.x, spec.y, spec.district, spec.country],
                 "users": sorted([u.file, u.postcode, json.dumps(u.reader, sort_keys=True)] for u in users),
                 "files": stamps}
    return hashlib.sha1(json.dumps(described, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _write_index(spec: PostcodeSpec, users: list[PointSetSpec], source_dir: Path, folder: Path) -> None:
    lookup = read_postcodes(spec, source_dir)
    used: set = set()
    for user in users:
        table = read_table(source_dir, user.file, user.reader, user.spec_file, text_columns=(user.postcode,))
        require_columns(table, [user.postcode], user.file, user.spec_file)
        used |= set(normalise_postcodes(table[user.postcode]).dropna())
    keys = pd.Series(lookup.index, index=lookup.index)
    sectors = pd.DataFrame({"district": lookup["district"].to_numpy(),
                            "sector": postcode_sector(keys).to_numpy()})
    sectors = sectors.groupby(["district", "sector"], dropna=False).size().rename("postcodes").reset_index()
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in (("postcodes.parquet", lookup[lookup.index.isin(used)]), ("sectors.parquet", sectors)):
        tmp = folder / f"{name}.{os.getpid()}.tmp"  # builds running at once do not write one file
        frame.to_parquet(tmp)
        tmp.replace(folder / name)
