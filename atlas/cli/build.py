"""``atlas build --la CODE``: build an authority's atlas (one GeoPackage and a build report)."""

from __future__ import annotations

from ..build import build
from .options import add_atlas_dir, add_la, add_source

HELP = "build an authority's atlas (one GeoPackage and a build report)"


def add_arguments(parser) -> None:
    """The options of ``atlas build``."""
    add_la(parser, help_text="district or county code, e.g. E06000032 for Luton, E10000015 for Hertfordshire "
                                 "(E92000001 for all of England); `atlas districts` lists them")
    add_source(parser)
    add_atlas_dir(parser, "--out")


def run(args) -> int:
    """Build the atlas and print what each geography and point set found."""
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
