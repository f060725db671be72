"""``atlas build --la CODE``: build an authority's atlas (one GeoPackage and a build report).

``atlas build --all`` builds every district and county (or ``--only CODE,CODE``)
as tasks of a Dask batch (:mod:`atlas.batch`), lists the authorities that
failed with their error and exits 2 if any did.
"""

from __future__ import annotations

from ..build import build, build_all
from ..errors import AtlasError
from .options import add_atlas_dir, add_batch, add_la, add_source, print_failures

HELP = "build an authority's atlas (one GeoPackage and a build report)"


def add_arguments(parser) -> None:
    """The options of ``atlas build``."""
    which = parser.add_mutually_exclusive_group(required=True)
    add_la(which, required=False, help_text="district or county code, e.g. E06000032 for Luton, E10000015 for Hertfordshire "
                                 "(E92000001 for all of England); `atlas districts` lists them")
    add_source(parser)
    add_atlas_dir(parser, "--out")
    which.add_argument("--all", action="store_true",
                       help="build every district and county (upper-tier authority) on Dask")
    parser.add_argument("--only", metavar="CODE,CODE", help="with --all: these authorities only (comma-separated)")
    add_batch(parser, "--all")


def run(args) -> int:
    """Build one atlas (``--la``) or every authority's (``--all``); print what was found."""
    if args.only and not args.all:
        raise AtlasError("--only goes with --all (give --la CODE for one authority).")
    if args.all:
        return _run_all(args)
    atlas = build(args.la, source_dir=args.source, out_dir=args.atlas_dir)
    report = atlas.report
    print(f"Built the atlas of {atlas.la_name} ({atlas.la_code}) in {report.seconds} s: {atlas.path}")
    for note in report.authority.get("notes", []):
        print(f"  note: {note}")
    for geography, info in report.geographies.items():
        if info["status"] == "built":
            n_layers = int((atlas.layers["geography"] == geography).sum())
            print(f"  {info['label']:<28} {info['areas']:>6} areas, {n_layers:>3} layers")
        else:
            print(f"  {info['label']:<28} not available ({info['reason']})")
    for point_set, info in report.points.items():
        n_layers = int((atlas.layers["geography"] == f"points:{point_set}").sum())
        print(f"  {info['label']:<28} {info['matched']:>6} placed, {n_layers:>3} layers "
              f"({info['unmatched']} postcode(s) not found, {info['closed_excluded']} closed excluded)")
    unmatched = [e for e in report.layers if e.get("unmatched")]
    print(f"  layers with unmatched areas: {len(unmatched)}; warnings: {len(report.warnings)}")
    for warning in report.warnings:
        print(f"  warning: {warning}")
    print(f"  report: {atlas.path.with_suffix('.report.json')}")
    return 0


def _run_all(args) -> int:
    codes = [c.strip() for c in args.only.split(",") if c.strip()] if args.only else None
    if codes == []:
        raise AtlasError("--only lists no authority code; give e.g. --only E06000032,E10000015.")
    result = build_all(codes, args.source, args.atlas_dir, args.workers, args.scheduler, args.retries)
    for code, done in result.results.items():
        areas = ", ".join(f"{g} {n}" for g, n in done["areas"].items())
        print(f"  {code} {done['name']}: {done['seconds']} s, {done['warnings']} warning(s); {areas}")
    print(f"Built {len(result.results)} of {len(result.results) + len(result.failed)} atlases in "
          f"{result.seconds:.1f} s on {result.workers} Dask worker(s) ({result.scheduler}).")
    return print_failures(result.failed, "authorities")
