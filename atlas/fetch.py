"""Downloading the official files: ``atlas fetch --out DIR [--la CODE]``.

A council analyst without the project's source directory gets one: every file a
spec names is fetched from its publisher and written under the same relative
path, name and format the specs read, so ``atlas build --source DIR`` (or
``ATLAS_SOURCE_DIR=DIR make run``) works on it.

Where a file comes from is written in the specs themselves: any table naming a
``file`` (or ``files``) may carry a ``download`` table (the engine ignores it)::

    [members]
    file = "deprivation/iod2019_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
    ...
    [members.download]
    url = "https://assets.publishing.service.gov.uk/.../File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    sheet = "IMD2019"

Keys of a ``download`` table (see :class:`Download`): ``url`` (a published
file) or ``arcgis`` (an ONS Open Geography Portal feature layer, queried with
``where``: ``{lad}`` is the district code, ``{codes}`` the codes of the
district's areas, ``{names}`` their names); ``member`` (a zip member, or a glob
of members); ``sheet`` (a worksheet, written as CSV); ``rename`` (published
column -> column the spec reads); ``file`` (the name to write when the spec's
pattern has wildcards); ``third_party`` (why only a third-party copy is named);
``notes``. A target ending ``.gz`` is gzip-compressed.

Every download goes to a temporary file, is converted, checked (the columns the
specs read, the CRS of boundaries) and only then renamed into place; a manifest
(``fetch-manifest.json``) records each file's address, size, SHA-256, time and
spec, so a second run skips what is complete and resumes a broken download
(HTTP ``Range``) where it stopped.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import gzip
import hashlib
import http.client
import json
import os
import shutil
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .codes import ENGLAND, check_district_code
from .errors import AtlasError, SourceFileError, SpecError
from .readers import normalise_codes, read_table, require_columns
from .specs import BoundarySpec, Catalogue
from .specs.downloads import Download

MANIFEST = "fetch-manifest.json"
CACHE = ".fetch-downloads"
STAGING = ".fetch-staging"
USER_AGENT = "health-equity-atlas/0.1 (atlas fetch; official open data)"
#: How many codes one ArcGIS query names in its ``IN (...)`` list.
CODES_PER_QUERY = 100
CHUNK = 1 << 16
SAMPLE_LA = "E06000032"  # any district code, to check per-district file names


class FetchError(AtlasError):
    """A download failed, or the published file is not what the specs expect."""


# --- what to fetch -------------------------------------------------------------------------------

@dataclass
class FileRef:
    """One file (or per-district pattern) a spec reads, with its download and what it must hold.

    Attributes
    ----------
    pattern : str
        The path as the spec writes it (may hold ``{lad}`` and wildcards).
    spec_files : list of str
        Specs naming the file.
    download : Download or None
        Where it comes from (None when no spec gives an address).
    columns : set of str
        Columns the specs read from it (tables).
    reader : dict
        Reader options of the spec (encoding, separator, header-less columns ...).
    boundary : BoundarySpec or None
        The boundary set, when the file holds boundaries.
    """

    pattern: str
    spec_files: list[str]
    download: Download | None = None
    columns: set = field(default_factory=set)
    reader: dict = field(default_factory=dict)
    boundary: BoundarySpec | None = None

    @property
    def per_district(self) -> bool:
        """Whether the spec reads one file per district (``{lad}`` in the pattern)."""
        return "{lad}" in self.pattern

    @property
    def wanted_by(self) -> str:
        return " and ".join(self.spec_files)

    def target(self, la: str | None = None) -> str:
        """The file to write (for district ``la`` when per district)."""
        name = (self.download.file if self.download and self.download.file else self.pattern)
        name = name.replace("{lad}", la or "{lad}")
        return name

    def check_target(self) -> None:
        """Raise SpecError unless the file written will match the spec's pattern."""
        if _is_glob(self.download.member):
            return  # each extracted member is checked against the pattern when written
        target, pattern = self.target(SAMPLE_LA), self.pattern.replace("{lad}", SAMPLE_LA)
        if _is_glob(target):
            raise SpecError(f"{self.wanted_by}: the file pattern {self.pattern!r} has wildcards; give the "
                            f"name to write as file = \"...\" in its download table")
        if not fnmatch.fnmatchcase(target, pattern):
            raise SpecError(f"{self.wanted_by}: download file {target!r} does not match the spec's file "
                            f"pattern {pattern!r}")


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")


