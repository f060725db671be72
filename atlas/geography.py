"""Boundaries: reading, checking and reprojecting areas, and relating them.

Everything is analysed in British National Grid (EPSG:27700). Source files come
in WGS84 lon/lat (GeoJSON) or in British National Grid (ONS shapefiles); each
boundary spec states the CRS it expects and the reader checks it, since a file
in an unexpected CRS would silently put areas in the wrong place.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from . import config
from .codes import ENGLAND
from .errors import SourceFileError
from .readers import normalise_codes, read_table, require_columns
from .specs import AggregationRule, BoundarySpec, Variant

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
#: Plausible bounds of the United Kingdom (with a margin) in each CRS the atlas reads.
_PLAUSIBLE_BOUNDS = {
    4326: (-11.0, 49.0, 2.5, 61.5),
    27700: (-250_000.0, -50_000.0, 700_000.0, 1_300_000.0),
}


@dataclass(frozen=True)
class DistrictSet:
    """The districts one atlas covers (one district, a county's districts, or England).

    Attributes
    ----------
    code : str
        The atlas's code (a district, a county, or ``E92000001``).
    districts : tuple of str
        Codes whose per-district files are read (``{lad}`` in a spec's ``files``).
    aliases : frozenset of str
        Every district code whose areas are this atlas's: ``districts`` and their
        former codes (a file or table keyed by a 2019 code still counts). Files of
        an alias are read only for a district that has no file of its own.
    """

    code: str
    districts: tuple = ()
    aliases: frozenset = frozenset()

    @classmethod
    def of(cls, la: "str | DistrictSet") -> "DistrictSet":
        """``la`` itself, or the district set of one district code."""
        if isinstance(la, DistrictSet):
            return la
        return cls(la, (la,), frozenset({la}))

    @property
    def is_england(self) -> bool:
        return self.code == ENGLAND

    @property
    def names_districts(self) -> bool:
        """Whether ``districts`` are district codes: always, but for an England set of England's code alone
        (whose areas are every area of the files, unfiltered)."""
        return not (self.is_england and self.districts == (self.code,))


@dataclass
class Boundaries:
    """The areas of one boundary set within a district, in British National Grid.

    Attributes
    ----------
    spec : BoundarySpec
    frame : geopandas.GeoDataFrame
        Indexed by area code, with ``name`` and ``geometry``.
    files : list of str
        Source files read (relative to the source directory).
    missing : list of str
        Codes the district's member list expects that no file holds.
    extra : list of str
        Codes in the files that are not members of the district (left out).
    label, vintage : str
        What the areas are: the spec's label and vintage, or those of the
        spec's variant the files turned out to hold (e.g. December 2022 wards).
    variant_note : str
        Why a variant's label applies ("" for the spec's own).
    """

    spec: BoundarySpec
    frame: gpd.GeoDataFrame
    files: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    label: str = ""
    vintage: str = ""
    variant_note: str = ""

    def __post_init__(self):
        self.label = self.label or self.spec.label
        self.vintage = self.vintage or self.spec.vintage


def district_members(spec: BoundarySpec, source_dir: Path, la_code: "str | DistrictSet") -> pd.Series | None:
    """Codes of the areas of ``spec`` in district ``la_code``, from its member table.

    ``la_code`` may be a :class:`DistrictSet` (a county, or a district with
    former codes): the areas of every code of its ``aliases`` are returned.
    Returns None when the spec has no member table (the district's own file
    then defines its areas). For England (``E92000001``) the areas of its
    districts (and their former codes); every code of the table when the set
    names no districts (no district outlines to list them).
    """
    if spec.members is None:
        return None
    scope = DistrictSet.of(la_code)
    table = member_table(spec, source_dir)
    if scope.names_districts:  # England's own districts (an England and Wales table lists Wales's too)
        table = table[table["district"].isin(scope.aliases)]
    return table["code"].drop_duplicates().reset_index(drop=True)


def member_table(spec: BoundarySpec, source_dir: Path) -> pd.DataFrame:
    """The spec's member table as columns ``code``, ``district`` and ``district_name``."""
    m = spec.members
    wanted_by = f"{spec.spec_file} [members]"
    table = read_table(source_dir, m.file, m.reader, wanted_by, text_columns=(m.code, m.district))
    cols = [m.code, m.district] + ([m.district_name] if m.district_name else [])
    require_columns(table, cols, m.file, wanted_by)
    out = pd.DataFrame({
        "code": normalise_codes(table[m.code]),
        "district": normalise_codes(table[m.district]),
        "district_name": table[m.district_name].astype("string") if m.district_name else pd.NA,
    })
    return out.dropna(subset=["code", "district"])


def read_boundaries(spec: BoundarySpec, source_dir: Path, la_code: "str | DistrictSet") -> Boundaries | None:
    """Read the areas of one boundary set for a district (or county), reprojected to BNG.

    Parameters
    ----------
    spec : BoundarySpec
    source_dir : pathlib.Path
    la_code : str or DistrictSet
        District code, ``E92000001`` for all of England, or the district set of
        a county or of a district with former codes.

    Returns
    -------
    Boundaries or None
        None when the source directory holds no file of this set for the
        district (the geography is then simply not available for it).

    Raises
    ------
    SourceFileError
        If a file cannot be read, lacks the code or name column, or is not in
        the CRS the spec expects.
    """
    scope = DistrictSet.of(la_code)
    members = district_members(spec, source_dir, scope)
    files = _district_files(spec, source_dir, scope)
    searchable = members is not None and len(members) and spec.national_files
    if not files and not searchable:
        return None
    frame = _read_files(spec, source_dir, files)
    variant = frame.attrs.get("variant")
    if spec.district_column and scope.names_districts:
        frame = frame[frame["district"].isin(scope.aliases)]
    if members is None:
        return _labelled(Boundaries(spec, frame.drop(columns="district", errors="ignore"), files), source_dir, variant)
    wanted = set(members)
    missing = sorted(wanted - set(frame.index))
    if missing and spec.national_files and not scope.is_england:
        # The district's own file lacks some areas (e.g. districts merged since
        # the files were cut): look for them in the files that hold them (a cached index).
        extra_files = _files_holding(spec, source_dir, set(missing), exclude=files)
        found = _read_files(spec, source_dir, extra_files, keep=set(missing))
        if len(found):
            frame = pd.concat([frame, found])
            files = files + sorted({f for f in found.pop("_file")})
        missing = sorted(wanted - set(frame.index))
    extra = sorted(set(frame.index) - wanted)
    frame = frame[frame.index.isin(wanted)]
    frame = frame.drop(columns=["district", "_file"], errors="ignore")
    if frame.empty:
        return None
    return _labelled(Boundaries(spec, frame, files, missing, extra), source_dir, variant)


def _labelled(found: Boundaries, source_dir: Path, column_variant: Variant | None) -> Boundaries:
    """Label the areas read by the spec's variant they turn out to be (see :class:`atlas.specs.Variant`)."""
    spec = found.spec
    if column_variant is not None:
        found.label, found.vintage = column_variant.label, column_variant.vintage
        found.variant_note = (f"the file(s) {', '.join(found.files)} hold {column_variant.vintage} areas "
                              f"(column {column_variant.code}), not the {spec.vintage} areas of {spec.spec_file}")
        return found
    codes = set(found.frame.index)
    for variant in spec.variants:
        if not variant.codes_file or not codes:
            continue
        wanted_by = f"{spec.spec_file} [[variants]] {variant.label}"
        table = read_table(source_dir, variant.codes_file, {}, wanted_by, text_columns=(variant.codes_column,))
        require_columns(table, [variant.codes_column], variant.codes_file, wanted_by)
        if codes <= set(normalise_codes(table[variant.codes_column]).dropna()):
            found.label, found.vintage = variant.label, variant.vintage
            found.variant_note = (f"every one of the {len(codes)} area codes is a {variant.vintage} code "
                                  f"({variant.codes_column} of {variant.codes_file})")
            return found
    return found


def _district_files(spec: BoundarySpec, source_dir: Path, scope: DistrictSet) -> list[str]:
    """The files of the district set: the first pattern of ``spec.files`` that finds any is used.

    Each district's own file is read; a district without one is looked for under
    the set's other codes (its former codes, e.g. 2011-era files of a district
    merged since). England reads the spec's national files when it names them,
    else every district's own file (files of former codes only for a district
    without one: a former district's file would add its areas again, under older codes).
    """
    if scope.is_england and (spec.national_files or not scope.names_districts):
        return glob_files(source_dir, spec.national_files) if spec.national_files else []
    others = sorted(scope.aliases - set(scope.districts))
    for pattern in spec.files:
        every = glob_files(source_dir, pattern.replace("{lad}", "*"))  # one listing, matched per district

        def of(code: str, pattern=pattern, every=every) -> list[str]:
            return fnmatch.filter(every, pattern.replace("{lad}", glob.escape(code)))
        found: list[str] = []
        for district in scope.districts:
            own = of(district) or [f for code in others for f in of(code)]
            found += [f for f in own if f not in found]
        if found:
            return found
    return []


def _files_holding(spec: BoundarySpec, source_dir: Path, codes: set, exclude: list[str]) -> list[str]:
    """Files of the national set that hold any of ``codes``, from the set's cached code index."""
    index = national_index(spec, source_dir)
    hits = index[index["code"].isin(codes) & ~index["file"].isin(exclude)]
    return sorted(hits["file"].unique())


def national_index(spec: BoundarySpec, source_dir: Path, cache_dir: Path | None = None) -> pd.DataFrame:
    """Which file of the spec's national set holds each area code (columns ``code``, ``file``).

    Built once by reading every file without geometry, and kept in
    ``<output>/cache/boundary_index/<spec id>-<source hash>.parquet``; rebuilt
    when a file of the set is newer than the cache or the set's files changed.
    """
    files = glob_files(source_dir, spec.national_files)
    folder = Path(cache_dir) if cache_dir else config.out_dir() / "cache" / "boundary_index"
    where = hashlib.sha1(str(Path(source_dir).resolve()).encode()).hexdigest()[:12]
    path = folder / f"{spec.id}-{where}.parquet"  # one index per source directory
    newest = max((Path(source_dir, f).stat().st_mtime for f in files), default=0)
    if path.is_file() and path.stat().st_mtime >= newest:
        cached = pd.read_parquet(path)
        if set(cached["file"]) == set(files):
            return cached
    parts = []
    for relative in files:
        gdal_path = _gdal_path(Path(source_dir) / relative)
        table = pyogrio.read_dataframe(gdal_path, columns=[spec.code], read_geometry=False)
        parts.append(pd.DataFrame({"code": normalise_codes(table[spec.code]).to_numpy(), "file": relative}))
    index = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"code": [], "file": []})
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # builds running at once do not write one file
    index.to_parquet(tmp, index=False)
    tmp.replace(path)
    return index


