"""``atlas districts``: every authority the source directory can build, and what each has."""

from __future__ import annotations

from ..authorities import list_with_geographies
from .options import add_source

HELP = "list every district and county (upper-tier authority) the source directory can build"


def add_arguments(parser) -> None:
    """The options of ``atlas districts``."""
    add_source(parser)
    parser.add_argument("--counties", action="store_true", help="list the counties (upper-tier authorities) only")


def run(args) -> int:
    """Print one line per authority: code, name, kind, county, districts and a yes/no per geography."""
    table = list_with_geographies(source_dir=args.source)
    if args.counties:
        table = table[table["kind"] == "county"]
    flags = [c for c in table.columns if table[c].dtype == bool]
    table[flags] = table[flags].replace({True: "yes", False: "-"})
    print(table.to_string(index=False))
    groups = table["kind"].isin(["county", "region"])
    print(f"\n{len(table)} authorities: {int((~groups).sum())} districts, "
          f"{int((table['kind'] == 'county').sum())} counties, {int((table['kind'] == 'region').sum())} regions. "
          f"Build one with `atlas build --la CODE`.")
    return 0