def file_refs(catalogue: Catalogue) -> list[FileRef]:
    """Every file the catalogue's specs read, with its download and expected columns.

    Parameters
    ----------
    catalogue : Catalogue
        The loaded specs (their files, downloads, columns and reader options).

    Returns
    -------
    list of FileRef
        Tables first, then national boundary files, then per-district ones.

    Raises
    ------
    SpecError
        If a download would write a file the spec's pattern does not match.
    """
    refs = {pattern: FileRef(pattern, list(entry.spec_files), entry.download)
            for pattern, entry in catalogue.downloads.items()}
    _add_expectations(refs, catalogue)
    for ref in refs.values():
        if ref.download:
            ref.check_target()
    tables = [r for r in refs.values() if r.boundary is None]
    national = [r for r in refs.values() if r.boundary is not None and not r.per_district]
    districts = [r for r in refs.values() if r.boundary is not None and r.per_district]
    districts.sort(key=lambda r: ("{codes}" in _where(r) and not r.boundary.members) or "{names}" in _where(r))
    return tables + national + districts


def _where(ref: FileRef) -> str:
    return ref.download.where if ref.download else ""


def _add_expectations(refs: dict[str, FileRef], catalogue: Catalogue) -> None:
    """Attach the columns (or boundary set) each file must hold, from the loaded specs."""
    def expect(pattern, columns, reader=None):
        if pattern in refs:
            refs[pattern].columns |= {c for c in columns if c}
            refs[pattern].reader = reader or refs[pattern].reader

    for spec in catalogue.boundaries.values():
        for pattern in spec.files:
            if pattern in refs:
                refs[pattern].boundary = spec
        if spec.members:
            m = spec.members
            expect(m.file, [m.code, m.district, m.district_name], m.reader)
        for rule in spec.aggregate_from.values():
            if rule.file:
                expect(rule.file, [rule.child, rule.parent], rule.reader)
        for table in (spec.upper_tier, spec.successors):
            if table:
                columns = [v for k, v in table.items() if k not in ("file", "reader")]
                expect(table["file"], columns, table.get("reader"))
        for variant in spec.variants:
            if variant.codes_file:
                expect(variant.codes_file, [variant.codes_column])
    for ind in catalogue.indicators.values():
        source = ind.source
        if source.file and not source.computed:
            expect(source.file, [source.key, *source.where, *ind.source_columns()], source.reader)
    for spec in catalogue.estimates.values():
        expect(spec.file, [spec.practice, spec.area, spec.patients], spec.reader)
        if spec.convert.get("file"):
            expect(spec.convert["file"], [spec.convert.get("old"), spec.convert.get("new")])
    for spec in catalogue.points.values():
        status = [spec.status.get("column")] if spec.status else []
        expect(spec.file, [spec.key, spec.name, spec.postcode, *spec.where, *status, spec.close_date,
                           *spec.dates, *spec.attributes], spec.reader)
        for join in spec.joins:
            expect(join.file, [join.key, *join.columns.values()], join.reader)
    for spec in catalogue.postcodes.values():
        expect(spec.files, [spec.postcode, spec.x, spec.y, spec.district, spec.country], spec.reader)
    for spec in catalogue.series.values():
        expect(spec.file, [spec.area, spec.area_name, spec.period, spec.value, *spec.where], spec.reader)


