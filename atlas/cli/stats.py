"""``atlas stats``: a district's inequality statistics, or every district's in one CSV.

    atlas stats --la E06000032 [--indicator income19_score] [--geography lsoa11] [--json]
    atlas stats --all-districts --out FILE.csv

For one district the built atlas ``output/atlas/<LA>.gpkg`` is loaded when it
is current (built from the same source directory, newer than every spec and
source file it was built from), else the atlas is built first.
"""

from __future__ import annotations

import json
import math
import re
import sys

from .. import config
from ..analysis.area_stats import area_statistics
from ..analysis.national import all_districts, write_csv
from ..analysis.summary import summarise
from ..area_sets import load_area_set
from ..build import current
from ..codes import check_district_code
from ..errors import AtlasError
from ..specs import Catalogue
from ..stats.moran import CLUSTERS, DEFAULT_ALPHA, DEFAULT_PERMUTATIONS, DEFAULT_SEED
from ..stats.weights import DEFAULT_SNAP_TOLERANCE_M
from .options import add_atlas_dir, add_batch, add_source, print_failures

HELP = "inequality statistics: 20:20, 10:10, Moran's I, LISA clusters, area Gini"


def add_arguments(parser) -> None:
    """The options of ``atlas stats``."""
    parser.add_argument("--la", metavar="CODE", help="district code, e.g. E06000032 for Luton (with --areas: "
                        "the authority of the set, when sets of that name are kept for several)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--all-districts", action="store_true",
                       help="every IoD2019 district of England (20:20 and Moran's I of --indicator, an LSOA 2011 "
                            "layer, by default the Income score) to --out")
    which.add_argument("--areas", metavar="NAME",
                       help="one row per area of an area set (`atlas areas add`): 20:20, Moran's I, area Gini, to --out")
    parser.add_argument("--out", metavar="FILE.csv", help="CSV to write with --all-districts or --areas")
    parser.add_argument("--indicator", "--layer", dest="indicator", metavar="LAYER",
                        help="layer id for Moran's I and LISA (default: the layer of the income_score role in "
                             "roles.toml, the IoD2019 Income score of the published figures)")
    parser.add_argument("--geography", metavar="ID",
                        help="areas for Moran's I and LISA (default: the geography the indicator is published on)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_source(parser)
    add_atlas_dir(parser)
    parser.add_argument("--permutations", type=int, default=DEFAULT_PERMUTATIONS,
                        help=f"permutations for Moran's I and LISA (default {DEFAULT_PERMUTATIONS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--snap-tolerance", type=float, default=DEFAULT_SNAP_TOLERANCE_M, metavar="METRES",
                        help="buffer around each polygon when finding neighbours, in metres "
                             f"(default {DEFAULT_SNAP_TOLERANCE_M:g}; 0 = strict queen contiguity)")
    parser.add_argument("--alpha", type=float, default=DEFAULT_ALPHA, help="LISA significance level (default 0.05)")
    parser.add_argument("--fdr", action="store_true", help="LISA with the false-discovery-rate cut-off")
    add_batch(parser, "--all-districts")
    parser.add_argument("--no-cache", action="store_true",
                        help="--all-districts: read every boundary file, neither using nor writing output/cache")


def run(args) -> int:
    """Run ``atlas stats``; return the exit status."""
    if args.permutations < 0:
        raise AtlasError(f"--permutations must be 0 or more (got {args.permutations}).")
    args.indicator = args.indicator or default_indicator()
    if args.areas:
        return _run_areas(args)
    if args.all_districts:
        if args.la:
            raise AtlasError("--all-districts covers every district; leave out --la.")
        return _run_all_districts(args)
    if not args.la:
        raise AtlasError("Give --la CODE (one district), --all-districts or --areas NAME.")
    return _run_district(args)


# -- one district -----------------------------------------------------------------------------------

def _run_district(args) -> int:

    la = check_district_code(args.la)
    source = config.source_dir(args.source)
    built, how = current(la, source, args.atlas_dir)
    geography = args.geography or published_geography(built, args.indicator)
    built.table(geography)
    layer = resolve_layer(built, args.indicator, geography)
    summary = summarise(built, layer, geography, permutations=args.permutations, seed=args.seed,
                        alpha=args.alpha, fdr=args.fdr, snap_tolerance_m=args.snap_tolerance)
    result = _result(built, summary, args, how)
    if args.json:
        print(_json(result))
    else:
        print(_text(result, summary))
    return 0


def default_indicator() -> str:
    """The layer of the published figures: the ``income_score`` role of the specs (the IoD2019 Income score)."""
    return Catalogue.load().role("income_score")


def published_geography(built, wanted: str) -> str:
    """The geography to compute on when none is given: the one the layer ``wanted`` is published on.

    A name without its vintage (``income_score``) is taken on the geography of
    the default indicator (:func:`default_indicator`), as the published figures are.

    Raises
    ------
    AtlasError
        If the atlas has neither that layer nor the default indicator.
    """
    for layer in (wanted, default_indicator()):
        if built.native_geography(layer):
            return built.native_geography(layer)
    raise AtlasError(f"No layer {wanted!r} in the {built.la_name} atlas; give --geography and --indicator.")


def _without_vintage(layer: str) -> str:
    return re.sub(r"(?<=[a-z])\d{2}(?=_)", "", layer)


def resolve_layer(built, wanted: str, geography: str) -> str:
    """The layer id on ``geography`` that ``wanted`` names.

    An id without its vintage is accepted when it names exactly one layer
    (``income_score`` is ``income19_score`` on LSOA 2011).

    Raises
    ------
    AtlasError
        Listing the layers available on the geography.
    """
    ids = list(built.layers_on(geography)["layer"])
    if wanted in ids:
        return wanted
    matches = [i for i in ids if _without_vintage(i) == wanted]
    if len(matches) == 1:
        print(f"atlas stats: --indicator {wanted} taken as {matches[0]}", file=sys.stderr)
        return matches[0]
    which = f"; it could be {', '.join(matches)}" if matches else ""
    raise AtlasError(f"No layer {wanted!r} on {geography} in the {built.la_name} atlas{which}. "
                     f"Layers on {geography}: {', '.join(sorted(ids))}.")


def _result(built, summary: dict, args, how: str) -> dict:
    lsoas = built.native_geography(Catalogue.load().role("income_decile"))  # the LSOAs the 20:20 index counts
    moran = summary["moran"]
    lisa = summary["lisa"]
    keep = ("least", "most", "share", "n", "missing", "label", "source")
    return {
        "la": built.la_code, "la_name": built.la_name, "indicator": summary["layer"],
        "indicator_label": summary["label"], "geography": summary["geography"],
        "lsoa_geography": lsoas, "lsoa_label": built.geography_labels.get(lsoas, lsoas or "LSOAs"),
        "n_lsoa": len(built.table(lsoas)) if lsoas else None,
        "n_areas": summary["n_areas"],
        "twenty_twenty": _entry(summary["twenty_twenty"], keep),
        "ten_ten": _entry(summary["ten_ten"], keep),
        "moran_i": _entry(moran, ("I", "p_sim", "permutations", "snap_tolerance_m", "islands", "expected_I", "z",
                                  "n", "seed", "left_out", "mean_neighbours"), ("I", "p_sim")),
        "lisa": dict(lisa["counts"]) if lisa["available"] else {"message": lisa["message"]},
        "gini": _entry(summary["gini"], ("gini", "n", "population_weighted", "weight_layer", "label", "note")),
        "method": {"weights": summary["weights"]["description"], "permutations": args.permutations,
                   "seed": args.seed, "lisa_alpha": args.alpha, "lisa_fdr": bool(args.fdr),
                   "lisa_p_threshold": lisa.get("p_threshold")},
        "atlas": {"path": str(built.path) if built.path else None, "how": how},
    }


def _entry(entry: dict, keys: tuple, numbers: tuple = ()) -> dict:
    if entry.get("available"):
        return {k: entry[k] for k in keys if k in entry}
    return {**{k: None for k in numbers}, "message": entry.get("message", "not available")}


def _text(result: dict, summary: dict) -> str:
    lines = [f"{result['la_name']} ({result['la']}): {result['indicator_label']} on {summary['geography_label']}"]
    other = result["geography"] != result["lsoa_geography"]
    lines.append(f"  {result['lsoa_label']}: {result['n_lsoa']}"
                 + (f"; {summary['geography_label']}: {result['n_areas']} areas" if other else ""))
    for key, title in (("twenty_twenty", "20:20 index"), ("ten_ten", "10:10 index")):
        entry = summary[key]
        lines.append(f"  {title}: " + (f"{entry['least']} least : {entry['most']} most deprived, share "
                                       f"{entry['share']:.3f} ({entry['source']})" if entry["available"]
                                       else entry["message"]))
    moran = summary["moran"]
    if moran["available"]:
        islands = ", ".join(moran["islands"]) or "none"
        lines.append(f"  Moran's I: {moran['I']:.3f} (p = {moran['p_sim']:.3f}, {moran['permutations']} "
                     f"permutations, seed {moran['seed']}; expected {moran['expected_I']:.3f}, z = {moran['z']:.2f})")
        lines.append(f"    {moran['reading']}")
        lines.append(f"    islands: {islands}; snapping tolerance {moran['snap_tolerance_m']:g} m")
        lines += [f"    note: {note}" for note in moran.get("notes", [])]
    else:
        lines.append(f"  {moran['message']}")
    lines.append(f"  weights: {summary['weights']['description']}")
    lisa = summary["lisa"]
    if lisa["available"]:
        counts = ", ".join(f"{label} {lisa['counts'][label]}" for label in CLUSTERS)
        lines.append(f"  LISA clusters: {counts}")
        lines.append(f"    {lisa['reading']}")
    else:
        lines.append(f"  {lisa['message']}")
    gini = summary["gini"]
    if gini["available"]:
        weighting = "population-weighted" if gini["population_weighted"] else "unweighted"
        lines.append(f"  Area Gini: {gini['gini']:.3f} ({weighting}, {gini['n']} areas). {gini['note']}")
    else:
        lines.append(f"  {gini['message']}")
    lines.append(f"  atlas: {result['atlas']['path']} ({result['atlas']['how']})")
    return "\n".join(lines)


def _json(value) -> str:
    """Strict JSON: NaN and infinity become null, NumPy scalars plain numbers."""
    return json.dumps(_plain(value), allow_nan=False)


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


# -- every district ---------------------------------------------------------------------------------

def _run_all_districts(args) -> int:
    if not args.out:
        raise AtlasError("--all-districts needs --out FILE.csv (where to write one row per district).")
    run = all_districts(args.source, permutations=args.permutations, seed=args.seed,
                        snap_tolerance_m=args.snap_tolerance, workers=args.workers, use_cache=not args.no_cache,
                        scheduler=args.scheduler, retries=args.retries, layer=args.indicator)
    path = write_csv(run.table, args.out)
    t = run.timings
    no_moran = run.table[run.table["moran_i"].isna()]
    summary = {
        "out": str(path), "districts": len(run.table), "lsoas": int(run.table["n_lsoa"].sum()),
        "without_moran": dict(zip(no_moran["lad_code"], no_moran["note"])),
        "missing_boundaries": run.missing_boundaries, "permutations": args.permutations, "seed": args.seed,
        "snap_tolerance_m": args.snap_tolerance, "workers": run.workers, "cache": run.cache,
        "seconds": {k: round(v, 2) for k, v in t.items()}, "layer": args.indicator, "failed": run.failed,
        "geography": run.geography, "deciles": run.deciles,
    }
    if args.json:
        print(_json(summary))
        return print_failures(run.failed, "districts")
    print(f"Wrote {len(run.table)} districts ({summary['lsoas']} LSOAs) to {path} in {t['total']:.1f} s "
          f"({run.workers} Dask workers; boundary cache {run.cache}).")
    print(f"  time: IoD tables {t['inputs']:.1f} s; boundaries and districts {t['districts']:.1f} s "
          f"(CPU: reading {t['read_cpu']:.1f} s, weights {t['weights_cpu']:.1f} s, statistics "
          f"{t['statistics_cpu']:.1f} s)")
    print(f"  Moran's I of {args.indicator}, {args.permutations} permutations (seed {args.seed}), queen contiguity "
          f"with a {args.snap_tolerance:g} m snapping tolerance; 20:20 from the Income deciles "
          f"({run.deciles}) of the same LSOAs.")
    for code, note in summary["without_moran"].items():
        print(f"  no Moran's I: {note}")
    if run.missing_boundaries:
        print(f"  {len(run.missing_boundaries)} LSOA(s) have no boundary in any file: "
              f"{', '.join(run.missing_boundaries[:10])}")
    return print_failures(run.failed, "districts")


# -- an area set ------------------------------------------------------------------------------------

def _run_areas(args) -> int:
    if not args.out:
        raise AtlasError("--areas needs --out FILE.csv (where to write one row per area).")
    if args.indicator != default_indicator():
        raise AtlasError(f"--areas computes the IoD2019 Income domain ({default_indicator()}) only, as "
                         f"--all-districts does; got --indicator {args.indicator}.")
    area_set = load_area_set(args.areas, args.la, args.atlas_dir, args.source)
    result = area_statistics(area_set, args.source, permutations=args.permutations, seed=args.seed,
                             snap_tolerance_m=args.snap_tolerance, use_cache=not args.no_cache)
    path = write_csv(result.table, args.out)
    if args.json:
        print(_json({"out": str(path), "areas": len(result.table), "method": result.method,
                     "seconds": {k: round(v, 2) for k, v in result.timings.items()}}))
        return 0
    no_moran = result.table[result.table["moran_i"].isna()]
    print(f"Wrote {len(result.table)} areas of {area_set.name!r} ({area_set.la_name}) to {path} in "
          f"{result.timings['total']:.1f} s.")
    print(f"  {result.method}")
    print(f"  areas without Moran's I: {len(no_moran)}" + (f" (e.g. {no_moran['note'].iloc[0]})" if len(no_moran) else ""))
    return 0
