"""``atlas export``: report-ready A4 maps (PNG, SVG or PDF), one layer or every layer."""

from __future__ import annotations

import time

from ..analysis.maps import KINDS, analysis_map
from ..build import current
from ..errors import AtlasError
from ..export import FORMATS, PAPERS, export_all, export_analysis_map, export_map
from .options import add_atlas_dir, add_batch, add_la, add_source, print_failures

HELP = "export report-ready A4 maps (PNG, SVG or PDF), one layer or every layer"


def add_arguments(parser) -> None:
    """The options of ``atlas export``."""
    add_la(parser)
    parser.add_argument("--layer", metavar="LAYER", help="layer id, e.g. income19_score")
    parser.add_argument("--geography", metavar="GEOGRAPHY", help="geography id: lsoa11, lsoa21, ward2013, "
                        "ward2023, msoa11, msoa21")
    parser.add_argument("--all", action="store_true", help="every area layer at each geography, into --out DIR")
    parser.add_argument("--out", required=True, metavar="FILE|DIR",
                        help="FILE.png, .svg or .pdf; with --all a folder")
    parser.add_argument("--format", choices=FORMATS, default="png", help="file format with --all (default png)")
    parser.add_argument("--paper", choices=list(PAPERS), default="a4-landscape")
    parser.add_argument("--dpi", type=int, default=300, help="PNG resolution (default 300)")
    parser.add_argument("--scheme", choices=["quantiles", "natural_breaks", "equal_interval"],
                        help="classification (default: quantiles, as in the app)")
    parser.add_argument("--classes", type=int, default=5, metavar="N", help="number of classes (default 5)")
    parser.add_argument("--palette", metavar="NAME", help="colour-blind-safe palette, e.g. YlOrRd")
    parser.add_argument("--ward-names", action="store_true", help="label the wards")
    parser.add_argument("--analysis", choices=list(KINDS), metavar="KIND",
                        help="an analysis map of --layer instead of its values: " + "; ".join(
                            f"{k}: {v}".replace("%", "%%") for k, v in KINDS.items()) + " (for change, --layer is an IoD domain: "
                        "imd, income, employment ...)")
    parser.add_argument("--fdr", action="store_true",
                        help="false-discovery-rate cut-offs for --analysis hotspots or lisa")
    parser.add_argument("--with", dest="partner", metavar="LAYER",
                        help="the second indicator of --analysis bivariate or bivariate-lisa (same geography)")
    add_atlas_dir(parser)
    add_source(parser)
    add_batch(parser, "--all", "2, at most one per geography")


def run(args) -> int:
    """Write one map, or every map with an index."""
    if args.analysis:
        return _analysis(args)
    if args.fdr:
        raise AtlasError("--fdr is for --analysis hotspots or lisa.")
    if args.partner:
        raise AtlasError("--with names the second indicator of --analysis bivariate or bivariate-lisa.")
    if not args.all and not (args.layer and args.geography):
        raise AtlasError("Give --layer and --geography for one map, or --all with --out DIR for every map.")
    built, _ = current(args.la, args.source, args.atlas_dir)
    started = time.perf_counter()
    if args.all:
        index = export_all(built, args.out, args.format, args.paper, args.dpi, args.ward_names, args.workers,
                           args.scheduler, args.retries)
        written = int((index["status"] == "written").sum())
        failed = index[index["status"].str.startswith("failed")]
        print(f"Wrote {written} maps of {built.la_name} to {args.out} in {time.perf_counter() - started:.1f} s "
              f"({len(index) - written - len(failed)} layers skipped; see index.csv and index.html).")
        return print_failures(dict(zip(failed["geography"] + "/" + failed["layer"], failed["status"].str[8:])),
                              "maps")
    out = export_map(built, args.layer, args.geography, args.out, args.scheme, args.classes, args.palette,
                     args.paper, args.dpi, args.ward_names)
    print(f"Wrote {out} ({out.stat().st_size / 1024:.0f} KB) in {time.perf_counter() - started:.1f} s.")
    return 0


def _analysis(args) -> int:
    """Write one analysis map and print its text alternative."""
    if args.all or not args.layer:
        raise AtlasError("--analysis maps one layer: give --layer (and --geography; --with for bivariate), "
                         "not --all.")
    if not args.geography and args.analysis != "change":
        raise AtlasError(f"--analysis {args.analysis} needs --geography (the areas to analyse).")
    built, _ = current(args.la, args.source, args.atlas_dir)
    started = time.perf_counter()
    analysis = analysis_map(built, args.analysis, args.layer, args.geography, args.partner, fdr=args.fdr)
    out, alt = export_analysis_map(built, analysis, args.out, args.paper, args.dpi, args.ward_names)
    print(f"Wrote {out} ({out.stat().st_size / 1024:.0f} KB) in {time.perf_counter() - started:.1f} s.")
    print(f"Alt text: {alt}")
    return 0