# --- HTTP ----------------------------------------------------------------------------------------

class Progress:
    """A plain-text progress bar on stderr (redrawn in place on a terminal)."""

    def __init__(self, label: str, total: int | None, stream=None):
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._shown = -1

    def update(self, done: int) -> None:
        self.done = done
        if not self.tty:
            return
        if self.total:
            percent = min(100, int(100 * done / self.total))
            if percent == self._shown:
                return
            self._shown = percent
            bar = "#" * (percent // 4) + "." * (25 - percent // 4)
            text = f"\r  [{bar}] {percent:3d}% {_size(done)} of {_size(self.total)}  {self.label}"
        else:
            text = f"\r  {_size(done)}  {self.label}"
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
        self.stream.write(f"  downloaded {self.label}: {_size(self.done)}\n")
        self.stream.flush()


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _open(url: str, timeout: float, data: bytes | None = None, headers: dict | None = None):
    """Open ``url``; raise FetchError naming the URL, the HTTP status or the timeout."""
    request = urllib.request.Request(url, data=data, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url} answered HTTP {exc.code} {exc.reason}: the publisher may have moved or "
                         f"withdrawn the file; check the address in the spec") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"No answer from {url} within {timeout:g} s (timed out); try again later "
                             f"or raise --timeout") from exc
        raise FetchError(f"Cannot reach {url}: {exc.reason}") from exc
    except (TimeoutError, socket.timeout) as exc:
        raise FetchError(f"No answer from {url} within {timeout:g} s (timed out); try again later "
                         f"or raise --timeout") from exc
    except (http.client.HTTPException, OSError) as exc:
        raise FetchError(f"Download of {url} failed: {exc}") from exc


