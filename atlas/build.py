"""Building one authority's atlas from the official files.

:func:`build` reads every boundary set the source directory holds for the
district, joins every indicator of the catalogue to its native geography,
aggregates small-area indicators to wards and MSOAs, places the point sets
(GP practices, pharmacies ... by postcode, :mod:`atlas.points`), computes the
layers derived from them (nearest practice, counts per ward), and writes one
GeoPackage with a build report. Nothing is dropped silently: every area without a value,
every code the data hold that the boundaries lack, and every area assigned by a
fallback rule is counted and listed in the report.

The module is over 450 lines for one reason: the builder is one object whose steps
(boundaries, points, layers, estimates, aggregation) share its state (the frames,
the metadata rows and the report) and run in a fixed order; each step is a short
method, and the work of each lives in its own module (:mod:`atlas.geography`,
:mod:`atlas.points`, :mod:`atlas.readers`, :mod:`atlas.estimates`, :mod:`atlas.aggregate`).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import aggregate, authorities, batch, comparators, config, estimates, points, registered, small_area, store, upper_tier
from .codes import ENGLAND, check_district_code
from .errors import AtlasError, BuildError, SourceDirError
from .geography import Assignment, Boundaries, assign, district_members, member_table, read_boundaries
from .model import LAYER_COLUMNS, Atlas, empty_catchments, empty_shares, indicator_row, layer_columns
from .readers import indicator_frame, member_of, read_source
from .report import BuildReport
from .specs import BoundarySpec, Catalogue, EstimateSpec, IndicatorSpec, SourceSpec, spec_files

#: How many codes a report lists in full before it gives only the count.
LIST_LIMIT = 250
#: An area lies in the district when a point inside it is within this distance (metres) of the outline
#: (outline files are generalised).
OUTLINE_TOLERANCE_M = 500
#: Largest share of a boundary set's areas that may lie outside the district's outline, or have no
#: parent area (a ward), before the build fails as implausible.
IMPLAUSIBLE_SHARE = 0.2
COVERAGE_TOLERANCE = aggregate.COVERAGE_TOLERANCE
MOST_DEPRIVED_SUFFIX = aggregate.MOST_DEPRIVED_SUFFIX


def build(la_code: str, source_dir: str | Path | None = None, out_dir: str | Path | None = None,
          catalogue: Catalogue | None = None, write: bool = True) -> Atlas:
    """Build the atlas of one district (or of England) from the source directory.

    Parameters
    ----------
    la_code : str
        District code (e.g. ``E06000032`` Luton; a 2019 code of a district merged
        since is resolved to today's district, see :mod:`atlas.authorities`), county
        code (e.g. ``E10000015`` Hertfordshire: all its districts as one atlas),
        or ``E92000001`` for every LSOA in England.
    source_dir : path-like, optional
        Folder of official files; see :func:`atlas.config.source_dir`.
    out_dir : path-like, optional
        Folder to write ``<LA>.gpkg`` and ``<LA>.report.json`` into; by default
        ``output/atlas`` in the project (git-ignored).
    catalogue : Catalogue, optional
        The specs to use; the project's ``boundaries/`` and ``layers/`` by default.
    write : bool
        Write the GeoPackage (default) or only return the atlas.
        Either way, layers imported into ``out_dir`` with ``atlas import``
        (kept in ``imports/<LA>/``) are added again.

    Returns
    -------
    Atlas
        The built atlas (``atlas.path`` is set when written).

    Raises
    ------
    UnknownAreaError
        If the code is not a district code, or no source file knows the district.
    SourceFileError
        If a file a spec needs is missing or malformed (names file and spec).
    BuildError
        If no boundaries at all are found for the district.
    """
    started = time.perf_counter()
    check_district_code(la_code)
    source = config.source_dir(source_dir)
    catalogue = catalogue or Catalogue.load()
    authority = authorities.resolve(la_code, catalogue, source)
    builder = _Builder(authority.code, authority.name, source, catalogue, authority)
    atlas = builder.run()
    folder = _atlas_folder(out_dir)
    from .area_sets import reapply_area_sets  # area sets added with `atlas areas add` survive a rebuild
    from .importer import reapply_imports  # layers added with `atlas import` survive a rebuild
    if not write:
        atlas = reapply_area_sets(atlas, folder, source, catalogue)
        atlas = reapply_imports(atlas, folder, source, catalogue)
        atlas.report.seconds = round(time.perf_counter() - started, 2)
        return atlas
    folder.mkdir(parents=True, exist_ok=True)
    with store.locked(folder):  # an import running now is either in this atlas or waits and adds to it
        atlas = reapply_area_sets(atlas, folder, source, catalogue)
        atlas = reapply_imports(atlas, folder, source, catalogue)
        atlas.report.seconds = round(time.perf_counter() - started, 2)
        store.save(atlas, folder)
    return atlas


def build_all(codes: list[str] | None = None, source_dir: str | Path | None = None,
              out_dir: str | Path | None = None, workers: int | None = None, scheduler: str | None = None,
              retries: int = batch.DEFAULT_RETRIES) -> batch.BatchResult:
    """Build the atlas of every district and upper-tier authority (or of ``codes``), one Dask task each.

    Parameters
    ----------
    codes : list of str, optional
        The authorities to build (default: every district and county
        :func:`atlas.authorities.list_authorities` gives; regions only when named).
    source_dir, out_dir
        As :func:`build`.
    workers, scheduler, retries
        As :func:`atlas.batch.run_batch` (one worker process per core by default).

    Returns
    -------
    atlas.batch.BatchResult
        ``results``: code -> :func:`build_summary` of its atlas; ``failed``: code -> error.
        An authority that fails does not stop the others.

    Raises
    ------
    AtlasError
        If a code is not of the form of an authority code, or the scheduler cannot be reached.
    """
    if scheduler:
        batch.check_scheduler(scheduler)
    source = config.source_dir(source_dir)
    if codes is None:
        every = authorities.list_authorities(source_dir=source)
        codes = list(every.loc[every["kind"] != "region", "code"])
    codes = [check_district_code(code) for code in dict.fromkeys(codes)]
    folder = str(_atlas_folder(out_dir))
    return batch.run_batch(_build_task, {code: (code,) for code in codes}, {"source": str(source), "folder": folder},
                           workers, scheduler, retries, processes=workers != 1, label="authorities")


def build_summary(atlas: Atlas) -> dict:
    """What the batch reports of one built atlas: code, name, seconds, path, areas per geography, warnings."""
    areas = {g: info["areas"] for g, info in atlas.report.geographies.items() if info["status"] == "built"}
    return {"code": atlas.la_code, "name": atlas.la_name, "seconds": atlas.report.seconds,
            "path": str(atlas.path) if atlas.path else "", "areas": areas, "warnings": len(atlas.report.warnings)}


def _build_task(code: str, source: str, folder: str) -> dict:
    return build_summary(build(code, source_dir=source, out_dir=folder))


def current(la_code: str, source_dir: str | Path | None = None,
            out_dir: str | Path | None = None) -> tuple[Atlas, str]:
    """The district's built atlas: loaded when it is current, else built (and written) now.

    Parameters
    ----------
    la_code : str
        District code, as for :func:`build`.
    source_dir : path-like, optional
        Folder of official files; see :func:`atlas.config.source_dir`.
    out_dir : path-like, optional
        Folder of built atlases; ``output/atlas`` by default.

    Returns
    -------
    (Atlas, str)
        The atlas, and ``"loaded"`` or ``"built"``. Without any source directory
        an existing atlas is loaded as it is (there is nothing to check it
        against or build it from).

    Raises
    ------
    AtlasError
        As :func:`build` does, when the atlas has to be built.
    """
    la = check_district_code(la_code)
    folder = _atlas_folder(out_dir)
    try:
        source = config.source_dir(source_dir)
    except SourceDirError:
        source = None
    if source is not None:
        la = authorities.resolve(la, source_dir=source).code
    path = store.atlas_path(folder, la)
    built = _load_readable(path)
    if source is None:
        if built is None:
            config.source_dir(source_dir)  # raises the error that says which setting is missing
        return built, "loaded"
    if built is not None and is_current(built, path, source):
        return built, "loaded"
    return build(la, source_dir=source, out_dir=folder), "built"


def is_current(built, path: Path, source: Path) -> bool:
    """Whether the atlas at ``path`` was built from ``source`` and is newer than every input.

    The inputs are the project's spec files and every boundary and source file
    the atlas's build report names.

    Parameters
    ----------
    built : Atlas
        The atlas read from ``path`` (only its ``report`` is used).
    path : pathlib.Path
        Its GeoPackage.
    source : pathlib.Path
        The source directory it should have been built from.
    """
    report = built.report
    if Path(report.source_dir) != Path(source):
        return False
    inputs = spec_files()
    for info in report.geographies.values():
        inputs += [source / f for f in info.get("files", []) if not str(f).startswith("...")]
    inputs += [source / entry["source_file"] for entry in report.layers if entry.get("source_file")]
    built_at = path.stat().st_mtime
    return all(not p.exists() or p.stat().st_mtime <= built_at for p in inputs)


def _atlas_folder(out_dir: str | Path | None) -> Path:
    return config.atlas_dir(out_dir)


def _load_readable(path: Path) -> Atlas | None:
    if not path.is_file():
        return None
    try:
        return store.load(path)
    except AtlasError:
        return None


@dataclass
class _Builder:
    la: str
    la_name: str
    source: Path
    catalogue: Catalogue
    authority: authorities.Authority
    boundaries: dict[str, Boundaries] = field(default_factory=dict)
    frames: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    meta: list[dict] = field(default_factory=list)
    shares: list[pd.DataFrame] = field(default_factory=list)
    report: BuildReport = field(init=False)
    placed: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)
    #: (child, target) -> the assignment and its report entry, made once for both aggregation passes.
    assignments: dict = field(default_factory=dict)
    #: Small-area estimates by ``[estimate]`` spec id (atlas.small_area), and their LSOA conversion links.
    estimate_runs: dict = field(default_factory=dict)
    estimate_links: dict = field(default_factory=dict)
    #: Registered patients against residents by source id (atlas.registered).
    registered_runs: dict = field(default_factory=dict)
    #: The upper tier of each district (atlas.authorities.upper_tiers), for a region's or England's atlas.
    tiers: pd.DataFrame | None = None

    def run(self) -> Atlas:
        self.report = BuildReport(
            la=self.la, la_name=self.la_name, source_dir=str(self.source),
            built=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            authority=self.authority.describe())
        self._read_boundaries()
        outline = self._outline()
        self._check_inside(outline)
        if self.authority.is_group:
            self._add_district_geography(outline)
            self._add_upper_tier()
        self._place_points(outline)
        for geography in list(self.frames):
            self._join_layers(geography)
        self._convert_estimates()
        self._aggregate()
        self._coverage()
        self._join_computed()
        self.report.geography_order = list(self.frames)
        layers = pd.DataFrame(self.meta, columns=LAYER_COLUMNS)
        shares = pd.concat(self.shares, ignore_index=True) if self.shares else empty_shares()
        labels = {g: b.label for g, b in self.boundaries.items()}
        return Atlas(self.la, self.la_name, self.frames, layers, shares, self.report,
                     outline, None, labels, {k: p.district for k, p in self.placed.items()}, self._catchments())

    # -- boundaries ---------------------------------------------------------------------------
    def _read_boundaries(self) -> None:
        for spec in self.catalogue.area_boundaries():
            found = read_boundaries(spec, self.source, self.authority)
            entry: dict = {"label": spec.label, "level": spec.level, "vintage": spec.vintage}
            partial = self._partial_cover(spec, found)
            if partial:
                self.report.geographies[spec.id] = {**entry, "status": "not available", "reason": partial}
                continue
            if found is None:
                looked = [p.replace("{lad}", d) for p in spec.files for d in self.authority.districts[:3]]
                entry["status"] = "not available"
                entry["reason"] = (f"no boundary file of this set for {self.la} in the source directory "
                                   f"(looked for {', '.join(looked)}{' ...' if len(self.authority.districts) > 3 else ''})")
                self.report.geographies[spec.id] = entry
                continue
            self.boundaries[spec.id] = found
            self.frames[spec.id] = found.frame.copy()
            entry.update(label=found.label, vintage=found.vintage)
            entry.update(status="built", areas=len(found.frame), files=_short(found.files),
                         missing_boundaries=_short(found.missing), n_missing_boundaries=len(found.missing),
                         left_out_not_in_district=len(found.extra))
            self._note_former_codes(spec, entry)
            if found.variant_note:
                entry["vintage_note"] = found.variant_note
                if found.label != spec.label and spec.variants and found.variant_note.startswith("the file"):
                    self._warn(f"{spec.label}: {self.la_name}'s boundary file holds another vintage, labelled "
                               f"{found.label}: {found.variant_note}.")
            if found.missing:
                self._warn(f"{spec.label}: {len(found.missing)} area(s) of {self.la_name} have no boundary in "
                           f"the source files: {', '.join(found.missing[:10])}")
            self.report.geographies[spec.id] = entry
        if not self.frames:
            raise BuildError(f"No boundaries for {self.la} ({self.la_name}) in the source directory {self.source}; "
                             f"nothing was written.")

    def _note_former_codes(self, spec: BoundarySpec, entry: dict) -> None:
        """Say when a member table lists the authority's areas under former district codes (e.g. IoD2019's 2019
        codes of districts merged since), and which."""
        if spec.members is None or self.authority.is_england:
            return
        listed = set(member_table(spec, self.source)["district"]) & set(self.authority.aliases)
        former = sorted(listed - set(self.authority.districts))
        if former:
            entry["member_districts"] = sorted(listed)
            self.report.authority["notes"].append(
                f"{spec.label}: the areas are those {spec.members.file} lists under the district code(s) "
                f"{', '.join(former)} (former codes of {self.la_name}'s area), resolved to {self.la}.")

    def _partial_cover(self, spec: BoundarySpec, found) -> str:
        """Why a county's or region's boundary set is left out: its files cover only some districts ("" if not).

        A set read from per-district files with no member table (older wards, say) that
        has files for a few of the group's districts would map part of it; it is left out.
        """
        if found is None or not self.authority.is_group or spec.members is not None:
            return ""
        named = {code for code in self.authority.aliases if any(code in f for f in found.files)}
        if len(named) >= len(self.authority.districts):
            return ""
        return (f"files for only {len(named)} of the {len(self.authority.districts)} districts of {self.la_name} "
                f"({', '.join(_short(found.files))}); a part of the area is not mapped")

    def _outline(self) -> gpd.GeoDataFrame | None:
        spec = self.catalogue.district_outline()
        if not self.authority.names_districts:  # England without district outlines to list its districts
            return None
        found = read_boundaries(spec, self.source, self.authority) if spec else None
        if found is not None and len(found.frame):
            self.report.outline = f"{spec.label} ({', '.join(found.files)})"
            if self.authority.is_group:
                self.report.outline += f": the outlines of its {len(found.frame)} districts"
            return found.frame
        finest = next(iter(self.frames.values()))
        self.report.outline = "dissolved from the district's small areas (no outline file has this code)"
        self._warn(f"No district outline for {self.la} in the outline file; dissolved its small areas instead.")
        return gpd.GeoDataFrame({"name": [self.la_name]}, geometry=[finest.geometry.union_all()],
                                crs=finest.crs, index=pd.Index([self.la], name="code"))

    def _check_inside(self, outline: gpd.GeoDataFrame | None) -> None:
        """Fail when a boundary set's areas lie outside the district's outline (a shifted or foreign file).

        A few areas outside are reported as a warning; more than
        :data:`IMPLAUSIBLE_SHARE` of them is a :class:`BuildError`, so an earlier
        good atlas is never replaced by one whose layers would be empty.
        """
        if outline is None or self.report.outline.startswith("dissolved"):
            return
        shape = outline.geometry.union_all().buffer(OUTLINE_TOLERANCE_M)
        shapely.prepare(shape)  # one outline against every area (England's: tens of thousands)
        for geography, frame in self.frames.items():
            outside = frame.index[~frame.geometry.representative_point().within(shape)].tolist()
            if not outside:
                continue
            label, files = self.boundaries[geography].spec.label, ", ".join(self.boundaries[geography].files)
            if len(outside) > IMPLAUSIBLE_SHARE * len(frame):
                raise BuildError(
                    f"{label}: {len(outside)} of {len(frame)} areas in {files} lie outside the outline of "
                    f"{self.la_name} ({self.report.outline}), e.g. {', '.join(outside[:5])}; expected the "
                    f"district's areas inside its outline (is the file shifted, in another CRS, or for another "
                    f"district?). Nothing was written; an earlier atlas is kept.")
            self._warn(f"{label}: {len(outside)} area(s) lie outside the outline of {self.la_name}: "
                       f"{', '.join(outside[:10])}")
    def _add_district_geography(self, outline: gpd.GeoDataFrame | None) -> None:
        """A county's districts as a geography of its own, for district aggregation and profiles."""
        spec = self.catalogue.district_outline()
        if outline is None or spec is None or not spec.aggregate_from:
            return
        found = Boundaries(spec, outline[["name", "geometry"]].copy(), [])
        self.boundaries[spec.id] = found
        self.frames[spec.id] = found.frame.copy()
        self.report.geographies[spec.id] = {"label": spec.label, "level": spec.level, "vintage": spec.vintage,
                                               "status": "built", "areas": len(found.frame),
                                               "files": [self.report.outline]}

    def _add_upper_tier(self) -> None:
        """A region's or England's upper-tier authorities (counties, and districts that are upper tier
        themselves) as a geography: the district outlines dissolved, reached through the districts."""
        spec = self.catalogue.district_outline()
        if self.authority.kind == "county" or spec is None or spec.id not in self.boundaries or not spec.upper_tier:
            return
        districts = self.boundaries[spec.id]
        tiers = authorities.upper_tiers(districts.frame.index, self.catalogue, self.source)
        found = upper_tier.upper_tier_boundaries(districts, tiers, upper_tier.upper_tier_spec(spec))
        self.tiers = tiers
        self.boundaries[upper_tier.UPPER_TIER] = found
        self.frames[upper_tier.UPPER_TIER] = found.frame.drop(columns="kind")
        self.report.geographies[upper_tier.UPPER_TIER] = {
            "label": found.label, "level": found.spec.level, "vintage": found.vintage, "status": "built",
            "areas": len(found.frame), "files": [self.report.outline, spec.upper_tier["file"]],
            "kinds": found.frame["kind"].value_counts().to_dict()}

    def _assign(self, rule, child: str, target: str) -> Assignment:
        """Assign ``child`` areas to ``target`` areas by the rule (the upper tier through the districts)."""
        if rule.method != upper_tier.VIA_DISTRICT:
            return assign(rule, self.boundaries[child], self.boundaries[target], self.source)
        district = self.catalogue.district_outline()
        key = (child, district.id)
        to_district = (self.assignments[key][0] if key in self.assignments else
                       assign(district.aggregate_from[child], self.boundaries[child], self.boundaries[district.id],
                              self.source))
        return upper_tier.via_district(to_district, self.tiers, rule.file)

    # -- point sets (atlas.points) -----------------------------------------------------------
    def _place_points(self, outline) -> None:
        if not self.catalogue.points:
            return
        self.placed, self.report.points = points.build_points(self.catalogue, self.source, self.authority,
                                                                 self.la_name, outline)
        for placed in self.placed.values():
            self.meta.extend(placed.meta)
        for warning in points.warnings_for(self.report.points, self.la_name):
            self._warn(warning)

    # -- native layers ------------------------------------------------------------------------
    def _join_layers(self, geography: str) -> None:
        for source in self.catalogue.sources_on(geography):
            if source.computed == EstimateSpec.METHOD:  # from files, like a published layer
                self.frames[geography] = self.frames[geography].copy()  # one block before many columns
                self._join_source(geography, source, self._estimate_table(geography, source))
            elif source.computed == SourceSpec.REGISTERED:
                self._join_source(geography, source, self._registered_table(geography, source))
            elif not source.computed:
                self._join_source(geography, source, read_source(source, self.source))

    def _join_computed(self) -> None:
        """Layers computed from the point sets (after aggregation, so wards have their population); then the
        benchmarks of the small-area estimates, on every geography they reached."""
        computed = False
        for geography in list(self.frames):
            for source in self.catalogue.sources_on(geography):
                if _from_points(source):
                    table = points.computed_table(source, self.frames[geography], self.placed)
                    self._join_source(geography, source, table)
                    computed = True
        if computed:
            self._aggregate(computed=True)
        self._estimate_benchmarks()

    # -- small-area estimates (atlas.estimates, atlas.small_area) ------------------------------
    def _estimate_table(self, geography: str, source: SourceSpec) -> pd.DataFrame:
        spec = self.catalogue.estimates[source.id]
        codes = set(self.frames[geography].index)
        links = self._estimate_links(spec)
        extra = set(links["old"]) if links is not None else set()
        run = small_area.run(spec, self.catalogue, self.source, None if self.la == ENGLAND else codes | extra,
                             config.out_dir() / "cache")
        self.estimate_runs[spec.id] = run
        self.report.estimates[spec.id] = run.report
        for warning in small_area.warnings(run):
            self._warn(warning)
        return small_area.table_for(run, codes)

    def _estimate_links(self, spec: EstimateSpec) -> pd.DataFrame | None:
        """The links of the estimate's LSOA lookup to the district's areas of its ``convert`` geography, with the
        areas the lookup lacks linked by overlap (made once per build); None when that geography is not built."""
        target = spec.convert.get("geography")
        if target not in self.frames or spec.geography not in self.frames:
            return None
        if spec.id not in self.estimate_links:
            links = small_area.lsoa_links(spec, self.source)
            links = links[member_of(links["new"], set(self.frames[target].index))]
            self.estimate_links[spec.id] = self._links_with_overlaps(links, spec.geography, target)
        return self.estimate_links[spec.id]

    def _registered_table(self, geography: str, source: SourceSpec) -> pd.DataFrame:
        """Registered patients and residents of the district's areas (atlas.registered)."""
        spec = self.catalogue.estimates[source.estimate]
        codes = set(self.frames[geography].index)  # England's too: patients living in Wales are not England's
        extracts = None if self.la == ENGLAND else config.out_dir() / "cache"  # England reads the whole file
        run = registered.run(source, self.catalogue, self.source, codes, self._estimate_links(spec), extracts)
        self.registered_runs[source.id] = run
        self.report.registered[source.id] = run.report
        for warning in registered.warnings(run):
            self._warn(warning)
        return run.table

    def _links_with_overlaps(self, links: pd.DataFrame, old_g: str, new_g: str) -> pd.DataFrame:
        """The lookup's links plus, for each new area it lacks (a part of a split area: the ONS lookup lists
        one part only), a link to the old area holding most (at least half) of it; marked ``how``."""
        links = links.assign(how="ONS lookup")
        old, new = self.frames[old_g], self.frames[new_g]
        rows = []
        for code in sorted(set(new.index) - set(links["new"])):
            shape = new.geometry[code]
            overlap = old.geometry.intersection(shape).area / shape.area if shape.area > 0 else pd.Series(dtype=float)
            if len(overlap) and overlap.max() >= 0.5:
                rows.append({"old": overlap.idxmax(), "new": code, "how": "boundary overlap"})
        return pd.concat([links, pd.DataFrame(rows, columns=["old", "new", "how"])], ignore_index=True)

    def _convert_estimates(self) -> None:
        """Estimates on the other LSOA vintage by moving R and L through the lookup, then summed to the
        larger areas built from that vintage that lack them (MSOA 2021)."""
        for spec_id, run in self.estimate_runs.items():
            target = run.spec.convert.get("geography")
            if target not in self.frames or spec_id not in self.estimate_links:
                continue
            frame = self.frames[target]
            weight_id = run.spec.convert.get("weight")
            weights = frame[weight_id] if weight_id in frame.columns else None
            values = pd.concat([run.result.register.add_suffix("_register"), run.result.list.add_suffix("_list")],
                               axis=1)
            links = self.estimate_links[spec_id]
            converted, unshared = estimates.convert_counts(values, links, weights)
            no_link = sorted(set(frame.index) - set(converted.index))
            label = self.boundaries[run.spec.geography].spec.label
            method = (f"converted from the {label} estimates through the ONS LSOA 2011 to 2021 lookup "
                      f"({Path(run.spec.convert['file']).name}): estimated registers and lists of merged areas "
                      f"summed, of a split area shared by {weight_id or 'equal shares'}; then "
                      + small_area.method_text(run))
            inferred = links[links["how"] == "boundary overlap"]
            run.report[f"converted_to_{target}"] = {
                "areas": int(frame.index.isin(converted.index).sum()), "no_link": _short(no_link),
                "shared_equally": _short(unshared),
                "linked_by_overlap": _short([f"{n} in {o}" for o, n in zip(inferred["old"], inferred["new"])])}
            if no_link:
                self._warn(f"Small-area estimates on {self.boundaries[target].spec.label}: {len(no_link)} area(s) "
                           f"have no link in the LSOA lookup and no estimate: {', '.join(no_link[:10])}")
            columns = {}
            for indicator in run.indicators:
                rid = run.register_of(indicator)
                columns.update(_ratio_columns(indicator, converted[f"{rid}_register"], converted[f"{rid}_list"],
                                              frame.index))
                self._add_meta(indicator, target, run.spec.geography, method)
            self._add_columns(target, columns)
            self._sum_converted(target, run.spec.geography, run.indicators, small_area.method_text(run))
        self._convert_registered()

    def _convert_registered(self) -> None:
        """Registered patients and residents on the other LSOA vintage, moved through the estimate's lookup
        (conserving both counts), then summed to the larger areas built from that vintage (MSOA 2021)."""
        for run in self.registered_runs.values():
            target = run.spec.convert.get("geography")
            links = self.estimate_links.get(run.spec.id)
            if target not in self.frames or links is None:
                continue
            frame = self.frames[target]
            weight_id = run.spec.convert.get("weight")
            weights = frame[weight_id] if weight_id in frame.columns else None
            counts = run.table.set_index("code")[[registered.PATIENTS, registered.RESIDENTS]]
            converted, _ = estimates.convert_counts(counts, links, weights)
            table = converted.rename_axis("code").reset_index()
            label = self.boundaries[run.source.geography].spec.label
            method = (f"converted from {label} through the lookup {Path(run.spec.convert['file']).name}: counts of "
                      f"merged areas summed, of a split area shared by {weight_id or 'equal shares'}. "
                      + registered.method_text(run, self.catalogue))
            columns = {}
            for indicator in run.indicators:
                columns.update(layer_columns(indicator.id, indicator_frame(table, indicator), frame.index))
                self._add_meta(indicator, target, run.source.geography, method)
            self._add_columns(target, columns)
            self._sum_converted(target, run.source.geography, run.indicators,
                                registered.method_text(run, self.catalogue))

    def _sum_converted(self, child: str, native: str, indicators: list, note: str) -> None:
        """Layers converted to ``child`` summed (counts) or summed over summed (ratios) for every larger area built
        from ``child`` but not from their ``native`` geography (MSOA 2021; wards are summed from LSOA 2011 like
        its other layers)."""
        for parent, boundaries in self.boundaries.items():
            rule = boundaries.spec.aggregate_from.get(child)
            if rule is None or native in boundaries.spec.aggregate_from:
                continue
            if (child, parent) not in self.assignments:
                assignment = self._assign(rule, child, parent)
                self.assignments[child, parent] = assignment, self._report_assignment(child, parent, assignment, [])
            assignment, entry = self.assignments[child, parent]
            entry["layers"] += [i.id for i in indicators]
            source = self.frames[child]
            groups = assignment.parent.reindex(source.index)
            label, columns = self.boundaries[child].spec.label, {}
            for indicator in indicators:
                how = indicator.aggregation
                result = aggregate.by_rule(how, source, indicator.id, groups, None, indicator.scale)
                columns.update(layer_columns(indicator.id, result.columns, self.frames[parent].index))
                method = aggregate.method_text(how, label, None, assignment.method)
                self._add_meta(indicator, parent, child, f"{method}. {note}")
            self._add_columns(parent, columns)

    def _add_columns(self, geography: str, columns: dict) -> None:
        frame = self.frames[geography]
        kept = frame.drop(columns=[c for c in columns if c in frame.columns])
        self.frames[geography] = pd.concat([kept, pd.DataFrame(columns, index=frame.index)], axis=1)

    def _estimate_benchmarks(self) -> None:
        """The district's and England's value of every estimate layer, on every geography it reached; and the
        district's estimate beside its practices' own register over list (which differ by cross-border
        registration)."""
        for run in self.estimate_runs.values():
            lsoas = self.frames[run.spec.geography].index
            comparison = {}
            for indicator in run.indicators:
                found = [b.as_dict() for b in small_area.benchmarks(run, indicator, lsoas, self.la_name)]
                for geography, frame in self.frames.items():
                    if indicator.id in frame.columns:
                        self.report.benchmarks.append(
                            {"layer": indicator.id, "geography": geography, "benchmarks": found})
                comparison[indicator.id] = {"district_estimate": found[0]["value"], "england": found[1]["value"],
                                            "district_practices": self._practice_benchmark(run.register_of(indicator))}
            run.report["district_vs_practices"] = comparison

    def _catchments(self) -> pd.DataFrame:
        """Where the patients of the district's practices live (not kept for England: every practice's rows)."""
        for run in self.estimate_runs.values():
            point_set = run.spec.catchments
            if not point_set or point_set not in self.placed or self.la == ENGLAND:
                continue
            rows = run.shares.rows
            district = set(self.placed[point_set].district.index)
            rows = rows[member_of(rows["practice"], district)]
            # a practice none of whose patients live in the district's areas is not in their extract: say so
            missing = sorted((district & set(run.shares.totals.index)) - set(rows["practice"]))
            run.report["catchments"] = {"point_set": point_set, "practices": int(rows["practice"].nunique()),
                                        "rows": int(len(rows)), "without_patients_in_district": missing}
            if missing:
                self._warn(f"Catchments: {len(missing)} practice(s) of {self.la_name} have no patient living in "
                           f"its areas, so no catchment is kept: {', '.join(missing[:10])}")
            return rows[["practice", "area", "patients", "share"]].reset_index(drop=True)
        return empty_catchments()

    def _practice_benchmark(self, layer: str) -> float | None:
        for info in self.report.points.values():
            for entry in info.get("layers", []):
                if entry["layer"] == layer:
                    return next((b["value"] for b in entry.get("benchmarks", []) if b["area"] == "district"), None)
        return None

    def _join_source(self, geography: str, source: SourceSpec, table: pd.DataFrame) -> None:
        frame = self.frames[geography]
        data_codes = set(table[source.key].to_numpy(dtype=object))
        in_data = member_of(frame.index.to_series(), data_codes)
        wanted = set(frame.index)
        whole = table
        table = table[member_of(table[source.key], wanted)]
        for indicator in self.catalogue.indicators_on(geography):
            if indicator.source.id != source.id:
                continue
            values = indicator_frame(table, indicator)
            if values.attrs.get("non_finite"):
                self._warn(f"{indicator.id} on {geography}: {values.attrs['non_finite']} infinite value(s) in "
                           f"{indicator.source.file} are shown as no data (a value must be a finite number)")
            if source.computed == EstimateSpec.METHOD:
                method = small_area.method_text(self.estimate_runs[source.id])
            elif source.computed == SourceSpec.REGISTERED:
                method = registered.method_text(self.registered_runs[source.id], self.catalogue)
            else:
                method = points.computed_method(source, self.placed) if source.computed else "as published"
            if indicator.compare:
                values, how = self._compare(indicator, geography, whole, values)
                method += ". " + how
            for name, column in layer_columns(indicator.id, values, frame.index).items():
                frame[name] = column
            self._report_layer(indicator, geography, frame, data_codes, in_data)
            self._add_meta(indicator, geography, geography, method)

    def _compare(self, indicator: IndicatorSpec, geography: str, whole: pd.DataFrame,
                 values: pd.DataFrame) -> tuple[pd.DataFrame, str]:
        """Better/Similar/Worse columns against the district and national benchmarks (atlas.comparators).

        Returns the values with those columns, and the sentence for the method.
        """
        found = comparators.compute(whole, indicator, set(self.frames[geography].index), self.la_name)
        self.report.benchmarks.append(
            {"layer": indicator.id, "geography": geography, "benchmarks": [b.as_dict() for b in found]})
        return comparators.add_comparisons(values, found, indicator.higher_is), comparators.describe(found, indicator)

    def _report_layer(self, indicator: IndicatorSpec, geography: str, frame: gpd.GeoDataFrame,
                      data_codes: set, in_data: np.ndarray) -> None:
        matched = int(in_data.sum())
        missing_values = frame.index[in_data & frame[indicator.id].isna()].tolist()
        entry = {
            "layer": indicator.id, "geography": geography, "source_file": indicator.source.file,
            "spec": indicator.source.spec_file, "areas": len(frame), "matched": matched,
            "unmatched": len(frame) - matched, "unmatched_codes": _short(frame.index[~in_data].tolist()),
            "missing_values": len(missing_values), "missing_value_codes": _short(missing_values),
        }
        note = self._vintage_note(indicator, geography, data_codes)
        if note:
            entry["vintage_warning"] = note
        if entry["unmatched"]:
            self._warn(f"{indicator.id} on {geography}: {entry['unmatched']} of {len(frame)} areas have no row "
                       f"in {indicator.source.file}" + (f" ({note})" if note else ""))
        self.report.layers.append(entry)

    def _vintage_note(self, indicator: IndicatorSpec, geography: str, data_codes: set) -> str | None:
        """Say so when the data hold codes of another vintage of the same geography."""
        spec = self.boundaries[geography].spec
        here = set(self.frames[geography].index)
        for other in self.catalogue.area_boundaries():
            if other.id == geography or other.level != spec.level or other.members is None:
                continue
            if other.id not in self.members:  # read each member list once per build
                self.members[other.id] = district_members(other, self.source, self.authority)
            theirs = self.members[other.id]
            if theirs is None:
                continue
            foreign = sorted((set(theirs) - here) & data_codes)
            if foreign:
                return (f"{len(foreign)} code(s) in {indicator.source.file} are {other.label} codes of "
                        f"{self.la_name} that are not {spec.label} codes (e.g. {', '.join(foreign[:3])}): "
                        f"the layer is declared {spec.label}; check its vintage")
        return None

    # -- aggregation to larger areas ---------------------------------------------------------
    def _aggregate(self, computed: bool = False) -> None:
        for target, parent in self.boundaries.items():
            for child_id, rule in parent.spec.aggregate_from.items():
                if child_id not in self.boundaries:
                    continue
                indicators = [i for i in self.catalogue.indicators_on(child_id)
                              if i.aggregation != "none" and _from_points(i.source) == computed]
                if not indicators:
                    continue
                if (child_id, target) in self.assignments:  # the computed layers' pass
                    assignment, entry = self.assignments[child_id, target]
                    entry["layers"] += [i.id for i in indicators]
                else:
                    assignment = self._assign(rule, child_id, target)
                    entry = self._report_assignment(child_id, target, assignment, indicators)
                    self.assignments[child_id, target] = assignment, entry
                columns: dict = {}  # written at once: one insert per column fragments wide frames
                for indicator in indicators:
                    columns.update(self._aggregate_one(indicator, child_id, target, assignment))
                self._add_columns(target, columns)

    def _report_assignment(self, child: str, target: str, assignment: Assignment, indicators) -> dict:
        entry = {
            "from": child, "to": target, "method": assignment.method,
            "assigned": len(assignment.parent), "unassigned": _short(assignment.unassigned),
            "fallback_by_largest_overlap": _short(assignment.fallback),
            "layers": [i.id for i in indicators],
            "not_aggregated": [i.id for i in self.catalogue.indicators_on(child) if i.aggregation == "none"],
        }
        self.report.aggregations.append(entry)
        if assignment.parent_rules:
            entry["parent_rules"] = {rule: _short(codes) for rule, codes in assignment.parent_rules.items()}
        label = self.boundaries[child].label
        areas = len(self.boundaries[child].frame)
        if len(assignment.unassigned) > IMPLAUSIBLE_SHARE * areas:
            raise BuildError(
                f"{len(assignment.unassigned)} of {areas} {label} areas of {self.la_name} could not be assigned to "
                f"any {self.boundaries[target].label} area ({assignment.method}), e.g. "
                f"{', '.join(assignment.unassigned[:5])}; expected nearly every area to lie in one (are the "
                f"boundary files of the same district and place?). Nothing was written; an earlier atlas is kept.")
        if assignment.unassigned:
            self._warn(f"{len(assignment.unassigned)} {label} area(s) could not be assigned to "
                       f"{self.boundaries[target].label}: {', '.join(assignment.unassigned[:10])}")
        if assignment.fallback:
            self._warn(f"{len(assignment.fallback)} {label} area(s) have a centroid outside every "
                       f"{self.boundaries[target].label} area and were assigned by largest overlap: "
                       f"{', '.join(assignment.fallback[:10])}")
        return entry

    def _aggregate_one(self, indicator: IndicatorSpec, child: str, target: str, assignment: Assignment) -> dict:
        """One indicator aggregated to ``target``: its metadata and report entries, and its columns (returned)."""
        source = self.frames[child]
        parent = assignment.parent.reindex(source.index)
        weight_id = indicator.source.weight
        weights = source[weight_id] if weight_id else None
        how = indicator.aggregation
        result = aggregate.by_rule(how, source, indicator.id, parent, weights, indicator.scale)
        layer_id = indicator.id + (MOST_DEPRIVED_SUFFIX if how == "decile_share" else "")
        columns = layer_columns(layer_id, result.columns, self.frames[target].index)
        if result.shares is not None:
            shares = result.shares.assign(geography=target, layer=indicator.id)
            self.shares.append(shares[["geography", "code", "layer", "decile", "population", "areas", "share"]])
        child_label = self.boundaries[child].label
        weight_label = self.catalogue.indicators[weight_id].label if weight_id else None
        method = aggregate.method_text(how, child_label, weight_label, assignment.method)
        if indicator.source.id in self.estimate_runs:
            method += ". " + small_area.method_text(self.estimate_runs[indicator.source.id])
        if indicator.source.id in self.registered_runs:
            method += ". " + registered.method_text(self.registered_runs[indicator.source.id], self.catalogue)
        self._add_meta(indicator, target, child, method, layer_id)
        if result.incomplete:
            self.report.layers.append({
                "layer": layer_id, "geography": target, "aggregated_from": child,
                "incomplete_areas": _short(result.incomplete),
                "note": "some of these areas' small areas had no value; see method",
            })
        return columns

    def _coverage(self) -> None:
        """For each rule with ``coverage``: how much of each parent's residents its assigned children hold.

        Adds a percentage layer to the parent set, a ``coverage`` entry to the aggregation's report entry,
        and a warning naming the parents more than :data:`COVERAGE_TOLERANCE` off.
        """
        for (child, target), (_, entry) in self.assignments.items():
            rule = self.boundaries[target].spec.aggregate_from[child]
            if not rule.coverage:
                continue
            frame, wanted = self.frames[target], (rule.coverage["population"], rule.coverage["reference"])
            missing = [layer for layer in wanted if layer not in frame.columns]
            if missing:
                entry["coverage"] = {"status": "not computed",
                                     "reason": f"no {' or '.join(missing)} layer on {self.boundaries[target].label}"}
                continue
            table = aggregate.coverage(frame[wanted[0]], frame[wanted[1]], COVERAGE_TOLERANCE)
            layer = aggregate.coverage_layer(child)
            self._add_columns(target, {layer: table["share"], f"{layer}_assigned": table["assigned"],
                                       f"{layer}_reference": table["reference"]})
            self.meta.append(self._coverage_meta(child, target, layer, *wanted))
            entry["coverage"] = self._coverage_entry(child, target, layer, table, frame, wanted)

    def _coverage_meta(self, child: str, target: str, layer: str, population: str, reference: str) -> dict:
        small, large = self.boundaries[child].label, self.boundaries[target].label
        people, residents = self.catalogue.indicators[population], self.catalogue.indicators[reference]
        method = (f"sum of {people.label} over the {small} areas assigned to each area "
                  f"({self.assignments[child, target][0].method}), as a percentage of its {residents.label} "
                  f"(summed from its own best-fitting small areas); flagged when more than "
                  f"{COVERAGE_TOLERANCE:.0%} from 100%")
        row = indicator_row(people, target, large, method, child, self.boundaries[target].spec.attribution,
                            layer=layer, kind="percentage", units="%", higher_is="neutral",
                            label=f"Residents covered by the {small} areas assigned (% of {residents.label})",
                            description=(f"How well the {small} figures describe each area: the residents of the "
                                         f"{small} areas placed in it ({people.label}) as a share of its own "
                                         f"residents ({residents.label}). Far from 100%, its {small} figures "
                                         f"describe a different population from the area's."))
        row["period"] = f"{people.source.period} against {residents.source.period}"
        row["source_title"] = f"{people.source.title}; {residents.source.title}"
        row["attribution"] = f"{people.source.attribution} {residents.source.attribution}"
        return row

    def _coverage_entry(self, child: str, target: str, layer: str, table: pd.DataFrame, frame,
                        wanted: tuple[str, str]) -> dict:
        names = frame["name"] if "name" in frame.columns else pd.Series(table.index, index=table.index)
        off = table[table["differs"]].sort_values("share")
        listed = [{"code": code, "name": str(names.get(code, code)), "assigned": float(row.assigned),
                   "reference": float(row.reference), "share": round(float(row.share), 1)}
                  for code, row in off.iterrows()]
        if listed:
            examples = "; ".join(f"{w['name']} ({w['code']}) {w['assigned']:,.0f} against {w['reference']:,.0f} "
                                 f"({w['share']:.0f}%)" for w in listed[:10])
            people, residents = (self.catalogue.indicators[i].label for i in wanted)
            self._warn(f"{len(listed)} of the {len(table)} areas of {self.boundaries[target].label}: the "
                       f"{self.boundaries[child].label} areas placed in them hold residents ({people}) more than "
                       f"{COVERAGE_TOLERANCE:.0%} off their own ({residents}), so their figures from those areas "
                       f"describe a different population (layer {layer}): {examples}")
        return {"status": "computed", "layer": layer, "population": wanted[0], "reference": wanted[1],
                "tolerance_percent": COVERAGE_TOLERANCE * 100,
                "areas": int(table["share"].notna().sum()), "differing": listed[:LIST_LIMIT]}

    # -- metadata ----------------------------------------------------------------------------
    def _add_meta(self, indicator: IndicatorSpec, geography: str, native: str, method: str,
                  layer_id: str | None = None) -> None:
        found = self.boundaries[geography]
        spec = found.spec
        shown = aggregate.decile_share_display(indicator, layer_id) if layer_id and layer_id != indicator.id else {}
        self.meta.append(indicator_row(indicator, geography, found.label, method, native, spec.attribution, **shown))

    def _warn(self, text: str) -> None:
        self.report.warn(text)


def _from_points(source: SourceSpec) -> bool:
    """Whether a source is computed from the point sets (joined after the first aggregation pass)."""
    return bool(source.computed) and source.computed not in (EstimateSpec.METHOD, SourceSpec.REGISTERED)


def _ratio_columns(indicator: IndicatorSpec, numerator: pd.Series, denominator: pd.Series,
                   index: pd.Index) -> dict[str, pd.Series]:
    """The value, numerator and denominator columns of a ratio layer (no value where the denominator is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(denominator > 0, numerator / denominator * indicator.scale, np.nan)
    values = pd.DataFrame({"value": value, "numerator": numerator, "denominator": denominator},
                          index=numerator.index)
    return layer_columns(indicator.id, values, index)


def _short(codes: list) -> list:
    codes = list(codes)
    return codes if len(codes) <= LIST_LIMIT else codes[:LIST_LIMIT] + [f"... and {len(codes) - LIST_LIMIT} more"]
