"""Fetching: every file of the catalogue into a source directory, converted, checked and recorded."""

from __future__ import annotations

import datetime as dt
import fnmatch
import gzip
import hashlib
import json
import os
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..codes import ENGLAND, check_district_code
from ..districts import list_districts
from ..errors import SourceFileError, SpecError
from ..geography import district_members, read_boundaries, read_boundary_file
from ..readers import normalise_codes, read_table, require_columns
from ..specs import BoundarySpec, Catalogue
from .common import CACHE, CODES_PER_QUERY, STAGING, FetchError, short
from .manifest import Manifest
from .refs import FileRef, file_refs, is_glob
from .transfer import arcgis_query, download_file


@dataclass
class FetchResult:
    """What a run did.

    Attributes
    ----------
    fetched, skipped : list of str
        Files written now, and files already complete per the manifest.
    empty : list of str
        Per-district files not written because the district has no areas of that set.
    failed : list of tuple
        (file, error message) for each file that could not be fetched.
    missing : list of FileRef
        Files no spec gives an address for.
    """

    fetched: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    empty: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    missing: list = field(default_factory=list)


class Fetcher:
    """Fetches every file of the catalogue into a source directory.

    Parameters
    ----------
    out : path-like
        The source directory to fill (created if needed).
    la : str, optional
        Only this district's per-district files (boundaries); all districts otherwise.
    catalogue : Catalogue, optional
        The specs; the project's by default (``root`` says where they are).
    root : path-like, optional
        Folder holding the specs' ``boundaries/`` and ``layers/``.
    timeout : float
        Seconds to wait for a server before giving up.
    mirrors : dict, optional
        URL prefix -> replacement, to fetch the official addresses through a mirror.
    keep_downloads : bool
        Keep the published files (zips, workbooks) in ``.fetch-downloads/`` after a
        successful run (they are always kept after a failed one, for resuming).
    stream : file, optional
        Where progress goes (stderr by default).
    """

    def __init__(self, out, la: str | None = None, catalogue: Catalogue | None = None, root=None,
                 timeout: float = 60, mirrors: dict | None = None, keep_downloads: bool = False, stream=None):
        self.out = Path(out)
        self.la = None if la in (None, ENGLAND) else check_district_code(la)
        self.root = root
        self.catalogue = catalogue or Catalogue.load(root)
        self.timeout = timeout
        self.mirrors = dict(mirrors or {})
        self.keep_downloads = keep_downloads
        self.stream = stream or sys.stderr
        self.cache = self.out / CACHE
        self.staging = self.out / STAGING
        self._districts: list[str] | None = None

    def refs(self) -> list[FileRef]:
        """Every file the catalogue reads, in the order they are fetched."""
        return file_refs(self.catalogue)

    def run(self) -> FetchResult:
        """Fetch what is not complete yet; go on past failures and report them all.

        Returns
        -------
        FetchResult
        """
        self.out.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(self.out)
        result = FetchResult()
        for ref in self.refs():
            if ref.download is None:
                result.missing.append(ref)
                continue
            for la in (self.districts() if ref.per_district else [None]):
                self._fetch_one(ref, la, result)
        shutil.rmtree(self.staging, ignore_errors=True)
        if not result.failed and not self.keep_downloads:
            shutil.rmtree(self.cache, ignore_errors=True)
        return result

    def districts(self) -> list[str]:
        """The districts whose per-district files are fetched: ``la``, or every one the tables list."""
        if self._districts is None:
            if self.la:
                self._districts = [self.la]
            else:
                self._districts = list(list_districts(self.catalogue, self.out)["code"])
        return self._districts

    def _fetch_one(self, ref: FileRef, la: str | None, result: FetchResult) -> None:
        target = ref.target(la)
        if self.manifest.complete(target):
            result.skipped.append(target)
            return
        self._say(f"fetching {target}")
        try:
            written = self._fetch(ref, la, target)
        except (FetchError, SourceFileError) as exc:
            result.failed.append((target, str(exc)))
            self._say(f"  FAILED: {exc}")
            return
        finally:
            shutil.rmtree(self.staging, ignore_errors=True)
        if not written:
            result.empty.append(target)
            self._say(f"  no areas of this set for {la}: nothing written")
            return
        entry = {"url": ref.download.address, "converted": "; ".join(ref.download.steps(target)),
                 "fetched": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                 "spec": ref.wanted_by}
        if ref.download.third_party:
            entry["third_party"] = ref.download.third_party
        self.manifest.record(target, written, entry)
        result.fetched.extend(written)
        self._say(f"  wrote {', '.join(written)}")

    def _say(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def _mirror(self, url: str) -> str:
        for prefix, replacement in self.mirrors.items():
            if url.startswith(prefix):
                return replacement + url[len(prefix):]
        return url

    # -- one file

    def _fetch(self, ref: FileRef, la: str | None, target: str) -> list[str]:
        """Fetch, convert and check one file in the staging folder; move it into place."""
        download = ref.download
        if download.arcgis:
            clauses = self._where_clauses(ref, la)
            features = []
            for where in clauses:
                features += arcgis_query(self._mirror(download.arcgis), where, ref.boundary is not None,
                                         self.timeout)
            if not features:
                if ref.per_district:
                    return []
                raise FetchError(f"{download.arcgis} returned no rows for where {short(download.where)}")
            staged = self._write_features(ref, features, target)
        else:
            staged = self._convert(ref, self._download(download.url), target)
        self._check(ref, staged)
        for rel in staged:
            final = self.out / rel
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.staging / rel, final)
        return staged

    def _download(self, url: str) -> Path:
        name = Path(urllib.parse.urlparse(url).path).name or "download"
        dest = self.cache / f"{hashlib.sha1(url.encode()).hexdigest()[:10]}-{name}"
        if not dest.exists():
            download_file(self._mirror(url), dest, self.timeout, self.stream)
        return dest

    def _where_clauses(self, ref: FileRef, la: str | None) -> list[str]:
        """The query's where clause(s) for district ``la`` (several when the code list is long)."""
        where = ref.download.where
        if not ref.per_district:
            if "{" in where:
                raise SpecError(f"{ref.wanted_by}: a national file's query cannot use {{lad}}, {{codes}} "
                                f"or {{names}} (its pattern has no {{lad}})")
            return [where]
        where = where.replace("{lad}", la)
        for placeholder, values in (("{codes}", self._district_codes), ("{names}", self._district_names)):
            if placeholder in where:
                found = values(ref.boundary, la)
                return [where.replace(placeholder, ", ".join(_quote(v) for v in found[i:i + CODES_PER_QUERY]))
                        for i in range(0, len(found), CODES_PER_QUERY)]
        return [where]

    def _district_codes(self, spec: BoundarySpec, la: str) -> list[str]:
        """Codes of ``spec``'s areas in ``la``: its member table, or a lookup from a finer set."""
        if spec.members is not None:
            return sorted(district_members(spec, self.out, la))
        for child, rule in spec.aggregate_from.items():
            if rule.method != "lookup":
                continue
            areas = read_boundaries(self.catalogue.boundaries[child], self.out, la)
            if areas is None:
                continue
            table = read_table(self.out, rule.file, rule.reader, spec.spec_file, (rule.child, rule.parent))
            rows = table[normalise_codes(table[rule.child]).isin(set(areas.frame.index))]
            return sorted(normalise_codes(rows[rule.parent]).dropna().unique())
        raise FetchError(f"{spec.spec_file}: cannot tell which {spec.label} areas are in {la} (no member "
                         f"table, and no lookup from a finer set with files for {la})")

    def _district_names(self, spec: BoundarySpec, la: str) -> list[str]:
        """Names of ``spec``'s areas in ``la`` by ONS naming: a finer area's name less its last letter."""
        for child, rule in spec.aggregate_from.items():
            if rule.method != "name_prefix":
                continue
            areas = read_boundaries(self.catalogue.boundaries[child], self.out, la)
            if areas is not None:
                return sorted({str(n)[:-1].strip() for n in areas.frame["name"].dropna()})
        raise FetchError(f"{spec.spec_file}: cannot name the {spec.label} areas of {la} (no name_prefix "
                         f"rule from a finer set with files for {la})")

    # -- conversions

    def _convert(self, ref: FileRef, raw: Path, target: str) -> list[str]:
        """Turn a published file into the file(s) the spec reads, in the staging folder."""
        download = ref.download
        if not download.member:
            return [self._convert_one(ref, raw, target)]
        if not zipfile.is_zipfile(raw):
            raise FetchError(f"{download.url} is not a zip file, but the spec takes member {download.member!r} "
                             f"from it")
        with zipfile.ZipFile(raw) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            chosen = [n for n in names if fnmatch.fnmatchcase(n, download.member)
                      or fnmatch.fnmatchcase(Path(n).name, download.member)]
            if not chosen or (len(chosen) > 1 and not is_glob(download.member)):
                raise FetchError(f"The zip {download.url} has {'no' if not chosen else 'several'} member(s) "
                                 f"matching {download.member!r}; its members are: {', '.join(names[:40])}")
            staged = []
            for name in chosen:
                rel = target if not is_glob(download.member) else str(Path(target).parent / Path(name).name)
                if ref.pattern.endswith(".gz") and not rel.endswith(".gz"):
                    rel += ".gz"  # members of a gzipped set (e.g. Code-Point Open's areas) are written gzipped
                pattern = ref.pattern.replace("{lad}", "*")
                if not fnmatch.fnmatchcase(rel, pattern):
                    raise FetchError(f"Member {name} of {download.url} would be written as {rel}, which the "
                                     f"spec's pattern {ref.pattern!r} does not match")
                extracted = self.staging / ".members" / Path(name).name
                extracted.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(name) as src, open(extracted, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                staged.append(self._convert_one(ref, extracted, rel))
                extracted.unlink()
            return staged

    def _convert_one(self, ref: FileRef, source: Path, rel: str) -> str:
        """Sheet to CSV, column renames and gzip: ``source`` -> staging/``rel``."""
        download = ref.download
        dest = self.staging / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        compression = "gzip" if rel.endswith(".gz") else None
        if download.sheet or download.rename:
            table = self._read_published(ref, source)
            require_columns(table, list(download.rename), f"The file from {download.address}",
                            f"{ref.wanted_by}, which renames it")
            table = table.rename(columns=download.rename)
            encoding = ref.reader.get("encoding", "utf-8-sig").replace("utf-8-sig", "utf-8")
            table.to_csv(dest, index=False, sep=ref.reader.get("sep", ","), encoding=encoding,
                         compression=compression)
        elif compression and not _is_gzip(source):
            with open(source, "rb") as src, gzip.GzipFile(dest, "wb", mtime=0) as dst:
                shutil.copyfileobj(src, dst)
        else:
            shutil.copyfile(source, dest)
        return rel

    def _read_published(self, ref: FileRef, source: Path) -> pd.DataFrame:
        download = ref.download
        try:
            if download.sheet:
                return pd.read_excel(source, sheet_name=download.sheet)
            return pd.read_csv(source, dtype=str, keep_default_na=False, encoding=ref.reader.get("encoding",
                               "utf-8-sig"), sep=ref.reader.get("sep", ","))
        except (ValueError, KeyError, OSError, pd.errors.ParserError, zipfile.BadZipFile) as exc:
            raise FetchError(f"Cannot read the file published at {download.address}"
                             f"{f' (sheet {download.sheet!r})' if download.sheet else ''}: {exc}") from exc

    def _write_features(self, ref: FileRef, features: list[dict], target: str) -> list[str]:
        """Write ArcGIS features as GeoJSON, a shapefile or a CSV table in the staging folder."""
        rename = ref.download.rename
        dest = self.staging / target
        dest.parent.mkdir(parents=True, exist_ok=True)
        if ref.boundary is None:
            table = pd.DataFrame([f.get("attributes", {}) for f in features]).rename(columns=rename)
            table.to_csv(dest, index=False, compression="gzip" if target.endswith(".gz") else None)
            return [target]
        for feature in features:
            props = feature.get("properties") or {}
            feature["properties"] = {rename.get(k, k): v for k, v in props.items()}
        if target.endswith(".shp"):
            import geopandas as gpd
            frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326").to_crs(ref.boundary.crs)
            frame.to_file(dest, driver="ESRI Shapefile", engine="pyogrio")
            return sorted(str(p.relative_to(self.staging)) for p in dest.parent.glob(dest.stem + ".*"))
        text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
        opener = gzip.open if target.endswith(".gz") else open
        with opener(dest, "wt", encoding="utf-8") as fh:
            fh.write(text)
        return [target]

    def _check(self, ref: FileRef, staged: list[str]) -> None:
        """Check the staged files hold what the specs read; raise FetchError naming the address."""
        try:
            for rel in staged:
                if ref.boundary is not None:
                    if Path(rel).suffix.lower() not in (".shx", ".dbf", ".prj", ".cpg", ".xml"):
                        read_boundary_file(ref.boundary, self.staging / rel, rel)
                elif ref.columns:
                    table = read_table(self.staging, rel, ref.reader, ref.wanted_by)
                    require_columns(table, sorted(ref.columns), rel, ref.wanted_by)
        except SourceFileError as exc:
            raise FetchError(f"The file published at {ref.download.address} has changed: {exc}. Nothing was "
                             f"written; the spec needs updating to the new layout.") from exc


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def fetch(out, la: str | None = None, **options) -> FetchResult:
    """Fetch every file the specs read into the source directory ``out``.

    Parameters
    ----------
    out : path-like
        The source directory to fill.
    la : str, optional
        District code: only its per-district boundary files (national tables are
        always fetched whole, since England comparisons need them).
    **options
        ``catalogue``, ``root``, ``timeout``, ``mirrors``, ``keep_downloads``,
        ``stream``: see :class:`Fetcher`.

    Returns
    -------
    FetchResult

    Raises
    ------
    FetchError
        If any file failed (after trying all the others) or has no address.
    """
    result = Fetcher(out, la, **options).run()
    problems = [f"{target}: {error}" for target, error in result.failed]
    problems += [f"{ref.pattern} (wanted by {ref.wanted_by}): no spec gives its official address "
                 f"(add a download table)" for ref in result.missing]
    if problems:
        raise FetchError(f"{len(problems)} file(s) could not be fetched into {out} "
                         f"({len(result.fetched)} written, {len(result.skipped)} already complete):\n  "
                         + "\n  ".join(problems)
                         + "\nRun the same command again to resume; completed files are kept.")
    return result
