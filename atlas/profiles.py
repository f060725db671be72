"""Neighbourhood profiles: one area's figures beside the authority and England, as HTML, PDF or CSV.

An area is one of:

* a **ward** (the wards to May 2023 or from May 2023) or an **MSOA** (2011 or 2021):
  its figures are its row of the built atlas, the same numbers the app's table shows;
* a **Primary Care Network** (by ODS code or name): its footprint is the set of LSOAs
  whose nearest GP practice belongs to the network (or the LSOAs a lookup file
  assigns to it), and it lists exactly the network's practices;
* a **set of LSOAs** (2011 or 2021 codes) the user picks.

For a footprint of LSOAs each small-area indicator is aggregated over its LSOAs
with the rules the build uses for wards (:mod:`atlas.aggregate`: population-weighted
means, summed counts, summed numerators over summed denominators, population
shares by national decile). The authority's figure is the same aggregation over
all its areas, and England's the same over every English area of the national
source file (cached under ``output/cache``); indicators with published intervals
(life expectancy, QOF prevalence) carry Better / Similar / Worse against the
benchmarks the build computed (:func:`atlas.stats.compare`).

>>> profile = build_profile(built, "Biscot")                 # doctest: +SKIP
>>> write_profile(profile, "output/profiles/biscot.pdf")     # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as dt
import difflib
import functools
import io
import json
import os
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import aggregate, config, store
from .build import MOST_DEPRIVED_SUFFIX
from .caching import fingerprint
from .catchments import footprint_rule, has_catchments, network_footprint
from .classify import decile_label, format_value, layer_decimals
from .errors import AtlasError, UnknownAreaError
from .estimates import METHOD_LINE
from .export import (
    area_collection,
    boundary_attributions,
    box_inches,
    dissolve,
    fit_extent,
    north_arrow,
    outline_collection,
    scale_bar,
    write_bytes_atomic,
)
from .model import POINTS_PREFIX, Atlas
from .plaintext import csv_text, figure_text
from .specs import SPEC_ROOT

LSOA_GEOGRAPHIES = ("lsoa21", "lsoa11")  # newest first: the footprint drawn is the newest LSOAs'
NAMED_GEOGRAPHIES = ("ward2023", "ward2013", "msoa21", "msoa11", "district")  # preference when a name matches several;
# "district": the districts of a county's atlas (a district is a profile area of its county)
LE_GEOGRAPHY = "msoa11"
PRACTICES = "gp_practices"
POPULATION_THEME = "Population"
FORMATS = ("html", "pdf", "csv")
#: Areas of England per geography: a source holding fewer English areas is not national.
ENGLAND_AREAS = {"lsoa11": 32_844, "lsoa21": 33_755, "msoa11": 6_791, "msoa21": 6_856}
LSOA_CODE = re.compile(r"^E01\d{6}$")
PCN_CODE = re.compile(r"^U\d{5}$", re.IGNORECASE)
PCN_RULE = ("Footprint of a Primary Care Network: the LSOAs whose nearest GP practice (straight line from a "
            "point inside the LSOA to the practice's postcode, among {la}'s {n} active practices) belongs "
            "to the network. Practices' networks: NHS England QOF organisational structures.")
COMPARE_NOTE = ("Better / Similar / Worse (OHID Fingertips method): Similar when the benchmark lies inside "
                "the area's 95% confidence interval, otherwise Better or Worse by the indicator's polarity. "
                "Shown only for indicators published with intervals.")


# -- the area ----------------------------------------------------------------------------------------------
@dataclass
class Area:
    """The area a profile describes.

    Attributes
    ----------
    kind : str
        A geography id (``ward2023``, ``msoa11`` ...), ``pcn`` or ``lsoas``.
    code, name : str
        The area's code and name (``lsoas``: code ``selection``).
    kind_label : str
        What kind of area it is, in words.
    geometry : shapely geometry
        Its outline in British National Grid.
    members : dict of str to list of str
        The LSOAs (by LSOA geography) in the area; for a ward or MSOA those the
        build aggregated into it (:func:`lsoa_assignment`).
    rule : str
        How the area and its LSOAs were defined, in words (stated in the profile).
    practices : list of str
        A network's practices (codes); empty for other areas.
    notes : list of str
        Anything the reader should know about how the area was chosen.
    """

    kind: str
    code: str
    name: str
    kind_label: str
    geometry: object
    members: dict[str, list[str]] = field(default_factory=dict)
    rule: str = ""
    practices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_table_area(self) -> bool:
        """Whether the area is a row of an atlas table (a ward or MSOA)."""
        return self.kind not in ("pcn", "lsoas")

    @property
    def title(self) -> str:
        """The area as a heading names it."""
        code = f", {self.code}" if self.kind != "lsoas" else ""
        return f"{self.name} ({self.kind_label}{code})"


def find_area(built: Atlas, area: str | list[str], pcn_lookup: str | os.PathLike | None = None,
              source_dir: str | os.PathLike | None = None, catalogue=None, geography: str | None = None,
              footprint: str = "patients") -> Area:
    """The area a user names: a ward or MSOA code or name, a PCN code or name, or LSOA codes.

    Parameters
    ----------
    built : Atlas
    area : str or list of str
        A code or name, or LSOA codes (a list, or one string separated by commas or spaces).
    pcn_lookup : path-like, optional
        A CSV or Excel file with an LSOA code column and a PCN code or name column;
        when given, a network's footprint is its LSOAs in the file.
    source_dir, catalogue : optional
        Where the lookups assigning LSOAs to wards are read from, and the specs
        naming them (defaults: the configured source directory, the project's specs).
    geography : str, optional
        Look for the code or name on this geography only (``msoa11`` ...): an MSOA
        whose code is the same in 2011 and 2021 is otherwise taken as the newer.
    footprint : str
        A network's footprint without a lookup: ``"patients"`` (default; the LSOAs
        where its practices register more residents than any other network,
        :func:`atlas.catchments.network_footprint`, when the atlas holds catchments)
        or ``"nearest"`` (the LSOAs whose nearest practice is one of its own).

    Returns
    -------
    Area

    Raises
    ------
    UnknownAreaError
        If nothing matches (the message says which codes are accepted and lists near
        matches), if LSOA codes are not the district's, or if the selection is empty.
    """
    tokens = _tokens(area)
    if not tokens:
        raise UnknownAreaError(f"Empty selection: name an area of {built.la_name}. {_accepted(built)}")
    codes = [t.upper() for t in tokens]
    if len(codes) > 1 or LSOA_CODE.match(codes[0]):
        if all(LSOA_CODE.match(c) for c in codes):
            return _lsoa_set(built, codes)
        if len(codes) > 1 and isinstance(area, str) and not any(LSOA_CODE.match(c) for c in codes):
            codes = [" ".join(tokens)]  # a name with spaces
        else:
            bad = [t for t in tokens if not LSOA_CODE.match(t.upper())]
            raise UnknownAreaError(f"A set of areas must be LSOA codes (E01 and six digits); these are not: "
                                   f"{', '.join(bad)}.")
    text = codes[0] if len(tokens) > 1 else tokens[0].strip()
    searched = [g for g in ([geography] if geography else NAMED_GEOGRAPHIES) if g in built.geographies]
    matches = [(g, text.upper()) for g in searched if text.upper() in built.geographies[g].index]
    network = _find_network(built, text) if not matches and not geography else None
    if network is not None:
        return _pcn_area(built, *network, pcn_lookup, footprint)
    matches = matches or [(g, code) for g in searched for code, name in built.geographies[g]["name"].items()
                          if str(name).casefold() == text.casefold()]
    if matches:
        chosen = _table_area(built, *matches[0], source_dir, catalogue)
        for other, code in matches[1:]:
            chosen.notes.append(f"{text} also names {code} of {_label(built, other)}; this profile is of "
                                f"{chosen.code} of {_label(built, chosen.kind)} (choose the geography, e.g. "
                                f"--geography {other}, for the other).")
        return chosen
    raise UnknownAreaError(f"No area {text!r} in the {built.la_name} atlas. {_accepted(built)}"
                           + _near_matches(built, text))


def _tokens(area) -> list[str]:
    if area is None:
        return []
    if isinstance(area, (list, tuple, set, pd.Index, pd.Series)):
        return [str(a).strip() for a in area if str(a).strip()]
    return [t for t in re.split(r"[,;\s]+", str(area).strip()) if t]


def _label(built: Atlas, geography: str) -> str:
    return built.geography_labels.get(geography, geography)


def kind_label(built: Atlas, geography: str) -> str:
    """One area of a geography, in words ("Ward (from May 2023)", "MSOA (2011)")."""
    return re.sub(r"^Wards\b", "Ward", _label(built, geography))


def _accepted(built: Atlas) -> str:
    kinds = []
    for level, prefix, geographies in (("a ward", "E05", ("ward2023", "ward2013")),
                                       ("an MSOA", "E02", ("msoa21", "msoa11"))):
        have = [_label(built, g) for g in geographies if g in built.geographies]
        if have:
            kinds.append(f"{level} code ({prefix}...) or name ({' or '.join(have)})")
    if networks(built):
        kinds.append("a Primary Care Network code (U and five digits) or name")
    kinds.append("one or more LSOA codes (E01..., 2011 or 2021) separated by commas")
    return "Accepted: " + ("; ".join(kinds[:-1]) + "; or " if len(kinds) > 1 else "") + kinds[-1] + "."


def _near_matches(built: Atlas, text: str) -> str:
    candidates = {}
    for geography in NAMED_GEOGRAPHIES + LSOA_GEOGRAPHIES:
        if geography in built.geographies:
            for code, name in built.geographies[geography]["name"].items():
                candidates[str(code)] = f"{code} ({name}, {_label(built, geography)})"
                candidates[str(name)] = f"{name} ({code}, {_label(built, geography)})"
    for code, name in networks(built).items():
        candidates[code], candidates[name] = f"{code} ({name})", f"{name} ({code})"
    lowered = {k.casefold(): v for k, v in candidates.items()}
    near = difflib.get_close_matches(text.casefold(), list(lowered), n=5, cutoff=0.6)
    return f" Near matches: {'; '.join(dict.fromkeys(lowered[n] for n in near))}." if near else ""


def _table_area(built: Atlas, geography: str, code: str, source_dir=None, catalogue=None) -> Area:
    frame = built.geographies[geography]
    members, methods = {}, []
    for child in [g for g in LSOA_GEOGRAPHIES if g in built.geographies]:
        parent, method = lsoa_assignment(built, child, geography, source_dir, catalogue)
        members[child] = sorted(parent.index[parent == code])
        methods.append(f"{_label(built, child)} by {method}")
    rule = (f"Figures for {frame.at[code, 'name']} are its row of the atlas's {_label(built, geography)} table "
            f"(the same as the app's table). Its LSOAs are assigned as the atlas aggregates them: "
            f"{'; '.join(methods)}.")
    return Area(geography, code, str(frame.at[code, "name"]), kind_label(built, geography), frame.geometry.loc[code],
                members, rule)


def lsoa_assignment(built: Atlas, child: str, parent: str, source_dir=None, catalogue=None) -> tuple[pd.Series, str]:
    """The parent area (ward, MSOA) of each LSOA, by the rule the build aggregates with.

    The build's own :func:`atlas.geography.assign` with the boundary spec's rule
    (an ONS best-fit lookup, the LSOA centroid, or the LSOA's name), so a ward's
    LSOAs are exactly those its figures were aggregated from. Where the specs give
    no rule (an MSOA 2011 and the LSOAs 2021), or the rule's lookup file cannot be
    read (no source directory), the build's centroid rule stands in, and says so.

    Returns
    -------
    parent : pandas.Series
        Parent code by LSOA code.
    method : str
        The rule, in words.
    """
    from .geography import Boundaries, assign
    from .specs import AggregationRule

    def compute():
        specs = _catalogue(catalogue).boundaries
        children = Boundaries(specs.get(child), built.table(child))
        parents = Boundaries(specs.get(parent), built.table(parent))
        rule = specs[parent].aggregate_from.get(child) if parent in specs and child in specs else None
        why = "the specs relate these areas by no other rule"
        if rule is not None:
            try:
                source = config.source_dir(source_dir) if rule.method == "lookup" else None
                found = assign(rule, children, parents, source)
                return found.parent, found.method
            except AtlasError:
                why = "the source directory's lookup was not available"
        found = assign(AggregationRule("centroid"), children, parents, None)
        return found.parent, f"{found.method}, since {why}"

    return _memo(built, ("lsoa_assignment", child, parent, str(source_dir)), compute)


def _inside(frame, shape) -> list[str]:
    points = frame.geometry.representative_point()
    return sorted(frame.index[points.within(shape.buffer(1))])


def _lsoa_set(built: Atlas, codes: list[str], rule: str | None = None, **kwargs) -> Area:
    codes = list(dict.fromkeys(codes))
    have = {g: set(built.geographies[g].index) for g in LSOA_GEOGRAPHIES if g in built.geographies}
    unknown = [c for c in codes if not any(c in h for h in have.values())]
    if unknown:
        raise UnknownAreaError(f"{len(unknown)} code(s) are not LSOAs of {built.la_name}: {', '.join(unknown[:20])}. "
                               f"Give LSOA codes (2011 or 2021) of the district." + _near_matches(built, unknown[0]))
    vintage = next((g for g in reversed(LSOA_GEOGRAPHIES) if g in have and set(codes) <= have[g]), None)
    if vintage is None:
        only = {g: [c for c in codes if c in h and not all(c in o for o in have.values())] for g, h in have.items()}
        raise UnknownAreaError("The LSOAs mix vintages: " + "; ".join(
            f"{len(v)} only in {_label(built, g)} (e.g. {', '.join(v[:3])})" for g, v in only.items() if v)
            + ". Pick LSOAs of one vintage.")
    shape = dissolve(built.geographies[vintage].geometry.loc[codes])
    members = {vintage: sorted(codes)}
    for other in have:
        if other != vintage:
            members[other] = sorted(codes) if set(codes) <= have[other] else _inside(built.geographies[other], shape)
    rule = rule or (f"{len(codes)} LSOAs ({_label(built, vintage)}) chosen by the user"
                    + ("." if len(have) == 1 else f"; the {', '.join(_label(built, g) for g in have if g != vintage)} "
                       f"areas whose representative point lies inside them stand for them in the other vintage."))
    kwargs.setdefault("name", f"{len(codes)} selected LSOA{'s' if len(codes) > 1 else ''}")
    kwargs.setdefault("code", "selection")
    kwargs.setdefault("kind", "lsoas")
    kwargs.setdefault("kind_label", "Selected LSOAs")
    return Area(geometry=shape, members=members, rule=rule, **kwargs)


# -- Primary Care Networks --------------------------------------------------------------------------------
def networks(built: Atlas) -> dict[str, str]:
    """The Primary Care Networks of the district's practices: code -> name (empty without practices)."""
    practices = built.points.get(PRACTICES)
    if practices is None or "pcn_code" not in practices:
        return {}
    pairs = practices[["pcn_code", "pcn_name"]].dropna().drop_duplicates("pcn_code")
    return dict(zip(pairs["pcn_code"].astype(str), pairs["pcn_name"].astype(str)))


def _find_network(built: Atlas, text: str) -> tuple[str, str] | None:
    wanted = text.casefold().strip()
    for code, name in networks(built).items():
        if wanted in (code.casefold(), name.casefold(), re.sub(r"\s+pcn$", "", name.casefold())):
            return code, name
    return None


def _pcn_area(built: Atlas, code: str, name: str, lookup: str | os.PathLike | None,
              footprint: str = "patients") -> Area:
    if footprint not in ("patients", "nearest"):
        raise AtlasError(f"Unknown footprint rule {footprint!r}: use 'patients' or 'nearest'.")
    practices = built.points[PRACTICES]
    members = sorted(practices.index[practices["pcn_code"].astype(str) == code])
    if lookup:
        lsoas, rule = _lookup_lsoas(built, code, name, Path(lookup))
    elif footprint == "patients" and has_catchments(built):
        lsoas = network_footprint(built, code)
        rule = "Footprint of a Primary Care Network: " + footprint_rule(built) + "."
    else:
        lsoas = nearest_practice_lsoas(built, code)
        rule = PCN_RULE.format(la=built.la_name, n=len(practices))
    if not lsoas:
        raise UnknownAreaError(f"{name} ({code}) has no LSOA in {built.la_name} by its footprint rule ({rule}), "
                               f"so its footprint is empty. Supply an LSOA-to-PCN lookup file (--pcn-lookup) to "
                               f"define it.")
    area = _lsoa_set(built, lsoas, rule=rule, name=name, code=code, kind="pcn", kind_label="Primary Care Network")
    area.practices = members
    return area


def nearest_practice_lsoas(built: Atlas, network: str) -> list[str]:
    """The LSOAs whose nearest of the district's practices belongs to ``network`` (newest LSOAs)."""
    geography = next(g for g in LSOA_GEOGRAPHIES if g in built.geographies)
    nearest = nearest_practice(built, geography)
    return sorted(nearest.index[nearest["pcn_code"].astype(str) == network])


def nearest_practice(built: Atlas, geography: str) -> pd.DataFrame:
    """The nearest practice (``practice``, ``pcn_code``) of each area's representative point.

    :func:`atlas.access.nearest_table`, the build's nearest-point search, from a
    point inside each area (an area's centroid can fall outside it).
    """
    import geopandas as gpd

    from .access import nearest_table

    practices = built.points[PRACTICES]
    frame = built.table(geography)
    inside = gpd.GeoDataFrame(geometry=frame.geometry.representative_point(), crs=frame.crs)
    nearest = nearest_table(inside, practices, pd.Series(np.nan, index=frame.index), None)
    practice = pd.Series(nearest["nearest"].to_numpy(), index=frame.index, name="practice")
    return pd.DataFrame({"practice": practice, "pcn_code": practices["pcn_code"].reindex(practice).to_numpy()})


def _lookup_lsoas(built: Atlas, code: str, name: str, path: Path) -> tuple[list[str], str]:
    if not path.is_file():
        raise AtlasError(f"The LSOA-to-PCN lookup {path} does not exist.")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            table = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise AtlasError(f"Cannot read the LSOA-to-PCN lookup {path} (expected CSV or Excel): {exc}") from exc
    table = table.astype("string")
    lsoa_column = next((c for c in table if table[c].str.strip().str.match(LSOA_CODE).mean() > 0.9), None)
    if lsoa_column is None:
        raise AtlasError(f"The lookup {path} has no column of LSOA codes (E01 and six digits); columns: "
                         f"{', '.join(table.columns)}.")
    wanted = {code.casefold(), name.casefold()}
    pcn_column = next((c for c in table if c != lsoa_column and table[c].str.strip().str.casefold().isin(wanted).any()),
                      None)
    if pcn_column is None:
        raise AtlasError(f"The lookup {path} has no row for {name} ({code}): no column holds that code or name.")
    rows = table[table[pcn_column].str.strip().str.casefold().isin(wanted)]
    codes = sorted(set(rows[lsoa_column].str.strip().str.upper()))
    district = set().union(*(built.geographies[g].index for g in LSOA_GEOGRAPHIES if g in built.geographies))
    outside = [c for c in codes if c not in district]
    rule = (f"Footprint of {name}: the LSOAs the lookup file {path.name} assigns to it (columns {lsoa_column!r} "
            f"and {pcn_column!r}): {len(codes) - len(outside)} in {built.la_name}")
    rule += f"; {len(outside)} outside it left out (e.g. {', '.join(outside[:3])})." if outside else "."
    return [c for c in codes if c in district], rule


# -- figures: the area, the authority and England ----------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    """How a layer aggregates over areas (as the build aggregates it to wards).

    Attributes
    ----------
    how : str
        ``weighted_mean``, ``sum``, ``ratio_of_sums``, ``decile_share`` or ``none``.
    weight : str or None
        The population layer weighting a mean or decile shares.
    scale : float
        Multiplier of a ratio (100 for a percentage).
    """

    how: str
    weight: str | None = None
    scale: float = 1.0


def layer_rule(built: Atlas, layer: str, geography: str, catalogue=None) -> Rule:
    """The aggregation rule of a layer on its own (native) geography.

    The catalogue's spec decides when the layer has one; a layer added to the
    atlas otherwise (an import) aggregates by its kind, weighted by the
    geography's population layer.
    """
    from .health import point_layer_scale
    from .specs import KIND_AGGREGATION

    spec = _catalogue(catalogue).indicators.get(layer)
    if spec is not None and spec.geography == geography:
        return Rule(spec.aggregation, spec.source.weight, float(spec.scale or 1.0))
    frame = built.table(geography)
    if f"{layer}_numerator" in frame and f"{layer}_denominator" in frame:
        return Rule("ratio_of_sums", None, point_layer_scale(frame, layer))
    how = KIND_AGGREGATION.get(built.layer(layer, geography)["kind"], "none")
    populations = built.layers_on(geography)
    weight = next(iter(populations.loc[populations["kind"] == "population", "layer"]), None)
    return Rule(how, weight if how in ("weighted_mean", "decile_share") else None)


@functools.lru_cache(maxsize=4)
def _default_catalogue():
    from .specs import Catalogue

    return Catalogue.load()


def _catalogue(catalogue):
    return catalogue if catalogue is not None else _default_catalogue()


def aggregate_over(frame: pd.DataFrame, layer: str, rule: Rule, codes) -> tuple[float, pd.DataFrame | None]:
    """One layer aggregated over some areas of ``frame`` with ``rule`` (the build's functions).

    Returns
    -------
    value : float
        The aggregate (NaN when it cannot be computed); for deciles the
        percentage of residents in national deciles 1-2.
    shares : pandas.DataFrame or None
        For deciles: ``decile, population, areas, share``.
    """
    parent = pd.Series(np.where(frame.index.isin(list(codes)), "area", None), index=frame.index).dropna()
    if parent.empty or rule.how not in aggregate.RULES:
        return np.nan, None
    rows = frame.loc[parent.index]
    weights = rows[rule.weight] if rule.weight and rule.weight in rows else None
    result = aggregate.by_rule(rule.how, rows, layer, parent, weights, rule.scale)
    value = float(result.columns["value"].iloc[0]) if len(result.columns) else np.nan
    shares = result.shares.drop(columns="code") if result.shares is not None else None
    return value, shares


def england_values(source_dir: str | os.PathLike | None = None, catalogue=None) -> dict:
    """England's figure of every small-area indicator whose source file covers England.

    Each indicator native to LSOAs or MSOAs is aggregated over every English area
    of its source file with the build's rule (population-weighted mean with the
    source's weight, sum, ratio of sums, population share by national decile).
    A source with fewer English areas than England has (a regional extract) gets
    none. The result is cached in ``<output>/cache`` and recomputed when a spec or
    source file changes.

    Returns
    -------
    dict
        By indicator id: ``value``, ``areas`` (English areas used) and, for
        deciles, ``shares`` and ``area_shares`` (population and area share by decile).
    """
    from .readers import read_source

    catalogue = _catalogue(catalogue)
    source = config.source_dir(source_dir)
    wanted = [i for i in catalogue.indicators.values()
              if i.geography in ENGLAND_AREAS and not i.source.computed and i.aggregation != "none"]
    files = sorted({i.source.file for i in wanted} | {catalogue.indicators[i.source.weight].source.file
                                                       for i in wanted if i.source.weight})
    key = _cache_key(catalogue, source, files)
    cache = config.out_dir() / "cache" / f"england_values_{key}.json"
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    tables: dict = {}

    def table(spec_source):
        if spec_source.id not in tables:
            frame = read_source(spec_source, source)
            tables[spec_source.id] = frame[frame[spec_source.key].str.startswith("E0")]
        return tables[spec_source.id]

    out = {}
    for indicator in wanted:
        found = _england_one(indicator, catalogue, table)
        if found is not None:
            out[indicator.id] = found
    try:
        store.write_text_atomic(cache, json.dumps(out))
    except OSError:
        pass  # a read-only output folder only costs the recomputation next time
    return out


def _england_one(indicator, catalogue, table) -> dict | None:
    from .readers import indicator_frame

    frame = indicator_frame(table(indicator.source), indicator)
    if len(frame) < 0.95 * ENGLAND_AREAS[indicator.geography]:
        return None
    rule = Rule(indicator.aggregation, indicator.source.weight, float(indicator.scale or 1.0))
    frame = frame.rename(columns={"value": indicator.id, "numerator": f"{indicator.id}_numerator",
                                  "denominator": f"{indicator.id}_denominator"})
    if rule.weight and rule.weight not in frame:
        weight_spec = catalogue.indicators[rule.weight]
        frame[rule.weight] = indicator_frame(table(weight_spec.source), weight_spec)["value"].reindex(frame.index)
    elif not rule.weight and rule.how in ("weighted_mean", "decile_share"):
        return None  # an unweighted mean of areas is not England's figure
    value, shares = aggregate_over(frame, indicator.id, rule, frame.index)
    entry = {"value": None if np.isnan(value) else value, "areas": len(frame)}
    if shares is not None:
        entry["shares"] = {str(int(d)): float(s) for d, s in zip(shares["decile"], shares["share"])}
        entry["area_shares"] = {str(int(d)): float(a) / shares["areas"].sum()
                                for d, a in zip(shares["decile"], shares["areas"])}
    return entry


def _cache_key(catalogue, source: Path, files: list[str]) -> str:
    spec_files = sorted({i.source.spec_file for i in catalogue.indicators.values()})
    return fingerprint(files=[SPEC_ROOT / f for f in spec_files] + [source / f for f in files])


# -- the profile -------------------------------------------------------------------------------------------
@dataclass
class Table:
    """One table of a profile.

    Attributes
    ----------
    key : str
        Short id (the ``section`` column of the CSV).
    title : str
        The section heading.
    caption : str
        The table's caption (what it shows, for whom).
    data : pandas.DataFrame
        The figures as numbers (written to the CSV).
    shown : pandas.DataFrame
        The same rows as text, as the HTML and PDF show them.
    intro : str
        A sentence above the table.
    notes : list of str
        Notes below it (methods, rules).
    """

    key: str
    title: str
    caption: str
    data: pd.DataFrame
    shown: pd.DataFrame
    intro: str = ""
    notes: list[str] = field(default_factory=list)
    image: bytes | None = None
    image_alt: str = ""


@dataclass
class Profile:
    """A neighbourhood profile: the area, its tables, a map and the sources.

    Attributes
    ----------
    la_code, la_name : str
    area : Area
    produced : datetime.date
    summary : list of (str, str)
        Key figures, label and text.
    tables : list of Table
    map_png : bytes
        A small map of the area in the district.
    map_alt : str
        The map's text alternative.
    sources : list of str
        Sources, licences and attributions of every figure and boundary used.
    notes : list of str
        How the area and its figures were made.
    """

    la_code: str
    la_name: str
    area: Area
    produced: dt.date
    summary: list[tuple[str, str]]
    tables: list[Table]
    map_png: bytes
    map_alt: str
    sources: list[str]
    notes: list[str]

    @property
    def title(self) -> str:
        """The profile's title."""
        return f"Neighbourhood profile: {self.area.name}"

    def table(self, key: str) -> Table:
        """The table with ``key`` (``indicators``, ``population``, ``deprivation_imd19_decile`` ...)."""
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(f"No table {key!r} in this profile; it has: {', '.join(t.key for t in self.tables)}")


def build_profile(built: Atlas, area: str | list[str] | Area, pcn_lookup: str | os.PathLike | None = None,
                  source_dir: str | os.PathLike | None = None, catalogue=None, footprint: str = "patients") -> Profile:
    """The profile of one area of a built atlas.

    Parameters
    ----------
    built : Atlas
    area : str, list of str or Area
        What :func:`find_area` accepts, or an area it returned.
    pcn_lookup : path-like, optional
        An LSOA-to-PCN lookup defining network footprints (see :func:`find_area`).
    source_dir : path-like, optional
        The source directory, for England's figures (:func:`england_values`) and the
        lookups assigning LSOAs to wards; without one, England's column is blank and
        a note says why.
    catalogue : Catalogue, optional
        The specs (the project's by default).
    footprint : str
        A network's footprint rule without a lookup (see :func:`find_area`).

    Returns
    -------
    Profile

    Raises
    ------
    UnknownAreaError
        If the area is unknown or the selection empty.
    """
    chosen = area if isinstance(area, Area) else find_area(built, area, pcn_lookup, source_dir, catalogue,
                                                           footprint=footprint)
    builder = _ProfileBuilder(built, chosen, _catalogue(catalogue), source_dir)
    return builder.run()


def estimate_notes(built: Atlas) -> list[str]:
    """One note per kind of small-area estimate in the atlas: the method, its dates, and why it is not judged."""
    notes = []
    for info in built.report.get("estimates", {}).values():
        notes.append(f"Small-area estimates ({info.get('title', '')}): {METHOD_LINE} Dates: {info.get('period', '')}. "
                     f"Shown beside {built.la_name}'s estimate (the same method over its LSOAs) and England's "
                     f"QOF total, without Better / Similar / Worse: an apportioned estimate has no sampling "
                     f"interval to judge it by.")
    return notes


class _ProfileBuilder:
    def _spine(self, indicators: "Table | None") -> "Table | None":
        """The spine chart of the indicators (:mod:`atlas.spine`), with its figures as the table alternative."""
        from .spine import spine_png, spine_table
        if indicators is None:
            return None
        data = spine_table(self.built, indicators.data, self.area.name, self.area.kind)
        if data.empty:
            return None
        png, alt = spine_png(data, self.area.name, self.built.la_name)
        shown = pd.DataFrame({
            "Indicator": data["indicator"], "Units": data["units"],
            self.area.name: [format_value(v, d) for v, d in zip(data["area"], data["decimals"])],
            "Lowest": [format_value(v, d) for v, d in zip(data["lowest"], data["decimals"])],
            "25th percentile": [format_value(v, d) for v, d in zip(data["q25"], data["decimals"])],
            "75th percentile": [format_value(v, d) for v, d in zip(data["q75"], data["decimals"])],
            "Highest": [format_value(v, d) for v, d in zip(data["highest"], data["decimals"])],
            self.built.la_name: [format_value(v, d) if np.isfinite(v) else ""
                                 for v, d in zip(data["authority"], data["decimals"])],
            "England": [format_value(v, d) if np.isfinite(v) else "" for v, d in zip(data["england"], data["decimals"])],
            "Compared with England": data["vs_england"],
            "Spread over": [f"{n} {g}" for n, g in zip(data["areas"], data["geography"])],
        })
        return Table("spine", "Spine chart", f"{self.area.name} against the spread of {self.built.la_name}'s areas, "
                     f"with {self.built.la_name} and England", data, shown,
                     intro=(f"Each row places {self.area.name}'s value within the range of {self.built.la_name}'s "
                            f"areas of the same kind (lowest, middle half, highest); England's value is the solid "
                            f"line. Better / Similar / Worse is shown only for indicators with intervals."),
                     notes=["Spine chart after the Fingertips design. The spread of England's areas is not "
                            "drawn (the atlas holds the district's areas only); England's value is."],
                     image=png, image_alt=alt)

    """Assembles the tables of one profile."""

    def __init__(self, built: Atlas, area: Area, catalogue, source_dir):
        self.built, self.area, self.catalogue, self.source_dir = built, area, catalogue, source_dir
        self.notes: list[str] = [area.rule, *area.notes]
        self.used: list[dict] = []  # metadata of every layer shown, for the sources
        try:
            self.england = england_values(source_dir, catalogue)
        except AtlasError as exc:
            self.england = {}
            self.notes.append(f"England's figures are not available: {exc}")

    def run(self) -> Profile:
        indicators = self._indicators()
        tables = [self._population(), *self._deprivation_mix(), indicators, self._spine(indicators),
                  *self._life_expectancy(), self._network_indicators(), self._network_funnel(), self._assets(),
                  self._lsoas(), self._similar_authorities()]
        tables = [t for t in tables if t is not None]
        self.notes.append(COMPARE_NOTE)
        self.notes.extend(estimate_notes(self.built))
        png, alt = area_map(self.built, self.area)
        return Profile(self.built.la_code, self.built.la_name, self.area, dt.date.today(), self._summary(tables),
                       tables, png, alt, self._sources(), [n for n in dict.fromkeys(self.notes) if n])

    # -- the figures of one layer ---------------------------------------------------------------------
    def _geographies(self) -> list[str]:
        """Where the area's figures come from: its own geography, or its LSOAs of each vintage."""
        if self.area.is_table_area:
            return [self.area.kind]
        return [g for g in LSOA_GEOGRAPHIES if self.area.members.get(g)]

    def _figures(self, meta: dict) -> dict:
        """The area's value (with interval and comparisons), the authority's and England's, of one layer."""
        layer, geography = meta["layer"], meta["geography"]
        frame = self.built.table(geography)
        out: dict = {"lower": np.nan, "upper": np.nan, "vs_district": "", "vs_england": "", "shares": None}
        if self.area.is_table_area:
            out["area"] = _number(frame.at[self.area.code, layer])
            for part in ("lower", "upper", "vs_district", "vs_england"):
                if f"{layer}_{part}" in frame:
                    value = frame.at[self.area.code, f"{layer}_{part}"]
                    out[part] = value if part.startswith("vs") else _number(value)
        else:
            rule = layer_rule(self.built, layer, geography, self.catalogue)
            out["area"], out["shares"] = aggregate_over(frame, layer, rule, self.area.members[geography])
        base, native = _base_layer(self.built, meta)
        district = _benchmark(self.built, layer, geography, "district")
        out["authority"] = district if district is not None else self._district(base, native)[0]
        england = _benchmark(self.built, layer, geography, "england")
        found = self.england.get(base, {}) if native in ENGLAND_AREAS else {}
        out["england"] = england if england is not None else _number(found.get("value"))
        out["england_entry"] = found
        self.used.append(meta)
        return out

    def _district(self, layer: str, geography: str) -> tuple[float, pd.DataFrame | None]:
        """A layer aggregated over every area of the district (once per atlas)."""
        def compute():
            whole = self.built.table(geography)
            return aggregate_over(whole, layer, layer_rule(self.built, layer, geography, self.catalogue), whole.index)

        return _memo(self.built, ("district", layer, geography), compute)

    # -- population --------------------------------------------------------------------------------------
    def _population(self) -> Table | None:
        rows = [m for g in self._geographies() for m in self._layers(g)
                if m["theme"] == POPULATION_THEME and m["kind"] in ("population", "count")]
        if not rows:
            return None
        figures = {m["layer"]: self._figures(m) for m in rows}
        totals = {m["source_title"]: m["layer"] for m in rows if m["kind"] == "population"}
        records = []
        for meta in rows:
            mine, total = figures[meta["layer"]], figures.get(totals.get(meta["source_title"]))

            def share(key, mine=mine, total=total):
                return mine[key] / total[key] * 100 if total and total[key] else np.nan
            england_total = total["england_entry"].get("value") if total else None
            england_mine = mine["england_entry"].get("value")
            records.append({
                "measure": meta["label"], "layer": meta["layer"], "is_total": meta["kind"] == "population",
                "area": mine["area"],
                "area_share": share("area") if meta["kind"] == "count" else np.nan,
                "authority": mine["authority"],
                "authority_share": share("authority") if meta["kind"] == "count" else np.nan,
                "england_share": (england_mine / england_total * 100 if meta["kind"] == "count" and england_total
                                  and england_mine is not None else np.nan),
                "period": meta["period"],
            })
        data = pd.DataFrame(records)
        shown = pd.DataFrame({
            "Measure": data["measure"],
            f"{self.area.name} (people)": [format_value(v, 0) for v in data["area"]],
            f"{self.area.name} (% of residents)": _shares(data, "area_share"),
            f"{self.built.la_name} (% of residents)": _shares(data, "authority_share"),
            "England (% of residents)": _shares(data, "england_share"),
            "Period": data["period"],
        })
        return Table("population", "Population and age", f"Residents of {self.area.name} by age, with the "
                     f"shares of {self.built.la_name} and England", data, shown,
                     notes=["Shares are of the total population from the same source and period."])

    # -- deprivation mix ---------------------------------------------------------------------------------
    def _deprivation_mix(self) -> list[Table]:
        tables = []
        for geography in [g for g in LSOA_GEOGRAPHIES if g in self.built.geographies]:
            for meta in self._layers(geography):
                if meta["kind"] == "decile" and meta["layer"].startswith("imd"):
                    table = self._mix(meta)
                    if table is not None:
                        tables.append(table)
        return tables

    def _mix(self, meta: dict) -> Table | None:
        layer, geography = meta["layer"], meta["geography"]
        frame = self.built.table(geography)
        rule = layer_rule(self.built, layer, geography, self.catalogue)
        if self.area.is_table_area:
            shares = self.built.decile_shares
            shares = shares[(shares["geography"] == self.area.kind) & (shares["code"] == self.area.code)
                            & (shares["layer"] == layer)]
        else:
            shares = aggregate_over(frame, layer, rule, self.area.members.get(geography, []))[1]
        if shares is None or shares.empty:
            return None
        district = self._district(layer, geography)[1].set_index("decile")
        mine = shares.set_index("decile")
        england = self.england.get(layer, {})
        records = []
        for decile in range(1, 11):
            records.append({
                "decile": decile, "area_lsoas": int(mine["areas"].get(decile, 0)),
                "area_residents": float(mine["population"].get(decile, 0.0)),
                "area_share": float(mine["share"].get(decile, 0.0)) * 100,
                "authority_share": float(district["share"].get(decile, 0.0)) * 100,
                "england_share": float(england.get("shares", {}).get(str(decile), np.nan)) * 100,
                "authority_lsoa_share": float(district["areas"].get(decile, 0)) / district["areas"].sum() * 100,
                "england_lsoa_share": float(england.get("area_shares", {}).get(str(decile), np.nan)) * 100,
            })
        self.used.append(meta)
        data = pd.DataFrame(records)
        weight = rule.weight and self.built.layer(rule.weight, geography)["label"]
        shown = pd.DataFrame({
            "National decile": [decile_label(d) for d in data["decile"]],
            f"{self.area.name}: LSOAs": data["area_lsoas"].astype(str),
            f"{self.area.name}: residents": [format_value(v, 0) for v in data["area_residents"]],
            f"{self.area.name} (% of residents)": [format_value(v, 1, "%") for v in data["area_share"]],
            f"{self.built.la_name} (% of residents)": [format_value(v, 1, "%") for v in data["authority_share"]],
            "England (% of residents)": [format_value(v, 1, "%") for v in data["england_share"]],
            f"{self.built.la_name} (% of LSOAs)": [format_value(v, 1, "%") for v in data["authority_lsoa_share"]],
            "England (% of LSOAs)": [format_value(v, 1, "%") for v in data["england_lsoa_share"]],
        })
        most = data.loc[data["decile"] <= 2, ["area_share", "authority_share", "england_share"]].sum(min_count=1)
        most = {key: format_value(value, 1, "%") for key, value in most.items()}  # England: no data without its files
        intro = (f"{most['area_share']} of the residents of {self.area.name} live in LSOAs among the most "
                 f"deprived 20% in England ({self.built.la_name} {most['authority_share']}, England "
                 f"{most['england_share']}).")
        notes = [f"Residents: {weight or 'population'} ({meta['period']}). England has 10% of its LSOAs in each "
                 f"decile by construction; its residents' shares are computed from the national files."]
        return Table(f"deprivation_{layer}", f"Deprivation mix: {meta['label']}", f"People and LSOAs of "
                     f"{self.area.name} in each national decile, beside {self.built.la_name} and England",
                     data, shown, intro, notes)

    # -- every indicator --------------------------------------------------------------------------------
    def _indicators(self) -> Table | None:
        records = []
        for meta in self._indicator_layers():
            shown_meta = _decile_share_meta(self.built, meta) if meta["kind"] == "decile" else meta
            figures = self._figures(meta)
            count = shown_meta["kind"] in ("count", "population")
            records.append({
                "theme": meta["theme"], "layer": shown_meta["layer"], "indicator": shown_meta["label"],
                "units": shown_meta["units"], "area": figures["area"], "lower": figures["lower"],
                "upper": figures["upper"], "authority": figures["authority"],
                "england": np.nan if count else figures["england"],
                "vs_authority": _text(figures["vs_district"]), "vs_england": _text(figures["vs_england"]),
                "period": meta["period"], "source": meta["source_title"], "decimals": layer_decimals(shown_meta),
                "native_geography": meta.get("native_geography", ""),
            })
        if not records:
            return None
        data = pd.DataFrame(records)
        shown = pd.DataFrame({
            "Indicator": data["indicator"],
            "Units": data["units"].fillna(""),
            self.area.name: [_with_interval(r.area, r.lower, r.upper, r.decimals, r.units) for r in data.itertuples()],
            self.built.la_name: [_reference(r.authority, r.decimals, r.units) for r in data.itertuples()],
            "England": [_reference(r.england, r.decimals, r.units) for r in data.itertuples()],
            f"Compared with {self.built.la_name}": data["vs_authority"],
            "Compared with England": data["vs_england"],
            "Theme": data["theme"],
            "Period": data["period"],
        })
        how = ("its row of the atlas, as the app shows it" if self.area.is_table_area else
               "aggregated over its LSOAs as the atlas aggregates wards (population-weighted means, summed counts, "
               "summed numerators over summed denominators, residents' shares by decile)")
        notes = [f"{self.area.name}: {how}. {self.built.la_name}: the same aggregation over all its areas (or the "
                 f"build's benchmark for indicators with intervals). England: the same aggregation over every "
                 f"English area of the national source file; blank for counts and where the source is not national."]
        return Table("indicators", "Indicators", f"Every indicator for {self.area.name} beside "
                     f"{self.built.la_name} and England", data, shown, notes=notes)

    def _indicator_layers(self) -> list[dict]:
        rows = []
        for geography in self._geographies():
            for meta in self._layers(geography):
                if meta["theme"] == POPULATION_THEME and meta["kind"] in ("population", "count"):
                    continue
                if meta["kind"] == "decile" and self.area.is_table_area:
                    continue
                rows.append(meta)
        # a layer converted to the other LSOA vintage (small-area estimates) is shown once, from its own vintage
        native = {m["layer"] for m in rows if m.get("native_geography") in ("", None, m["geography"])}
        rows = [m for m in rows if m["layer"] not in native or m.get("native_geography") in ("", None, m["geography"])]
        order = {theme: i for i, theme in enumerate(dict.fromkeys(self.built.layers["theme"]))}
        return sorted(rows, key=lambda m: order.get(m["theme"], len(order)))

    def _layers(self, geography: str) -> list[dict]:
        return [m for m in self.built.layers_on(geography).to_dict("records") if m["kind"] != "rank"]

    # -- life expectancy and the gap ------------------------------------------------------------------------
    def _life_expectancy(self) -> list[Table]:
        if LE_GEOGRAPHY not in self.built.geographies:
            return []
        layers = [m for m in self._layers(LE_GEOGRAPHY) if m["theme"] == LE_THEME and m["has_interval"]]
        if not layers:
            return []
        msoas = self._msoas()
        frame = self.built.table(LE_GEOGRAPHY)
        gap = _life_expectancy_gap(self.built)
        quintile = gap.membership["group"] if gap is not None else pd.Series(dtype=float)
        records = []
        for code, lsoas in msoas.items():
            row = {"msoa": code, "name": frame.at[code, "name"], "lsoas_in_area": lsoas,
                   "local_deprivation_group": _number(quintile.get(code))}
            for meta in layers:
                layer = meta["layer"]
                row.update({layer: _number(frame.at[code, layer]), f"{layer}_lower": _number(frame.at[code, f"{layer}_lower"]),
                            f"{layer}_upper": _number(frame.at[code, f"{layer}_upper"]),
                            f"{layer}_vs_district": _text(frame.get(f"{layer}_vs_district", pd.Series(dtype=object)).get(code)),
                            f"{layer}_vs_england": _text(frame.get(f"{layer}_vs_england", pd.Series(dtype=object)).get(code))})
            records.append(row)
        for meta in layers:
            self.used.append(meta)
        data = pd.DataFrame(records)
        shown = pd.DataFrame({"MSOA": [f"{r.name} ({r.msoa})" for r in data.itertuples()]})
        if self.area.kind != LE_GEOGRAPHY:
            shown[f"LSOAs of {self.area.name} in it"] = data["lsoas_in_area"].astype(str)
        if gap is not None:
            shown["Local deprivation fifth (1 = most deprived)"] = [format_value(v, 0) for v in data["local_deprivation_group"]]
        benchmarks = []
        for meta in layers:
            layer = meta["layer"]
            shown[meta["label"]] = [_with_interval(v, lo, hi, 1) for v, lo, hi in
                                    zip(data[layer], data[f"{layer}_lower"], data[f"{layer}_upper"])]
            shown[f"{meta['label']}: compared with {self.built.la_name} / England"] = [
                f"{a or '-'} / {b or '-'}" for a, b in zip(data[f"{layer}_vs_district"], data[f"{layer}_vs_england"])]
            district = _benchmark(self.built, layer, LE_GEOGRAPHY, "district")
            england = _benchmark(self.built, layer, LE_GEOGRAPHY, "england")
            benchmarks.append(f"{meta['label']}: {self.built.la_name} {format_value(district, 1)}, England "
                              f"{format_value(england, 1)}")
        where = ("" if self.area.kind == LE_GEOGRAPHY else
                 f" Life expectancy is published by MSOA (2011) only: these are the MSOAs holding {self.area.name}'s "
                 f"LSOAs (2011).")
        tables = [Table("life_expectancy", "Life expectancy", f"Life expectancy at birth in the MSOAs of "
                        f"{self.area.name}, with 95% intervals and comparisons", data, shown,
                        f"Period: {layers[0]['period']}.{where}",
                        ["Benchmarks: " + "; ".join(benchmarks) + ". " + str(layers[0].get("method") or "")])]
        if gap is not None:
            tables.append(self._gap_table(gap))
        return tables

    def _msoas(self) -> dict[str, int]:
        """The MSOAs (2011) of the area, with how many of its LSOAs (2011) each holds."""
        if self.area.kind == LE_GEOGRAPHY:
            return {self.area.code: len(self.area.members.get("lsoa11", []))}
        if self.area.members.get("lsoa11"):
            parent, _ = lsoa_assignment(self.built, "lsoa11", LE_GEOGRAPHY, self.source_dir, self.catalogue)
            counts = parent.reindex(self.area.members["lsoa11"]).dropna().value_counts()
            return {code: int(n) for code, n in sorted(counts.items())}
        return {code: 0 for code in _inside(self.built.table(LE_GEOGRAPHY), self.area.geometry)}

    def _gap_table(self, gap) -> Table:
        comparison = gap.comparison_table()
        data = comparison.assign(sii_lower=[gap.sii.get(s, {}).get("lower") for s in comparison["sex"]],
                                 sii_upper=[gap.sii.get(s, {}).get("upper") for s in comparison["sex"]])
        shown = pd.DataFrame({
            "Sex": data["sex"].str.capitalize(),
            "Most deprived fifth (years)": [format_value(v, 1) for v in data["ours_most_deprived"]],
            "Least deprived fifth (years)": [format_value(v, 1) for v in data["ours_least_deprived"]],
            "Gap (years)": [format_value(v, 1) for v in data["ours_gap"]],
            "Slope index of inequality (years, 95% interval)": [
                _with_interval(s, lo, hi, 1) for s, lo, hi in zip(data["ours_sii"], data["sii_lower"], data["sii_upper"])],
        })
        if "published_gap" in data:
            shown["Published gap (years)"] = [format_value(v, 1) for v in data["published_gap"]]
        return Table("life_expectancy_gap", f"The life-expectancy gap in {self.built.la_name}",
                     f"Life expectancy in {self.built.la_name}'s most and least deprived fifths, the gap and the "
                     f"slope index of inequality", data, shown,
                     f"Across {self.built.la_name} (the district, not {self.area.name}): {gap.grouping}.",
                     [gap.method, gap.note])

    # -- Primary Care Network indicators ----------------------------------------------------------------
    def _similar_authorities(self) -> Table | None:
        """The authority beside its 15 most similar authorities and England (:mod:`atlas.similar`)."""
        from . import similar

        try:
            found = similar.similar_authorities(self.built.la_code, self.source_dir)
            compared = similar.comparison(found, self.source_dir)
        except AtlasError as exc:
            self.notes.append(f"No similar authorities: {exc}")
            return None
        data = compared.reset_index()
        shown = data.copy()
        for column in shown.columns[1:]:
            shown[column] = [format_value(v, 0 if v >= 100 else 3) for v in shown[column]]
        names = ", ".join(f"{r.name} ({r.distance:.2f})" for r in found.neighbours.itertuples())
        return Table("similar_authorities", f"{self.built.la_name} beside similar authorities",
                     f"{self.built.la_name}'s inputs to the similarity method beside the average of its 15 most "
                     f"similar authorities and of England's authorities", data, shown,
                     intro=f"The 15 most similar authorities, nearest first (distance in standard deviations): "
                           f"{names}.",
                     notes=[found.method, *found.notes,
                            "Sources: MHCLG English Indices of Deprivation 2025 (district summaries); ONS Census "
                            "2021 and ONS district boundaries; Open Government Licence v3.0."])

    def _network_funnel(self) -> Table | None:
        """A funnel plot of the district's practices on the first QOF register, the network's highlighted."""
        if self.area.kind != "pcn" or PRACTICES not in self.built.points:
            return None
        from .analysis.analyses import funnel_summary
        from .funnel_figure import funnel_png

        geography = f"points:{PRACTICES}"
        practices = self.built.points[PRACTICES]
        layers = [layer for layer in self.built.layers_on(geography)["layer"] if f"{layer}_numerator" in practices]
        if not layers or "pcn_code" not in practices:
            return None
        entry = funnel_summary(self.built, layers[0], geography, highlight=("pcn_code", self.area.code))
        if not entry["available"]:
            self.notes.append(f"No funnel plot: {entry['message']}")
            return None
        png, alt = funnel_png(entry, f"{entry['label']}: {self.built.la_name}'s practices", self.area.name)
        data = entry["points"].reset_index().rename(columns={"index": "code"})
        data = data[["code", "name", "numerator", "denominator", "value", "position", "highlight"]]
        ours = data[data["highlight"]]
        shown = pd.DataFrame({"Practice": ours["name"], "Code": ours["code"],
                              "Register / list": [f"{format_value(n, 0)} / {format_value(d, 0)}"
                                                  for n, d in zip(ours["numerator"], ours["denominator"])],
                              entry["units"] or "Value": [format_value(v, 1) for v in ours["value"]],
                              f"Against {self.built.la_name}": ours["position"]})
        return Table("network_funnel", "Funnel plot of the network's practices",
                     f"{entry['label']}: the practices of {self.area.name} among {self.built.la_name}'s practices",
                     data, shown, intro=entry["reading"], notes=[entry["method"]], image=png, image_alt=alt)

    def _network_indicators(self) -> Table | None:
        if self.area.kind != "pcn":
            return None
        from .health import pcn_table

        geography = f"points:{PRACTICES}"
        practices = self.built.points[PRACTICES]
        records = []
        for meta in self.built.layers_on(geography).to_dict("records"):
            layer = meta["layer"]
            if f"{layer}_numerator" not in practices or f"{layer}_denominator" not in practices:
                continue
            row = _memo(self.built, ("pcn_table", layer), lambda: pcn_table(self.built, layer)).loc[self.area.code]
            records.append({
                "layer": layer, "indicator": meta["label"], "units": meta["units"], "area": row["value"],
                "lower": row["lower"], "upper": row["upper"], "numerator": row["numerator"],
                "denominator": row["denominator"],
                "authority": _benchmark(self.built, layer, geography, "district"),
                "england": _benchmark(self.built, layer, geography, "england"),
                "vs_authority": _text(row.get("vs_district")), "vs_england": _text(row.get("vs_england")),
                "period": meta["period"], "decimals": layer_decimals(meta),
            })
            self.used.append(meta)
        if not records:
            return None
        data = pd.DataFrame(records)
        shown = pd.DataFrame({
            "Indicator": data["indicator"],
            self.area.name: [_with_interval(r.area, r.lower, r.upper, r.decimals, r.units) for r in data.itertuples()],
            "Register / list": [f"{format_value(n, 0)} / {format_value(d, 0)}"
                                for n, d in zip(data["numerator"], data["denominator"])],
            self.built.la_name: [_reference(v, d, u) for v, d, u in zip(data["authority"], data["decimals"], data["units"])],
            "England": [_reference(v, d, u) for v, d, u in zip(data["england"], data["decimals"], data["units"])],
            f"Compared with {self.built.la_name}": data["vs_authority"],
            "Compared with England": data["vs_england"],
            "Period": data["period"],
        })
        return Table("network_indicators", "Practice registers of the network",
                     f"QOF recorded prevalence for the practices of {self.area.name} (summed registers over summed "
                     f"lists), beside {self.built.la_name} and England", data, shown,
                     notes=["Network figures: summed registers over summed list sizes of its practices, with a 95% "
                            "Wilson interval. Benchmarks: every practice of the district and of England."])

    # -- assets ------------------------------------------------------------------------------------------------
    def _assets(self) -> Table | None:
        records = []
        shape = self.area.geometry.buffer(1)
        serving = self._serving_practices()
        for point_set, points in self.built.points.items():
            if point_set == PRACTICES and self.area.kind == "pcn":
                chosen = {code: "Practice of the network" for code in self.area.practices}
            else:
                chosen = {code: "In the area" for code in points.index[points.within(shape)]}
                if point_set == PRACTICES:
                    for code, n in serving.items():
                        chosen.setdefault(code, f"Nearest practice of {n} of the area's LSOAs")
            label = self._set_label(point_set)
            for code, relation in chosen.items():
                row = points.loc[code]
                records.append({"type": label, "code": code, "name": row.get("name"), "postcode": row.get("postcode"),
                                "network": row.get("pcn_name", ""), "list_size": _number(row.get("list_size")),
                                "relation": relation})
        if not records:
            return None
        keys = [k for k in dict.fromkeys([*POINT_STYLES, *self.built.points]) if k in self.built.points]
        order = {self._set_label(k): i for i, k in enumerate(keys)}
        data = pd.DataFrame(records)
        data = data.assign(_order=data["type"].map(order)).sort_values(["_order", "name"], kind="stable")
        data = data.drop(columns="_order").reset_index(drop=True)
        shown = pd.DataFrame({"Type": data["type"], "Code": data["code"], "Name": [string.capwords(str(n)) for n in data["name"]],
                              "Postcode": data["postcode"], "Primary Care Network": data["network"].fillna(""),
                              "Registered patients": [format_value(v, 0, missing="") for v in data["list_size"]],
                              "Relation to the area": data["relation"]})
        counts = data.groupby("type").size()
        counts = counts.reindex(list(dict.fromkeys(data["type"])))
        intro = "; ".join(_count_text(n, t) for t, n in counts.items()) + "."
        return Table("assets", "GP practices, pharmacies and other assets", f"Health services in or serving "
                     f"{self.area.name}", data, shown, intro,
                     ["In the area: located (by postcode) inside it. Serving it: a practice that is the nearest "
                      "practice (straight line) of at least one of its LSOAs."])

    def _set_label(self, point_set: str) -> str:
        label, meta = _point_set_label(self.built, point_set)
        if meta is not None:
            self.used.append(meta)
        return label

    def _serving_practices(self) -> dict[str, int]:
        if PRACTICES not in self.built.points or self.area.kind == "pcn":
            return {}
        geography = next((g for g in LSOA_GEOGRAPHIES if self.area.members.get(g)), None)
        if geography is None:
            return {}
        nearest = nearest_practice(self.built, geography).loc[self.area.members[geography]]
        return nearest["practice"].value_counts().to_dict()

    # -- the LSOAs -------------------------------------------------------------------------------------------
    def _lsoas(self) -> Table | None:
        records = []
        for geography in [g for g in reversed(LSOA_GEOGRAPHIES) if self.area.members.get(g)]:
            frame = self.built.table(geography)
            layers = self.built.layers_on(geography)
            decile = next(iter(layers.loc[(layers["kind"] == "decile") & layers["layer"].str.startswith("imd"), "layer"]), None)
            population = next(iter(layers.loc[layers["kind"] == "population", "layer"]), None)
            for code in self.area.members[geography]:
                records.append({"geography": _label(self.built, geography), "code": code,
                                "name": frame.at[code, "name"],
                                "imd_decile": _number(frame.at[code, decile]) if decile else np.nan,
                                "population": _number(frame.at[code, population]) if population else np.nan})
        if not records:
            return None
        data = pd.DataFrame(records)
        shown = pd.DataFrame({"Vintage": data["geography"], "LSOA": data["code"], "Name": data["name"],
                              "National IMD decile": [decile_label(int(d)) if not pd.isna(d) else "no data"
                                                      for d in data["imd_decile"]],
                              "Residents": [format_value(v, 0) for v in data["population"]]})
        return Table("lsoas", "The area's LSOAs", f"The LSOAs making up {self.area.name}", data, shown,
                     notes=[self.area.rule])

    # -- summary and sources -------------------------------------------------------------------------------
    def _summary(self, tables: list[Table]) -> list[tuple[str, str]]:
        out = []
        by_key = {t.key: t for t in tables}
        population = by_key.get("population")
        if population is not None:
            totals = population.data[population.data["is_total"]]
            for row in totals.itertuples():
                out.append((row.measure, f"{format_value(row.area, 0)} ({row.period})"))
        for table in tables:
            if table.key.startswith("deprivation_"):
                out.append((table.title.replace("Deprivation mix: ", ""), table.intro))
        if "life_expectancy" in by_key and self.area.kind == LE_GEOGRAPHY:
            data = by_key["life_expectancy"].data
            for meta in [m for m in self._layers(LE_GEOGRAPHY) if m["theme"] == LE_THEME and m["has_interval"]]:
                out.append((meta["label"], format_value(data[meta["layer"]].iloc[0], 1) + " years"))
        if "assets" in by_key:
            out.append(("Health services", by_key["assets"].intro))
        return out

    def _sources(self) -> list[str]:
        lines = []
        for meta in self.used:
            text = (f"{meta.get('source_title') or meta['label']}"
                    + (f", {meta['publisher']}" if meta.get("publisher") else "")
                    + (f" ({meta['period']})" if meta.get("period") else "") + "."
                    + (f" Licence: {meta['licence']}." if meta.get("licence") else "")
                    + (f" {meta['attribution']}" if meta.get("attribution") else ""))
            lines.append(text)
        geographies = [g for g in (self.area.kind, *LSOA_GEOGRAPHIES, LE_GEOGRAPHY) if g in self.built.geographies]
        lines.extend(boundary_attributions(self.built, list(dict.fromkeys(geographies))))
        licence = config.os_licence_number()
        if licence:
            lines.append(f"{self.built.la_name} OS licence number {licence}.")
        return list(dict.fromkeys(lines))


# -- helpers -------------------------------------------------------------------------------------------------
LE_THEME = "Life expectancy"


def _shares(data: pd.DataFrame, column: str) -> list[str]:
    """Percentages of a population table; blank on the rows of the totals themselves."""
    return ["" if total else format_value(v, 1, "%") for v, total in zip(data[column], data["is_total"])]


def _reference(value, decimals: int, units: str | None) -> str:
    """A benchmark figure; blank where there is none (a count, or a source that is not national)."""
    return format_value(value, decimals, units, missing="")


def _with_interval(value, lower, upper, decimals: int, units: str | None = None) -> str:
    """A figure with its 95% interval when it has one: "12.3% (10.1 to 14.6)"."""
    text = format_value(value, decimals, units)
    if not pd.isna(lower) and not pd.isna(upper):
        text += f" ({format_value(lower, decimals)} to {format_value(upper, decimals)})"
    return text


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _benchmark(built: Atlas, layer: str, geography: str, which: str) -> float | None:
    """The build's district or England benchmark of a layer with intervals, if it has one."""
    from .health import layer_benchmarks

    if geography.startswith(POINTS_PREFIX):
        found = layer_benchmarks(built, layer, geography[len(POINTS_PREFIX):])
    else:
        found = next((e.get("benchmarks", []) for e in built.report.get("benchmarks", [])
                      if e.get("layer") == layer and e.get("geography") == geography), [])
    return next((float(b["value"]) for b in found if b.get("area") == which and b.get("value") is not None), None)


def _base_layer(built: Atlas, meta: dict) -> tuple[str, str]:
    """The layer and geography a layer's values were aggregated from (itself when native)."""
    layer, geography = meta["layer"], meta["geography"]
    native = meta.get("native_geography") or geography
    if native == geography:
        return layer, geography
    on_native = set(built.layers_on(native)["layer"])
    if layer.endswith(MOST_DEPRIVED_SUFFIX) and layer[:-len(MOST_DEPRIVED_SUFFIX)] in on_native:
        return layer[:-len(MOST_DEPRIVED_SUFFIX)], native
    return (layer, native) if layer in on_native else (layer, geography)


def _decile_share_meta(built: Atlas, meta: dict) -> dict:
    """How a decile layer is shown for a set of areas: the share of residents in deciles 1-2."""
    layer = meta["layer"] + MOST_DEPRIVED_SUFFIX
    rows = built.layers[built.layers["layer"] == layer]
    if len(rows):
        found = rows.iloc[0].to_dict()
        return dict(meta, layer=layer, label=found["label"], units=found["units"], kind=found["kind"],
                    decimals=found["decimals"])
    return dict(meta, layer=layer, label=f"{meta['label']}: % of residents in the most deprived 20% nationally",
                units="%", kind="percentage", decimals=1)


def _memo(built: Atlas, key, compute):
    """``compute()`` once per atlas object: figures that are the same for every profile of a district
    (the authority's values, the networks' tables, the life-expectancy gap) are kept on the atlas,
    so they live as long as it does and a changed copy (an import) starts afresh."""
    memo = built.__dict__.setdefault("_profile_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def _life_expectancy_gap(built: Atlas):
    """The district's life-expectancy gap (atlas.health); None when it cannot be computed."""
    from .health import life_expectancy_gap

    def compute():
        try:
            return life_expectancy_gap(built)
        except AtlasError:
            return None

    return _memo(built, "life_expectancy_gap", compute)


# -- the map -------------------------------------------------------------------------------------------------
#: Marker and colour (Okabe-Ito, colour-blind safe) of each point set on a profile's map.
POINT_STYLES = {"gp_practices": ("o", "#0072B2"), "pharmacies": ("^", "#D55E00"), "dentists": ("s", "#009E73"),
                "hospitals": ("P", "#CC79A7")}
AREA_FILL, AREA_EDGE = "#fdb863", "#7f3b08"


@figure_text()  # area and service names are drawn as written
def area_map(built: Atlas, area: Area, dpi: int = 150) -> tuple[bytes, str]:
    """A small PNG map of the area within the district, with its services; and its text alternative."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    geography = next(g for g in (*LSOA_GEOGRAPHIES, *built.geographies) if g in built.geographies)
    frame = built.table(geography)
    figure = Figure(figsize=(7.0, 4.6), dpi=dpi, facecolor="white")
    rect = (0.01, 0.02, 0.66, 0.96)
    ax = figure.add_axes(rect)
    ax.set_axis_off()
    district = area_collection(frame.geometry)
    district.set_facecolor("#f0f0f0")
    district.set_edgecolor("#c8c8c8")
    ax.add_collection(district)
    highlight = area_collection([area.geometry])
    highlight.set_facecolor(AREA_FILL)
    highlight.set_edgecolor(AREA_EDGE)
    highlight.set_linewidth(1.6)
    ax.add_collection(highlight)
    wards = next((g for g in NAMED_GEOGRAPHIES[:2] if g in built.geographies), None)
    if wards:
        ax.add_collection(outline_collection(built.table(wards).geometry, "#737373", 0.5))
    fit_extent(ax, frame.total_bounds, box_inches(figure, rect))
    handles = [Patch(facecolor=AREA_FILL, edgecolor=AREA_EDGE, label=area.name)]
    counts = []
    for point_set, points in built.points.items():
        marker, colour = POINT_STYLES.get(point_set, ("D", "#000000"))
        ax.scatter(points.geometry.x, points.geometry.y, s=18, marker=marker, facecolor=colour,
                   edgecolor="white", linewidth=0.5, zorder=5)
        label = _point_set_label(built, point_set)[0]  # the assets table's names
        handles.append(Line2D([], [], linestyle="none", marker=marker, markerfacecolor=colour,
                              markeredgecolor="white", markersize=7, label=label))
        counts.append(_count_text(len(points), label))
    if area.kind == "pcn" and area.practices:
        members = built.points[PRACTICES].loc[area.practices]
        ax.scatter(members.geometry.x, members.geometry.y, s=70, marker="o", facecolor="none",
                   edgecolor="black", linewidth=1.4, zorder=6)
        handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="none", markeredgecolor="black",
                              markersize=10, label="Practice of the network"))
    if wards:
        handles.append(Line2D([], [], color="#737373", linewidth=0.8, label=_label(built, wards)))
    scale_bar(ax)
    north_arrow(ax)
    figure.legend(handles=handles, loc="center left", bbox_to_anchor=(0.69, 0.5), frameon=False, fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    alt = (f"Map of {built.la_name} showing {area.title} shaded among the district's {_label(built, geography)} "
           f"areas" + (f", with {_join(counts)} marked by symbol" if counts else "")
           + (f"; the network's {len(area.practices)} practices are ringed" if area.kind == "pcn" else "")
           + ". The tables give the same information.")
    return buffer.getvalue(), alt


def _point_set_label(built: Atlas, point_set: str) -> tuple[str, dict | None]:
    """A point set's name ("GP practices", "Dental practices") and metadata, as the build recorded them."""
    rows = built.layers[(built.layers["geography"] == f"{POINTS_PREFIX}{point_set}") & (built.layers["layer"] == point_set)]
    if len(rows):
        return str(rows.iloc[0]["label"]), rows.iloc[0].to_dict()
    return point_set.replace("_", " ").capitalize(), None


def _count_text(n: int, label: str) -> str:
    """"3 GP practices", "1 hospital": a count with its label, singular for one, capitals kept for acronyms."""
    label = label[0].lower() + label[1:] if label[1:2].islower() else label
    if n == 1:
        label = re.sub(r"ies$", "y", label) if label.endswith("ies") else re.sub(r"s$", "", label)
    return f"{n} {label}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# -- output: HTML, PDF, CSV -----------------------------------------------------------------------------
TEMPLATES = Path(__file__).with_name("templates")
_NUMBER_TEXT = re.compile(r"^-?[\d,]+(\.\d+)?%?( \(.*\))?$")


def render_html(profile: Profile) -> str:
    """The profile as one self-contained HTML page (no external file; every name and value escaped).

    Headings and a contents list, tables with captions and header cells, the map
    as an embedded image with a text alternative, comparisons written as words.
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    template = environment.get_template("profile.html")
    return template.render(profile=profile, produced=f"{profile.produced:%d %B %Y}",
                           map_base64=base64.b64encode(profile.map_png).decode("ascii"),
                           map_attribution=_map_attribution(profile), cell_class=_cell_class,
                           image_base64=lambda data: base64.b64encode(data).decode("ascii"))


def _cell_class(text) -> str:
    text = str(text)
    if text in ("Better", "Similar", "Worse"):
        return text
    return "num" if _NUMBER_TEXT.match(text) else ""


def _map_attribution(profile: Profile) -> str:
    lines = [s for s in profile.sources if s.startswith("Boundaries")]
    return " ".join(lines)


def render_csv(profile: Profile) -> str:
    """The figures of every table as one CSV: a row per figure, with its section and the area."""
    frames = []
    for table in profile.tables:
        frame = table.data.copy()
        frame.insert(0, "section", table.key)
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True, sort=False)
    data = data.drop(columns=[c for c in ("decimals",) if c in data])
    data.insert(1, "area_code", profile.area.code)
    data.insert(2, "area_name", profile.area.name)
    data.insert(3, "area_kind", profile.area.kind_label)
    data.insert(4, "district", f"{profile.la_name} ({profile.la_code})")
    data["produced"] = profile.produced.isoformat()
    return csv_text(data)


def render_pdf(profile: Profile) -> bytes:
    """The profile as an A4 landscape PDF (reportlab), with its text as searchable text.

    reportlab is a long-maintained, pure-PyPI PDF library with flowing tables
    that split across pages; the fonts are matplotlib's DejaVu Sans (embedded),
    which covers every character names may hold.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    styles = _pdf_styles()
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(buffer, pagesize=page, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=profile.title, author="Health Equity Atlas",
                            subject=f"{profile.area.title}, {profile.la_name}")
    width = page[0] - 28 * mm
    p = lambda text, style="body": Paragraph(_xml(text), styles[style])  # noqa: E731
    story = [p(profile.title, "title"),
             p(f"{profile.area.kind_label}{'' if profile.area.kind == 'lsoas' else ' ' + profile.area.code}, "
               f"{profile.la_name} ({profile.la_code}). Produced {profile.produced:%d %B %Y} with the Health "
               f"Equity Atlas.", "subtitle"),
             p("At a glance", "h2")]
    glance = [Paragraph(f"<b>{_xml(label)}</b>: {_xml(text)}", styles["body"]) for label, text in profile.summary]
    glance.append(p(profile.area.rule))
    image = Image(io.BytesIO(profile.map_png), width=150 * mm, height=150 * mm * 4.6 / 7.0)
    side = PdfTable([[glance, [image, p(f"Map: {profile.map_alt} {_map_attribution(profile)}", "small")]]],
                    colWidths=[width - 155 * mm, 155 * mm], hAlign="LEFT")
    side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]))
    story += [side, Spacer(1, 3 * mm)]
    for table in profile.tables:
        rows = [[p(str(c), "th") for c in table.shown.columns]]
        rows += [[p(str(c), "td") for c in row] for row in table.shown.itertuples(index=False)]
        grid = PdfTable(rows, colWidths=_column_widths(table.shown, width), repeatRows=1, hAlign="LEFT")
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                                  ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#efefef")),
                                  ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
        story += [p(table.title, "h2")] + ([p(table.intro, "intro")] if table.intro else [])
        if table.image:
            from reportlab.lib.utils import ImageReader
            w_px, h_px = ImageReader(io.BytesIO(table.image)).getSize()
            shown_width = min(width, (page[1] - 60 * mm) * w_px / h_px)   # the whole chart on one page
            story += [Image(io.BytesIO(table.image), width=shown_width, height=shown_width * h_px / w_px),
                      p(table.image_alt, "small")]
        story += [p(table.caption, "caption"), grid] + [p(n, "small") for n in table.notes]
    story += [p("About these figures", "h2")] + [p(n, "small") for n in profile.notes]
    story += [p("Sources and licences", "h2")] + [p(s, "small") for s in profile.sources]

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont("DejaVuSans", 7)
        canvas.drawString(14 * mm, 8 * mm, f"{profile.title}, {profile.la_name}. Produced "
                                           f"{profile.produced:%d %B %Y}. Page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _pdf_styles() -> dict:
    import matplotlib
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(fonts / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                  italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
    base = ParagraphStyle("body", fontName="DejaVuSans", fontSize=9, leading=12, spaceAfter=3)
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontName="DejaVuSans-Bold", fontSize=17, leading=21),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, textColor="#333333", spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontName="DejaVuSans-Bold", fontSize=12.5, leading=16,
                             spaceBefore=9, spaceAfter=4, keepWithNext=True),
        "intro": ParagraphStyle("intro", parent=base, keepWithNext=True),
        "caption": ParagraphStyle("caption", parent=base, fontName="DejaVuSans-Bold", fontSize=8.5,
                                  keepWithNext=True),
        "th": ParagraphStyle("th", parent=base, fontName="DejaVuSans-Bold", fontSize=7, leading=8.5, spaceAfter=0),
        "td": ParagraphStyle("td", parent=base, fontSize=7, leading=8.5, spaceAfter=0),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor="#333333"),
    }


