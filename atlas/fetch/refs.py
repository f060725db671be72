"""What to fetch: every file the catalogue names, with the download that makes it and what it must hold."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from ..errors import SpecError
from ..specs import BoundarySpec, Catalogue
from ..specs.downloads import FileDownload
from .common import SAMPLE_LA


@dataclass
class FileRef(FileDownload):
    """One file (or per-district pattern) a spec reads, with its download and what it must hold.

    Attributes
    ----------
    pattern, spec_files, download
        As :class:`atlas.specs.downloads.FileDownload`.
    columns : set of str
        Columns the specs read from it (tables).
    reader : dict
        Reader options of the spec (encoding, separator, header-less columns ...).
    boundary : BoundarySpec or None
        The boundary set, when the file holds boundaries.
    """

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
        if is_glob(self.download.member):
            return  # each extracted member is checked against the pattern when written
        target, pattern = self.target(SAMPLE_LA), self.pattern.replace("{lad}", SAMPLE_LA)
        if is_glob(target):
            raise SpecError(f"{self.wanted_by}: the file pattern {self.pattern!r} has wildcards; give the "
                            f"name to write as file = \"...\" in its download table")
        if not fnmatch.fnmatchcase(target, pattern):
            raise SpecError(f"{self.wanted_by}: download file {target!r} does not match the spec's file "
                            f"pattern {pattern!r}")


def is_glob(text: str) -> bool:
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