def _gdal_path(path: Path) -> str:
    return f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)


def glob_files(source_dir: Path, pattern: str) -> list[str]:
    base = str(Path(source_dir))
    hits = sorted(glob.glob(str(Path(base) / pattern)))
    return [str(Path(h).relative_to(base)) for h in hits]


def _read_files(spec: BoundarySpec, source_dir: Path, files: list[str], keep: set | None = None) -> gpd.GeoDataFrame:
    parts = []
    for relative in files:
        part = read_boundary_file(spec, Path(source_dir) / relative, relative)
        if keep is not None:
            part = part[part.index.isin(keep)]
            part["_file"] = relative
        parts.append(part)
    if not parts:
        return gpd.GeoDataFrame({"name": []}, geometry=[], crs=BNG)
    variants = [p.attrs.get("variant") for p in parts]
    frame = pd.concat(parts) if len(parts) > 1 else parts[0]
    frame = frame[~frame.index.duplicated(keep="first")]
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs=BNG)
    frame.attrs["variant"] = next((v for v in variants if v is not None), None)
    return frame


def read_boundary_file(spec: BoundarySpec, path: Path, relative: str) -> gpd.GeoDataFrame:
    """Read one boundary file of ``spec`` as ``name``, ``geometry`` (and ``district``) by area code, in BNG.

    A file that lacks the spec's code column but has a variant's (e.g. the
    December 2022 wards among May 2025 ward files) is read with the variant's
    columns; ``frame.attrs["variant"]`` then names the variant.

    Raises
    ------
    SourceFileError
        If the file is missing or unreadable, lacks a column, or is in another CRS.
    """
    if not Path(path).is_file():
        raise SourceFileError(f"Boundary file {relative} (wanted by {spec.spec_file}) is not in the source directory.")
    gdal_path = _gdal_path(Path(path))
    district = [spec.district_column] if spec.district_column else []
    candidates = [spec.code, spec.name, *district] + [c for v in spec.variants if v.code for c in (v.code, v.name) if c]
    try:
        # one read of every candidate column (pyogrio leaves out those the file lacks)
        frame = pyogrio.read_dataframe(gdal_path, columns=list(dict.fromkeys(candidates)), use_arrow=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        raise SourceFileError(f"Cannot read boundary file {relative} (wanted by {spec.spec_file}): {exc}") from exc
    code, name, variant = spec.code, spec.name, None
    if code not in frame.columns:
        variant = next((v for v in spec.variants if v.code and v.code in frame.columns), None)
        if variant is not None:
            code, name = variant.code, variant.name or variant.code
    missing = [c for c in dict.fromkeys([code, name, *district]) if c not in frame.columns]
    if missing:
        fields = pyogrio.read_info(gdal_path)["fields"]
        raise SourceFileError(
            f"Boundary file {relative} (wanted by {spec.spec_file}) has no column "
            f"{', '.join(repr(m) for m in missing)}; its columns are: {', '.join(fields)}"
        )
    _check_geometries(frame, spec, relative)
    _check_crs(frame, spec, relative)
    frame = frame.to_crs(BNG)
    frame.geometry = shapely.make_valid(frame.geometry.values)
    _check_geometries(frame, spec, relative, repaired=True)
    out = gpd.GeoDataFrame(
        {"name": frame[name].astype("string").to_numpy()},
        geometry=frame.geometry.to_numpy(), crs=BNG,
        index=pd.Index(normalise_codes(frame[code]).to_numpy(), name="code"),
    )
    if spec.district_column:
        out["district"] = normalise_codes(frame[spec.district_column]).to_numpy()
    out.attrs["variant"] = variant
    return out


def _check_geometries(frame: gpd.GeoDataFrame, spec: BoundarySpec, relative: str, repaired: bool = False) -> None:
    """Every area must have a polygon: a missing, empty or non-polygon geometry is an error naming the areas.

    Invalid polygons (self-intersections) are repaired with ``make_valid``; one
    whose repair leaves no area (``repaired``) is an error too.
    """
    geometry = frame.geometry.values
    types = pd.Series(frame.geometry.geom_type.to_numpy(), dtype=object)
    bad = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    bad |= ~types.isin(["Polygon", "MultiPolygon", "GeometryCollection"]).to_numpy()
    if repaired:
        bad |= ~(shapely.area(geometry) > 0)
    if not bad.any():
        return
    codes = normalise_codes(frame.loc[bad, spec.code]).fillna("(no code)").tolist()
    what = ("have no area after invalid geometry was repaired" if repaired
            else "have a missing, empty or non-polygon geometry")
    raise SourceFileError(
        f"Boundary file {relative} (wanted by {spec.spec_file}): {int(bad.sum())} of {len(frame)} areas {what} "
        f"(e.g. {', '.join(codes[:5])}); expected a polygon for every area. Repair or replace the file.")


def _check_crs(frame: gpd.GeoDataFrame, spec: BoundarySpec, relative: str) -> None:
    expected = CRS.from_user_input(spec.crs)
    actual = frame.crs
    if actual is None or not CRS.from_user_input(actual).equals(expected, ignore_axis_order=True):
        name = CRS.from_user_input(actual).to_string() if actual is not None else "no CRS"
        raise SourceFileError(
            f"Boundary file {relative} is in {name}, but {spec.spec_file} expects {spec.crs}. "
            f"Reproject the file, or correct the crs in the spec."
        )
    if len(frame) == 0:
        return
    epsg = expected.to_epsg()
    bounds = _PLAUSIBLE_BOUNDS.get(epsg)
    if bounds is None:
        return
    minx, miny, maxx, maxy = frame.total_bounds
    if minx < bounds[0] or miny < bounds[1] or maxx > bounds[2] or maxy > bounds[3]:
        raise SourceFileError(
            f"Boundary file {relative} claims {spec.crs} but its coordinates "
            f"({minx:.1f}, {miny:.1f}) to ({maxx:.1f}, {maxy:.1f}) are not in the UK in that CRS: "
            f"the file is probably in another CRS (e.g. British National Grid metres written "
            f"as lon/lat). {spec.spec_file} expects {spec.crs}."
        )


# --- relating one boundary set to another ---------------------------------------------------

@dataclass
class Assignment:
    """Which parent area each child area is assigned to.

    Attributes
    ----------
    parent : pandas.Series
        Parent code by child code (children not assigned are absent).
    method : str
        How the assignment was made, in words.
    unassigned : list of str
        Children that could not be assigned.
    fallback : list of str
        Children assigned by a fallback rule (reported).
    parent_rules : dict
        For a lookup with a centroid fallback: the parents whose children all
        came by code (``"by code"``) and those that got any child by centroid
        (``"by centroid"``), for the build report.
    """

    parent: pd.Series
    method: str
    unassigned: list[str] = field(default_factory=list)
    fallback: list[str] = field(default_factory=list)
    parent_rules: dict = field(default_factory=dict)


def assign(rule: AggregationRule, child: Boundaries, parent: Boundaries, source_dir: Path) -> Assignment:
    """Assign each child area to one parent area by the rule in the parent's spec.

    Parameters
    ----------
    rule : AggregationRule
    child, parent : Boundaries
    source_dir : pathlib.Path

    Returns
    -------
    Assignment
    """
    if rule.method == "lookup":
        return _assign_by_lookup(rule, child, parent, source_dir)
    if rule.method == "centroid":
        return _assign_by_centroid(child, parent)
    return _assign_by_name(child, parent)


def _assign_by_lookup(rule, child, parent, source_dir) -> Assignment:
    wanted_by = f"{parent.spec.spec_file} [aggregate_from.{child.spec.id}]"
    table = read_table(source_dir, rule.file, rule.reader, wanted_by, text_columns=(rule.child, rule.parent))
    require_columns(table, [rule.child, rule.parent], rule.file, wanted_by)
    lookup = pd.Series(normalise_codes(table[rule.parent]).to_numpy(),
                       index=normalise_codes(table[rule.child]).to_numpy())
    lookup = lookup[~lookup.index.duplicated()]
    mapped = lookup.reindex(child.frame.index)
    ok = mapped.notna() & mapped.isin(parent.frame.index)
    method = f"ONS best-fit lookup {Path(rule.file).name}"
    if rule.fallback != "centroid" or ok.all():
        by_code = mapped[ok].astype(str)
        rules = {"by code": sorted(set(by_code))} if rule.fallback else {}
        return Assignment(by_code, method, sorted(mapped.index[~ok]), parent_rules=rules)
    rest = Boundaries(child.spec, child.frame.loc[~ok.to_numpy()])
    geometric = _assign_by_centroid(rest, parent)
    combined = pd.concat([mapped[ok].astype(str), geometric.parent])
    by_centroid = sorted(set(geometric.parent))
    rules = {"by code": sorted(set(combined) - set(by_centroid)), "by centroid": by_centroid}
    method += (f" where its {parent.label} codes are the boundary files' ({int(ok.sum())} areas); the other "
               f"{int((~ok).sum())} {geometric.method} (their lookup {parent.spec.level}s are not in the "
               f"boundary files: redrawn or recoded since)")
    return Assignment(combined, method, geometric.unassigned, geometric.fallback, rules)


def _assign_by_centroid(child: Boundaries, parent: Boundaries) -> Assignment:
    points = gpd.GeoDataFrame(geometry=child.frame.geometry.centroid, crs=BNG)
    hits = gpd.sjoin(points, parent.frame[["geometry"]], how="left", predicate="within")
    hits = hits[~hits.index.duplicated(keep="first")]
    parent_of = hits["index_right"] if "index_right" in hits else hits.iloc[:, -1]
    parent_of = parent_of.astype("object")
    outside = parent_of.index[parent_of.isna()].tolist()
    fallback = []
    for code in outside:
        overlaps = parent.frame.geometry.intersection(child.frame.geometry.loc[code]).area
        if overlaps.max() > 0:
            parent_of.loc[code] = overlaps.idxmax()
            fallback.append(code)
    assigned = parent_of.dropna().astype(str)
    unassigned = sorted(set(child.frame.index) - set(assigned.index))
    return Assignment(assigned, "best fit by area centroid (point in polygon)", unassigned, fallback)


def _assign_by_name(child: Boundaries, parent: Boundaries) -> Assignment:
    by_name = pd.Series(parent.frame.index.to_numpy(), index=parent.frame["name"].astype(str).to_numpy())
    by_name = by_name[~by_name.index.duplicated()]
    stems = child.frame["name"].astype(str).str.slice(0, -1).str.strip()
    mapped = pd.Series(by_name.reindex(stems.to_numpy()).to_numpy(), index=child.frame.index)
    unassigned = sorted(mapped.index[mapped.isna()])
    return Assignment(mapped.dropna().astype(str), "nesting by ONS area name (e.g. 'Luton 007A' in 'Luton 007')",
                      unassigned)