def _xml(text) -> str:
    """Text made safe for reportlab's mini-markup (which reads &, < and >)."""
    from xml.sax.saxutils import escape

    return escape(str(text))


def _column_widths(shown: pd.DataFrame, width: float, padding: float = 13.0) -> list[float]:
    """Column widths (points): each at least its longest word, the rest shared by the length of its text.

    Words are measured in the table's 7-point bold font (so a header such as
    "Luton" is never broken inside a word); ``padding`` is a cell's left plus
    right padding.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    _pdf_styles()  # registers the fonts measured here

    def measure(text: str) -> float:
        return stringWidth(text, "DejaVuSans-Bold", 7)

    floors, extras = [], []
    for column in shown.columns:
        cells = [str(c) for c in shown[column]]
        words = [w for c in cells + [str(column)] for w in c.split()] or [""]
        floor = max(measure(w) for w in words) + padding
        floors.append(floor)
        longest = max((measure(c[:60]) for c in cells), default=0.0)
        extras.append(max(longest * 0.6 + padding - floor, 0))
    spare = width - sum(floors)
    if spare <= 0:
        return [width * f / sum(floors) for f in floors]
    share = min(spare / sum(extras), 1.0) if sum(extras) else 0.0  # each column's extra, cut to fit the spare
    widths = [f + e * share for f, e in zip(floors, extras)]
    leftover = width - sum(widths)
    return [w + leftover * w / sum(widths) for w in widths]


def write_profile(profile: Profile, out: str | os.PathLike) -> Path:
    """Write the profile as HTML, PDF or CSV (from the suffix of ``out``), atomically.

    Raises
    ------
    AtlasError
        If the suffix is not .html, .pdf or .csv, or the file cannot be written
        (nothing is left behind).
    """
    out = Path(out)
    renderers = {"html": lambda: render_html(profile).encode("utf-8"), "pdf": lambda: render_pdf(profile),
                 "csv": lambda: render_csv(profile).encode("utf-8-sig")}
    write_bytes_atomic(out, renderers[profile_format(out)]())
    return out


def profile_format(out: Path) -> str:
    """The format a profile file's suffix asks for (``FORMATS``)."""
    kind = out.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise AtlasError(f"Cannot write a profile to {out}: use a file ending .html, .pdf or .csv.")
    return kind