def download_file(url: str, dest: Path, timeout: float = 60, stream=None) -> Path:
    """Download ``url`` to ``dest``, resuming a partial download left by an earlier run.

    The bytes go to ``dest.part`` first; when the server supports HTTP ``Range``
    a second call continues where the first stopped (``If-Range`` makes the
    server send the whole file again if it changed meanwhile); otherwise the
    download restarts. ``dest`` appears only once every byte announced by the
    server has arrived.

    Raises
    ------
    FetchError
        On an HTTP error, a timeout, or a download that broke off or is shorter
        than announced (the partial file is kept for the next run).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    meta = dest.with_name(dest.name + ".part.json")
    have = part.stat().st_size if part.exists() else 0
    validator = json.loads(meta.read_text()).get("validator") if meta.exists() and have else None
    headers = {"Range": f"bytes={have}-", "If-Range": validator} if validator else {}
    try:
        response = _open(url, timeout, headers=headers)
    except FetchError as exc:
        if isinstance(exc.__cause__, urllib.error.HTTPError) and exc.__cause__.code == 416:
            part.unlink(missing_ok=True)  # the partial file no longer fits: start again
            return download_file(url, dest, timeout, stream)
        raise
    with response:
        resumed = response.status == 206
        total = _total_length(response, have if resumed else 0)
        if not resumed:
            have = 0
        tag = response.headers.get("ETag") or response.headers.get("Last-Modified")
        meta.write_text(json.dumps({"url": url, "validator": tag}))
        progress = Progress(dest.name, total, stream)
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    have += len(chunk)
                    progress.update(have)
        except (http.client.IncompleteRead, TimeoutError, socket.timeout, OSError) as exc:
            progress.close()
            raise FetchError(f"Download of {url} broke off after {_size(have)}"
                             f"{f' of {_size(total)}' if total else ''} ({exc.__class__.__name__}); "
                             f"run the same command again to resume") from exc
        progress.close()
    if total is not None and have != total:
        raise FetchError(f"Download of {url} is incomplete: {have} of the {total} bytes the server "
                         f"announced arrived; run the same command again to resume")
    os.replace(part, dest)
    meta.unlink(missing_ok=True)
    return dest


def _total_length(response, offset: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("*"):
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def arcgis_query(layer: str, where: str, geometry: bool, timeout: float = 60) -> list[dict]:
    """Every feature of an ArcGIS feature layer matching ``where``, page by page.

    Parameters
    ----------
    layer : str
        The layer URL (``.../FeatureServer/0``).
    where : str
        SQL where clause.
    geometry : bool
        GeoJSON features in WGS84 (True) or attribute rows (False).

    Returns
    -------
    list of dict
        GeoJSON features, or ``{"attributes": {...}}`` rows.

    Raises
    ------
    FetchError
        On an HTTP error, a timeout, or an error the service reports in its answer.
    """
    features: list[dict] = []
    url = layer.rstrip("/") + "/query"
    while True:
        params = {"where": where, "outFields": "*", "returnGeometry": "true" if geometry else "false",
                  "outSR": "4326", "f": "geojson" if geometry else "json", "resultOffset": str(len(features))}
        with _open(url, timeout, data=urllib.parse.urlencode(params).encode()) as response:
            try:
                body = json.loads(response.read())
            except (ValueError, OSError, http.client.HTTPException) as exc:
                raise FetchError(f"{url} did not answer the query with JSON ({exc})") from exc
        if "error" in body:
            error = body["error"]
            details = "; ".join(error.get("details") or [])
            raise FetchError(f"{url} refused the query where {_short(where)}: {error.get('message')} "
                             f"{details}".strip())
        page = body.get("features") or []
        features += page
        exceeded = body.get("exceededTransferLimit") or (body.get("properties") or {}).get("exceededTransferLimit")
        if not exceeded or not page:
            return features


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."


# --- the manifest --------------------------------------------------------------------------------

class Manifest:
    """``fetch-manifest.json``: one entry per written file (address, size, SHA-256, time, spec)."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / MANIFEST
        self.folder = Path(folder)
        self.files: dict[str, dict] = {}
        if self.path.exists():
            try:
                self.files = json.loads(self.path.read_text())["files"]
            except (ValueError, KeyError) as exc:
                raise FetchError(f"{self.path} is not a fetch manifest ({exc}); move it away and run again") from exc

    def complete(self, item: str) -> bool:
        """Whether every file written for ``item`` is in place with its recorded size and checksum."""
        entries = {rel: e for rel, e in self.files.items() if e["item"] == item}
        return bool(entries) and all(_matches(self.folder / rel, e) for rel, e in entries.items())

    def record(self, item: str, written: list[str], entry: dict) -> None:
        """Record the files written for ``item`` and save the manifest atomically."""
        for rel in [r for r, e in self.files.items() if e["item"] == item]:
            del self.files[rel]
        for rel in written:
            path = self.folder / rel
            self.files[rel] = {"item": item, **entry, "bytes": path.stat().st_size, "sha256": sha256(path)}
        from .store import write_text_atomic
        write_text_atomic(self.path, json.dumps({"format": 1, "files": dict(sorted(self.files.items()))},
                                                indent=2, ensure_ascii=False))


def _matches(path: Path, entry: dict) -> bool:
    return path.is_file() and path.stat().st_size == entry["bytes"] and sha256(path) == entry["sha256"]


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- fetching ------------------------------------------------------------------------------------

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
                from .build import list_districts
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
                raise FetchError(f"{download.arcgis} returned no rows for where {_short(download.where)}")
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
        from .geography import district_members, read_boundaries
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
        from .geography import read_boundaries
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
            if not chosen or (len(chosen) > 1 and not _is_glob(download.member)):
                raise FetchError(f"The zip {download.url} has {'no' if not chosen else 'several'} member(s) "
                                 f"matching {download.member!r}; its members are: {', '.join(names[:40])}")
            staged = []
            for name in chosen:
                rel = target if not _is_glob(download.member) else str(Path(target).parent / Path(name).name)
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
        from .geography import read_boundary_file
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
