"""``atlas fetch``: download every file the atlas reads from its official publisher into a source directory."""

from __future__ import annotations

from pathlib import Path

from ..fetch import MANIFEST, Fetcher, FetchError, fetch

HELP = "download every file the atlas reads from its official publisher into a source directory"


def add_arguments(parser) -> None:
    """The options of ``atlas fetch``."""
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="the source directory to fill (then: atlas build --source DIR)")
    parser.add_argument("--la", metavar="CODE",
                        help="only this district's boundary files, e.g. E06000032 (default: every district)")
    parser.add_argument("--timeout", type=float, default=60, metavar="SECONDS",
                        help="give up on a server silent this long (default 60)")
    parser.add_argument("--list", action="store_true",
                        help="list every file with its official address and conversion; download nothing")
    parser.add_argument("--mirror", action="append", default=[], metavar="PREFIX=REPLACEMENT",
                        help="fetch addresses starting PREFIX from REPLACEMENT instead (e.g. a local mirror)")
    parser.add_argument("--keep-downloads", action="store_true",
                        help="keep the published zips and workbooks in DIR/.fetch-downloads")


def run(args) -> int:
    """Download (or list) every file the specs read."""
    mirrors = {}
    for item in args.mirror:
        prefix, sep, replacement = item.partition("=")
        if not sep or not prefix:
            raise FetchError(f"--mirror {item!r}: expected PREFIX=REPLACEMENT")
        mirrors[prefix] = replacement
    if args.list:
        _print_list(Fetcher(args.out, args.la, mirrors=mirrors))
        return 0
    result = fetch(args.out, args.la, timeout=args.timeout, mirrors=mirrors, keep_downloads=args.keep_downloads)
    print(f"Fetched {len(result.fetched)} file(s) into {args.out}; {len(result.skipped)} already complete"
          + (f"; {len(result.empty)} per-district file(s) with no areas" if result.empty else "") + ".")
    print(f"  manifest: {Path(args.out) / MANIFEST}")
    la = args.la or "E06000032"
    print(f"  next: atlas build --la {la} --source {args.out}   (or: ATLAS_SOURCE_DIR={args.out} make run LA={la})")
    return 0


def _print_list(fetcher: Fetcher) -> None:
    for ref in fetcher.refs():
        print(ref.target(fetcher.la) if ref.download else ref.pattern)
        print(f"    spec: {ref.wanted_by}")
        if ref.download is None:
            print("    NO ADDRESS: no spec gives a download for this file")
            continue
        print(f"    from: {ref.download.address}")
        steps = ref.download.steps(ref.target())
        if steps:
            print(f"    conversion: {'; '.join(steps)}")
        if ref.download.third_party:
            print(f"    third-party copy: {ref.download.third_party}")
        if ref.per_district:
            print(f"    one file per district ({fetcher.la or 'every district'})")
