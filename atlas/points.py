"""Point sets: GP practices, pharmacies, dentists and hospitals placed by postcode.

A ``[points]`` spec names an organisation table (NHS ODS extracts, the NHS.UK
hospital file) and how to read it; this module:

1. reads the table, keeps the rows its ``where`` filter selects, and excludes
   closed organisations (a status other than ``active``, or a close date on or
   before the data's date, the latest open date in the file), counting them;
2. places each organisation at its postcode's coordinates in the postcode lookup
   (OS Code-Point Open; postcodes are compared without spaces, in capitals);
3. keeps those in the district: by the lookup's district column (the district
   of the postcode), or by the point falling inside the district outline when
   the lookup has no district column;
4. reports every active organisation whose postcode has no match and lies in a
   postcode sector of the district (its count and the list: code, name,
   postcode), and every district point outside the (generalised) outline;
5. joins further attributes (``[[points.join]]``, e.g. the practice's Primary
   Care Network) and the indicators whose source geography is
   ``points:<set>`` (e.g. QOF prevalence per practice, with Wilson intervals and
   Better/Similar/Worse against the district and England).

The built atlas holds each set as ``Atlas.points[<set>]``, a GeoDataFrame in
British National Grid indexed by organisation code, and each set's metadata
(and its indicators') in ``Atlas.layers`` with geography ``points:<set>``. The
points of every located organisation, in the district or not, are kept for
the computed layers (nearest practice, counts per area): see
:func:`computed_table`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import comparators
from .classify import categorical
from .codes import ENGLAND
from .errors import SpecError
from .geography import DistrictSet
from .model import indicator_row, layer_columns
from .postcode_index import normalise_postcodes, organisation_postcodes, postcode_sector, read_postcodes
from .readers import apply_where, indicator_frame, member_of, read_source, read_table, require_columns

__all__ = ["normalise_postcodes", "postcode_sector", "read_postcodes", "build_points", "place"]
from .access import nearest_table
from .classify import classify
from .specs import Catalogue, IndicatorSpec, PointSetSpec, PostcodeSpec, SourceSpec

BNG = "EPSG:27700"
#: How many unmatched postcodes a report lists in full.
LIST_LIMIT = 250


@dataclass
class PlacedSet:
    """One point set placed on the map.

    Attributes
    ----------
    spec : PointSetSpec
    district : geopandas.GeoDataFrame
        The organisations in the district, indexed by code (the atlas's set).
    located : geopandas.GeoDataFrame
        Every active organisation whose postcode was found, anywhere (used for
        distances to the nearest point, which may lie across the boundary).
    report : dict
        Counts and lists for the build report.
    meta : list of dict
        Metadata rows (``atlas.model.LAYER_COLUMNS``) of the set and its indicators.
    """

    spec: PointSetSpec
    district: gpd.GeoDataFrame
    located: gpd.GeoDataFrame
    report: dict
    meta: list = field(default_factory=list)


def place(spec: PointSetSpec, postcodes: pd.DataFrame, lookup: PostcodeSpec, source_dir: Path, la: str,
          outline: gpd.GeoDataFrame | None) -> PlacedSet:
    """Read one point set, exclude closed organisations and place the rest by postcode.

    Parameters
    ----------
    spec : PointSetSpec
    postcodes : pandas.DataFrame
        From :func:`read_postcodes`.
    lookup : PostcodeSpec
        The lookup's spec (named in the metadata).
    source_dir : pathlib.Path
    la : str or DistrictSet
        District code, ``E92000001`` for England, or the district set of a
        county (or of a district with former codes): postcodes of any of its
        codes count as its own.
    outline : geopandas.GeoDataFrame or None
        The district outline (BNG), used to check the points.

    Returns
    -------
    PlacedSet

    Raises
    ------
    SourceFileError
        If the file or a column the spec names is missing.
    """
    text = tuple(dict.fromkeys([spec.key, spec.name, spec.postcode, *spec.attributes, *spec.dates,
                                *([spec.close_date] if spec.close_date else []), *spec.where,
                                *([spec.status["column"]] if spec.status else [])]))
    table = read_table(source_dir, spec.file, spec.reader, spec.spec_file, text_columns=text)
    require_columns(table, list(text), spec.file, spec.spec_file)
    data_date = _data_date(table, spec)  # over the whole file, before any filter
    table = apply_where(table, spec.where)
    table = table.assign(_code=table[spec.key].astype("string").str.strip().str.upper(),
                         _pc=normalise_postcodes(table[spec.postcode]))
    table = table[table["_code"].notna()].drop_duplicates("_code")
    closed = _closed(table, spec, data_date)

    scope = DistrictSet.of(la)
    found = member_of(table["_pc"], postcodes.index)
    coords = postcodes.reindex(table["_pc"].to_numpy())
    n_district_pcs, sectors = _district_postcodes(postcodes, scope)
    in_district = _in_district(coords, scope, outline)
    if scope.is_england:  # every unmatched postcode is England's: no sectors to work out from the national lookup
        in_sector = np.ones(len(table), bool)
    else:
        in_sector = member_of(postcode_sector(table["_pc"]), sectors)

    active = ~closed
    located = _frame(table[active & found], coords[active & found], spec)
    district = located[in_district[active & found]]
    district = _check_outline(district, outline)
    unmatched = table[active & ~found & in_sector]
    report = {
        "label": spec.label, "source_file": spec.file, "spec": spec.spec_file,
        "postcode_lookup": lookup.title, "postcode_files": postcodes.attrs.get("files", []),
        "data_date": data_date.strftime("%Y-%m-%d") if data_date is not None else None,
        "rows_selected": int(len(table)),
        "district_postcodes": int(n_district_pcs),
        "matched": int(len(district)),
        "closed_excluded": int((closed & in_district & found).sum()),
        "closed_excluded_codes": _short(table.loc[closed & in_district & found, "_code"].tolist()),
        "unmatched": int(len(unmatched)),
        "unmatched_postcodes": _short([
            {"code": c, "name": n, "postcode": p} for c, n, p in
            zip(unmatched["_code"], unmatched[spec.name].astype(str), unmatched[spec.postcode].astype(str))]),
        "unmatched_rule": ("active organisations whose postcode is not in the postcode lookup and lies in a "
                           "postcode sector of the district (or has no postcode)" if not scope.is_england else
                           "every active organisation whose postcode is not in the postcode lookup"),
        "not_found_elsewhere": int((active & ~found).sum() - len(unmatched)),
        "outside_outline": district.attrs.pop("outside_outline", []),
        "colour_by": spec.colour_by, "marker": spec.marker, "colour": spec.colour,
        "colour_label": spec.colour_label or (spec.colour_by or "").replace("_", " "),
    }
    return PlacedSet(spec, district, located, report)


def _data_date(table: pd.DataFrame, spec: PointSetSpec) -> pd.Timestamp | None:
    dates = [pd.to_datetime(table[c], format="%Y%m%d", errors="coerce") for c in spec.dates]
    latest = max((d.max() for d in dates if d.notna().any()), default=None)
    return None if latest is None or pd.isna(latest) else latest


def _closed(table: pd.DataFrame, spec: PointSetSpec, data_date) -> np.ndarray:
    closed = np.zeros(len(table), bool)
    if spec.status:
        active = [str(a) for a in spec.status["active"]]
        closed |= ~member_of(table[spec.status["column"]].astype(str).str.strip(), active)
    if spec.close_date and data_date is not None:
        close = pd.to_datetime(table[spec.close_date], format="%Y%m%d", errors="coerce")
        closed |= (close.notna() & (close <= data_date)).to_numpy()
    return closed


def _district_postcodes(postcodes: pd.DataFrame, scope: DistrictSet) -> tuple[int, set]:
    """How many postcodes the lookup has in the district set, and their postcode sectors.

    A lookup cut down to the organisations' postcodes (:mod:`atlas.postcode_index`)
    carries every district's sectors and counts in ``attrs["sectors"]``.
    """
    sectors = postcodes.attrs.get("sectors")
    if sectors is not None:
        if scope.is_england:
            return int(sectors["postcodes"].sum()), set(sectors["sector"])
        mine = sectors[sectors["district"].isin(scope.aliases)]
        return int(mine["postcodes"].sum()), set(mine["sector"])
    if scope.is_england:
        return len(postcodes), set()
    district_pcs = postcodes.index[postcodes["district"].isin(scope.aliases)]
    return len(district_pcs), set(postcode_sector(pd.Series(district_pcs)).dropna())


def _in_district(coords: pd.DataFrame, scope: DistrictSet, outline) -> np.ndarray:
    if scope.is_england:
        country = coords["country"]
        return (country.isna() | (country == ENGLAND)).to_numpy() & coords["x"].notna().to_numpy()
    if coords["district"].notna().any():
        return coords["district"].isin(scope.aliases).fillna(False).to_numpy(bool)
    if outline is None:
        return np.zeros(len(coords), bool)
    points = gpd.GeoSeries(gpd.points_from_xy(coords["x"], coords["y"]), crs=BNG)
    return points.within(outline.geometry.union_all()).to_numpy()


def _frame(rows: pd.DataFrame, coords: pd.DataFrame, spec: PointSetSpec) -> gpd.GeoDataFrame:
    data = {"name": rows[spec.name].astype("string").str.strip().to_numpy(),
            "postcode": rows[spec.postcode].astype("string").str.strip().to_numpy()}
    for column in spec.attributes:
        data[column] = rows[column].astype("string").str.strip().to_numpy()
    return gpd.GeoDataFrame(data, geometry=gpd.points_from_xy(coords["x"], coords["y"]), crs=BNG,
                            index=pd.Index(rows["_code"].to_numpy(), name="code"))


def _check_outline(points: gpd.GeoDataFrame, outline) -> gpd.GeoDataFrame:
    """Record the district's points that fall outside its (generalised) outline."""
    points = points.copy()
    outside: list = []
    if outline is not None and len(points):
        shape = outline.geometry.union_all()
        shapely.prepare(shape)  # one outline against every point (England's: thousands)
        inside = points.within(shape)
        outside = [{"code": c, "name": str(n), "postcode": str(p), "metres_outside": round(float(d), 1)}
                   for c, n, p, d in zip(points.index[~inside], points.loc[~inside, "name"],
                                         points.loc[~inside, "postcode"], points.geometry[~inside].distance(shape))]
    points.attrs["outside_outline"] = outside
    return points


def join_attributes(placed: PlacedSet, source_dir: Path) -> dict:
    """Add the ``[[points.join]]`` attributes to the district's points; report unmatched codes.

    Joins apply in order; a later join giving an attribute an earlier one already
    gave only fills the points the earlier one left without a value (e.g. the
    2022-23 PCN of a practice absent from the 2023-24 structures), and the report
    lists those points.

    Returns
    -------
    dict
        Per joined table: its file, how many points matched, the codes that did
        not, and the codes whose values it filled in.
    """
    report = {}
    frame = placed.district
    for join in placed.spec.joins:
        wanted_by = f"{placed.spec.spec_file} [[points.join]] {join.file}"
        table = read_table(source_dir, join.file, join.reader, wanted_by,
                           text_columns=(join.key, *join.columns.values()))
        require_columns(table, [join.key, *join.columns.values()], join.file, wanted_by)
        table = table.assign(_code=table[join.key].astype("string").str.strip().str.upper())
        table = table.drop_duplicates("_code").set_index("_code")
        filled: set = set()
        for name, column in join.columns.items():
            values = table[column].astype("string").str.strip().reindex(frame.index)
            if name in frame.columns:
                gaps = frame[name].isna() & values.notna()
                filled |= set(frame.index[gaps])
                values = frame[name].where(~gaps, values)
            frame[name] = values.to_numpy()
        missing = [c for c in frame.index if c not in table.index]
        report[join.file] = {"title": join.title, "matched": len(frame) - len(missing), "unmatched_codes": missing,
                             "filled_codes": sorted(filled)}
    return report


def join_indicators(placed: PlacedSet, catalogue: Catalogue, source_dir: Path, la_name: str) -> list[dict]:
    """Join the indicators keyed by this point set to its district points.

    Every indicator with ``compare`` gets ``<id>_vs_district`` and
    ``<id>_vs_england`` columns and the benchmark values in the report.

    Returns
    -------
    list of dict
        Report entries, one per indicator (matched, unmatched codes, benchmarks).
    """
    frame = placed.district
    entries, columns = [], {}
    sources: dict[str, SourceSpec] = {}
    for ind in catalogue.indicators.values():
        if ind.source.point_set == placed.spec.id:
            sources.setdefault(ind.source.id, ind.source)
    for source in sources.values():
        table = read_source(source, source_dir)
        codes = set(frame.index)
        local = table[member_of(table[source.key], codes)]
        for ind in (i for i in catalogue.indicators.values() if i.source.id == source.id):
            values = indicator_frame(local, ind)
            found = comparators.compute(table, ind, codes, la_name) if ind.compare else []
            values = comparators.add_comparisons(values, found, ind.higher_is)
            columns.update({name: column.to_numpy() for name, column in
                            layer_columns(ind.id, values, frame.index).items()})
            unmatched = sorted(codes - set(values.index))
            entries.append({"layer": ind.id, "geography": placed.spec.geography, "source_file": source.file,
                            "spec": source.spec_file, "areas": len(frame), "matched": len(frame) - len(unmatched),
                            "unmatched": len(unmatched), "unmatched_codes": _short(unmatched),
                            "missing_values": int(pd.isna(columns[ind.id]).sum()) - len(unmatched),
                            "benchmarks": [b.as_dict() for b in found]})
            placed.meta.append(indicator_meta(ind, placed.spec, found))
    if columns:
        placed.district = frame.join(pd.DataFrame(columns, index=frame.index))
    return entries


def _lower_first(text: str) -> str:
    """``text`` with its first letter in lower case, unless it starts an acronym ("GP practices")."""
    return text if len(text) > 1 and text[1].isupper() else text[:1].lower() + text[1:]


def set_meta(spec: PointSetSpec, lookup: PostcodeSpec, report: dict) -> dict:
    """The metadata row of a point set itself (layer id = set id, kind ``points``)."""
    joined = "; then ".join(f"{', '.join(join.columns)} from {join.title or join.file}" for join in spec.joins)
    method = (f"Active organisations (closed by the data's date, {report.get('data_date') or 'unknown'}, "
              f"excluded) placed at their postcode's coordinates in {lookup.title}; "
              f"{report['matched']} placed in the district, {report['unmatched']} postcode(s) not found "
              f"(listed in the build report)." + (f" Attributes: {joined}." if joined else ""))
    return {
        "layer": spec.id, "geography": spec.geography, "geography_label": spec.label, "label": spec.label,
        "kind": "points", "units": f"{_lower_first(spec.label)} (one point each)", "higher_is": "neutral",
        "description": spec.description,
        "theme": spec.theme, "period": spec.period, "source_title": spec.title, "source_file": spec.file,
        "publisher": spec.publisher, "licence": spec.licence,
        "attribution": f"{spec.attribution} {lookup.attribution}", "url": spec.url,
        "native_geography": spec.geography, "method": method, "palette": "",
        "classification": "categorical" if spec.colour_by else "", "decimals": 0, "has_interval": False,
        "boundary_attribution": lookup.attribution,
    }


def indicator_meta(indicator: IndicatorSpec, spec: PointSetSpec, found: list) -> dict:
    """The metadata row of an indicator attached to a point set."""
    method = "as published, per organisation"
    if indicator.numerator:
        method = (f"{' + '.join(indicator.numerator)} / {indicator.denominator}"
                  + (f" x {indicator.scale:g}" if indicator.scale != 1 else "") + ", per organisation")
    if indicator.interval == "wilson":
        method += "; 95% Wilson score interval"
    if found:
        method += ". " + comparators.describe(found, indicator)
    return indicator_row(indicator, spec.geography, spec.label, method)


def build_points(catalogue: Catalogue, source_dir: Path, la: "str | DistrictSet", la_name: str,
                 outline: gpd.GeoDataFrame | None) -> tuple[dict[str, PlacedSet], dict]:
    """Place every point set of the catalogue for one district (or county).

    The postcode lookup is read through :func:`atlas.postcode_index.organisation_postcodes`:
    only the postcodes the point sets' files use, from a cache in the output folder.

    Returns
    -------
    (dict, dict)
        The placed sets by id, and the ``points`` section of the build report.
    """
    placed: dict[str, PlacedSet] = {}
    report: dict = {}
    lookups: dict[str, pd.DataFrame] = {}
    for spec in catalogue.points.values():
        lookup = catalogue.postcodes[spec.locate]
        if spec.locate not in lookups:
            users = [s for s in catalogue.points.values() if s.locate == spec.locate]
            lookups[spec.locate] = organisation_postcodes(lookup, users, source_dir)
        one = place(spec, lookups[spec.locate], lookup, source_dir, la, outline)
        one.report["joins"] = join_attributes(one, source_dir)
        one.report["layers"] = join_indicators(one, catalogue, source_dir, la_name)
        one.meta.insert(0, set_meta(spec, lookup, one.report))
        placed[spec.id] = one
        report[spec.id] = one.report
    return placed, report


def warnings_for(report: dict, la_name: str) -> list[str]:
    """Build-report warnings for point sets: unmatched postcodes and points outside the outline."""
    out = []
    uncovered = [info for info in report.values() if not info["district_postcodes"]]
    if uncovered:
        out.append(f"No {', '.join(i['label'].lower() for i in uncovered)} placed in {la_name}: the postcode "
                   f"lookup ({', '.join(uncovered[0]['postcode_files'])}) has no postcode of the district.")
    for info in report.values():
        if not info["district_postcodes"]:
            continue
        if info["unmatched"]:
            listed = ", ".join(f"{u['code']} ({u['postcode']})" for u in info["unmatched_postcodes"][:5]
                               if isinstance(u, dict))
            out.append(f"{info['label']}: {info['unmatched']} active organisation(s) whose postcode is not in "
                       f"the postcode lookup may be in {la_name} and were not placed: {listed}")
        if info["outside_outline"]:
            out.append(f"{info['label']}: {len(info['outside_outline'])} point(s) of {la_name} (by postcode) fall "
                       f"outside the generalised district outline: "
                       + ", ".join(o["code"] for o in info["outside_outline"][:10]))
        if not info["matched"]:
            out.append(f"{info['label']}: none placed in {la_name}: the file lists none with a postcode of "
                       f"the district.")
    return out


# -- computed area layers ---------------------------------------------------------------------

def computed_table(source: SourceSpec, frame: gpd.GeoDataFrame, placed: dict[str, PlacedSet]) -> pd.DataFrame:
    """The table of a computed source: one row per area of ``frame``.

    ``count_points``: for each set named, a column (the set's id) counting its
    points inside each area, and the area's ``population``. ``nearest_point``:
    see :func:`atlas.access.nearest_table`.

    Raises
    ------
    SpecError
        If the population layer the spec names is not on the geography.
    """
    population = _population(source, frame)
    if source.computed == "nearest_point":
        return nearest_table(frame, _covered(placed[source.points]), population, source.radius_km)
    table = pd.DataFrame({"code": frame.index.to_numpy(), "population": population.to_numpy()})
    for point_set in source.point_sets:
        one = placed[point_set]
        inside = gpd.sjoin(gpd.GeoDataFrame(geometry=one.located.geometry, crs=BNG), frame[["geometry"]],
                           how="inner", predicate="within")
        area = inside["index_right"] if "index_right" in inside else inside.iloc[:, -1]
        counts = area.value_counts().reindex(frame.index, fill_value=0).to_numpy(dtype=float)
        table[point_set] = counts if one.report["district_postcodes"] else np.nan
    return table


def _covered(one: PlacedSet) -> gpd.GeoDataFrame:
    """The set's located points, or none when the postcode lookup does not cover the district
    (a distance to the nearest covered point, far away, would be wrong)."""
    return one.located if one.report["district_postcodes"] else one.located.iloc[0:0]


def computed_method(source: SourceSpec, placed: dict[str, PlacedSet]) -> str:
    """The metadata's method text of a computed layer."""
    one = placed[source.point_sets[0]]
    label = one.spec.label if len(source.point_sets) == 1 else ", ".join(placed[p].spec.label for p in source.point_sets)
    lookup = f"{one.report['postcode_lookup']} ({', '.join(one.report['postcode_files'])})"
    if not one.report["district_postcodes"]:
        return f"not computed: the postcode lookup {lookup} has no postcode in this district"
    if source.computed == "nearest_point":
        return (f"computed: straight-line distance from each area's centroid to the nearest of "
                f"{len(one.located):,} {label} placed by postcode ({lookup}), in the district or across its "
                f"boundary; population within {source.radius_km:g} km = residents ({source.population}) of areas "
                f"whose centroid lies within {source.radius_km:g} km of one. Not a travel time.")
    return (f"computed: {label} whose postcode point ({lookup}) falls inside each area; rate per 10,000 "
            f"residents ({source.population})")


def _population(source: SourceSpec, frame: gpd.GeoDataFrame) -> pd.Series:
    if not source.population:
        return pd.Series(np.nan, index=frame.index)
    if source.population not in frame.columns:
        raise SpecError(f"{source.spec_file}: population {source.population!r} is not a layer on "
                        f"{source.geography}; layers there include: {', '.join(map(str, frame.columns[:20]))}")
    return frame[source.population].astype(float)


@dataclass
class PointStyle:
    """How to draw one point set: a colour and a radius per point, and the legend.

    Attributes
    ----------
    colours : pandas.Series
        Fill colour by organisation code.
    radii : pandas.Series
        Marker radius in pixels by code (larger lists, larger markers).
    legend : list of (label, colour)
    title : str
        What the colours show (the attribute or layer label, with units).
    size_note : str
        What the marker size shows, or "" when all markers have one size.
    """

    colours: pd.Series
    radii: pd.Series
    legend: list
    title: str
    size_note: str = ""


def point_style(built, point_set: str, colour_by: str | None = None, size_by: str | None = "list_size",
                k: int = 5, min_radius: float = 4.0, max_radius: float = 14.0) -> PointStyle:
    """Colours and sizes for drawing a point set, with classes shared with the area maps.

    Parameters
    ----------
    built : Atlas
    point_set : str
        E.g. ``gp_practices``.
    colour_by : str, optional
        A categorical attribute (default: the set's ``colour_by``, e.g. ``pcn_name``),
        or a layer of the set (e.g. ``qof_ob``: classed by :func:`atlas.classify.classify`
        with the layer's palette and polarity).
    size_by : str or None
        A numeric attribute or layer sizing the markers by area (square root), e.g.
        ``list_size``; None or absent gives one size.
    k : int
        Classes for a numeric ``colour_by``.

    Returns
    -------
    PointStyle
    """

    frame = built.table(f"points:{point_set}")
    colour_by = colour_by or built.report.point_set(point_set).get("colour_by")
    layers = built.layers_on(f"points:{point_set}").set_index("layer")
    if colour_by and colour_by in layers.index and layers.loc[colour_by, "kind"] != "points":
        meta = layers.loc[colour_by]
        classes = classify(frame[colour_by], kind=meta["kind"], scheme=meta["classification"] or "quantiles",
                           k=k, palette=meta["palette"] or None, higher_is=meta["higher_is"],
                           decimals=int(meta["decimals"]))
        title = f"{meta['label']} ({meta['units']})"
    elif colour_by and colour_by in frame.columns:
        classes = categorical(frame[colour_by])
        info = built.report.point_set(point_set)
        title = info.get("colour_label") if info.get("colour_by") == colour_by else None
        title = title or colour_by.replace("_", " ")
    else:
        colours = pd.Series("#332288", index=frame.index)
        return PointStyle(colours, _radii(frame, size_by, min_radius, max_radius), [], "", _size_note(
            layers, frame, size_by))
    return PointStyle(classes.colour_of(), _radii(frame, size_by, min_radius, max_radius), classes.legend(),
                      title, _size_note(layers, frame, size_by))


def _radii(frame: pd.DataFrame, size_by: str | None, low: float, high: float) -> pd.Series:
    if not size_by or size_by not in frame.columns or not frame[size_by].notna().any():
        return pd.Series((low + high) / 2, index=frame.index)
    root = np.sqrt(pd.to_numeric(frame[size_by], errors="coerce").clip(lower=0))
    top = root.max()
    radius = low + (high - low) * (root / top if top > 0 else 0)
    return radius.fillna(low)


def _size_note(layers: pd.DataFrame, frame: pd.DataFrame, size_by: str | None) -> str:
    if not size_by or size_by not in frame.columns or not frame[size_by].notna().any():
        return ""
    label = layers.loc[size_by, "label"] if size_by in layers.index else size_by.replace("_", " ")
    return f"Larger markers: more {label[0].lower() + label[1:]} (marker area grows with the number)."


def _short(items: list) -> list:
    items = list(items)
    return items if len(items) <= LIST_LIMIT else items[:LIST_LIMIT] + [f"... and {len(items) - LIST_LIMIT} more"]
