"""Where each file the specs read comes from: the ``download`` tables of the specs.

A spec table that names a ``file`` (or ``files``) may carry a ``download``
table saying where the file is published and how the published product is
turned into it (see :class:`Download`). They are read with the rest of the
spec by :meth:`atlas.specs.Catalogue.load`, which keeps them in
``Catalogue.downloads`` (one :class:`FileDownload` per file pattern); the
readers never see them, and :mod:`atlas.fetch` uses them to fill a source
directory.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from ..errors import SpecError

#: Any district code, to match per-district file names against a pattern.
_SAMPLE_LA = "E06000032"


@dataclass(frozen=True)
class Download:
    """Where one file of the source directory comes from, and how it is converted.

    Attributes
    ----------
    url : str
        Address of the published file (exactly one of ``url`` and ``arcgis``).
    arcgis : str
        An ArcGIS feature layer (``.../FeatureServer/0``) queried for features.
    where : str
        The layer query; ``{lad}``, ``{codes}`` and ``{names}`` are filled in per district.
    member : str
        Zip member (or glob of members) to extract.
    sheet : str
        Worksheet of an Excel workbook, written as CSV.
    rename : dict
        Published column name -> the column name the spec reads.
    file : str
        File to write (may hold ``{lad}``) when the spec's pattern has wildcards.
    third_party : str
        Why the address is a third-party copy rather than the publisher's.
    notes : str
        Anything else the user should know.
    """

    url: str = ""
    arcgis: str = ""
    where: str = "1=1"
    member: str = ""
    sheet: str = ""
    rename: dict = field(default_factory=dict)
    file: str = ""
    third_party: str = ""
    notes: str = ""

    @classmethod
    def from_table(cls, table: dict, where: str) -> "Download":
        """Validate a spec's ``download`` table."""
        unknown = sorted(set(table) - set(cls.__dataclass_fields__))
        if unknown:
            raise SpecError(f"{where}: unknown download key(s) {', '.join(unknown)}; expected some of: "
                            f"{', '.join(cls.__dataclass_fields__)}")
        download = cls(**table)
        if bool(download.url) == bool(download.arcgis):
            raise SpecError(f"{where}: a download needs exactly one of url and arcgis")
        address = download.url or download.arcgis
        if not address.startswith(("https://", "http://")):
            raise SpecError(f"{where}: download address {address!r} is not an http(s) URL")
        return download

    @property
    def address(self) -> str:
        """The official address, as written in the spec."""
        return self.url or self.arcgis

    def steps(self, target: str) -> list[str]:
        """The conversions from the published product to ``target``, in words."""
        steps = []
        if self.arcgis:
            steps.append(f"ArcGIS query where {self.where}")
        if self.member:
            steps.append(f"zip member {self.member}")
        if self.sheet:
            steps.append(f"sheet {self.sheet!r} to CSV")
        if self.rename:
            steps.append("columns renamed " + ", ".join(f"{a!r} -> {b!r}" for a, b in self.rename.items()))
        if target.endswith(".gz") and not self.url.endswith(".gz"):
            steps.append("gzip")
        return steps


@dataclass
class FileDownload:
    """One file (or per-district pattern) the specs read, the specs naming it and its download.

    Attributes
    ----------
    pattern : str
        The path as the specs write it (may hold ``{lad}`` and wildcards).
    spec_files : list of str
        Specs naming the file.
    download : Download or None
        Where it comes from (None when no spec gives an address).
    """

    pattern: str
    spec_files: list[str] = field(default_factory=list)
    download: Download | None = None


def collect_downloads(raw: dict, spec_file: str, found: dict[str, FileDownload]) -> None:
    """Add every file a parsed spec names, with its download, to ``found`` (by pattern).

    Raises
    ------
    SpecError
        If a download table is malformed, or two specs give one file different downloads.
    """
    for pattern, table, where in _file_tables(raw, spec_file):
        entry = found.setdefault(pattern, FileDownload(pattern))
        if spec_file not in entry.spec_files:
            entry.spec_files.append(spec_file)
        if isinstance(table.get("download"), dict):
            download = Download.from_table(table["download"], f"{where} download")
            if entry.download and entry.download != download:
                raise SpecError(f"{where}: its download differs from the one {entry.spec_files[0]} gives "
                                f"for {pattern}; give it in one spec only")
            entry.download = download


def _file_tables(table: dict, where: str):
    """(pattern, table, where) for every table of a spec that names a ``file`` or ``files``."""
    for key in ("file", "files"):
        value = table.get(key)
        patterns = [value] if isinstance(value, str) else [p for p in value or [] if p]
        for pattern in _downloaded(patterns, table.get("download")):
            yield pattern, table, where
    for key, value in table.items():
        if key == "download":
            continue
        if isinstance(value, dict):
            yield from _file_tables(value, f"{where} [{key}]")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    yield from _file_tables(item, f"{where} [[{key}]] #{i + 1}")


def _downloaded(patterns: list[str], download) -> list[str]:
    """Of alternative file patterns (``files = [national, per-district]``: the first found is read), the
    one the download writes; all of them when there is no download or it matches none."""
    if len(patterns) < 2 or not isinstance(download, dict) or not download.get("file"):
        return patterns
    target = str(download["file"]).replace("{lad}", _SAMPLE_LA)
    matching = [p for p in patterns if fnmatch.fnmatchcase(target, p.replace("{lad}", _SAMPLE_LA))]
    return matching or patterns
