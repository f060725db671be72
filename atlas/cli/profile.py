"""``atlas profile``: a neighbourhood profile (HTML, PDF or CSV) of a ward, MSOA, PCN or LSOAs."""

from __future__ import annotations

import time
from pathlib import Path

from ..build import current
from ..errors import AtlasError
from ..profiles import build_profile, find_area, profile_format, write_profile
from ..profiles.tagged import why_no_tagged_pdf
from .options import add_atlas_dir, add_la, add_source

HELP = "write a neighbourhood profile (HTML, PDF or CSV) of a ward, MSOA, PCN or LSOAs"


def add_arguments(parser) -> None:
    """The options of ``atlas profile``."""
    add_la(parser)
    parser.add_argument("--area", required=True, metavar="AREA",
                        help="a ward or MSOA code or name, a PCN code or name, an area of an area set (code or name), "
                             "or LSOA codes separated by commas")
    parser.add_argument("--out", required=True, metavar="FILE", help="FILE.html, FILE.pdf or FILE.csv")
    parser.add_argument("--tagged", action="store_true",
                        help="with FILE.pdf: the accessible PDF for screen readers (tags, reading order, language), "
                             "printed from the HTML profile by chromium (ATLAS_CHROMIUM, default /usr/bin/chromium), "
                             "in place of the print layout")
    parser.add_argument("--geography", metavar="GEOGRAPHY",
                        help="look for the area on this geography only (ward2023, ward2013, msoa21, msoa11, or an area "
                             "set's id, areas_<name>, as `atlas areas list` shows)")
    parser.add_argument("--pcn-lookup", metavar="FILE",
                        help="CSV or Excel file assigning LSOAs to PCNs (default: see --pcn-footprint)")
    parser.add_argument("--pcn-footprint", choices=["patients", "nearest"], default="patients",
                        help="a network's LSOAs without a lookup: where it registers more of the residents than any "
                             "other network (patients, the default) or whose nearest practice is its (nearest)")
    add_atlas_dir(parser)
    add_source(parser)


def run(args) -> int:
    """Write the profile of one area."""
    started = time.perf_counter()
    if profile_format(Path(args.out)) != "pdf" and args.tagged:  # before building anything
        raise AtlasError(f"--tagged writes a PDF: {args.out} does not end .pdf.")
    if args.tagged and why_no_tagged_pdf():
        raise AtlasError(f"--tagged: {why_no_tagged_pdf()}")
    built, _ = current(args.la, args.source, args.atlas_dir)
    area = find_area(built, args.area, args.pcn_lookup, args.source, geography=args.geography,
                     footprint=args.pcn_footprint)
    profile = build_profile(built, area, source_dir=args.source)
    out = write_profile(profile, args.out, tagged=args.tagged)
    print(f"Wrote the profile of {profile.area.title} to {out} ({out.stat().st_size / 1024:.0f} KB) in "
          f"{time.perf_counter() - started:.1f} s.")
    return 0
