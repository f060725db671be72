"""``atlas areas``: your own areas (a lookup of LSOA code to area) as a geography of the atlas.

    atlas areas add LOOKUP --name NAME [--la CODE] [--code-column C] [--area-column A] [--area-name-column N]
    atlas areas list [--la CODE]
    atlas areas remove NAME [--la CODE]

A set is kept in ``<atlas folder>/areas/<LA>/`` and re-applied when the atlas is rebuilt.
"""

from __future__ import annotations

from pathlib import Path

from .. import config
from ..area_sets import add_area_set, areas_folder, list_area_sets, remove_area_set
from ..areas import AreaOptions
from .options import add_atlas_dir, add_source

HELP = "your own areas (a lookup of LSOA code to area) as a geography: add, list, remove"


def add_arguments(parser) -> None:
    """The sub-commands and options of ``atlas areas``."""
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = sub.add_parser("add", help="add a lookup of LSOA code to area as an area set")
    add.add_argument("lookup", metavar="LOOKUP", help="CSV or Excel .xlsx file: LSOA code (2011 or 2021) to area")
    add.add_argument("--name", required=True, metavar="NAME", help="the set's name, e.g. 'Neighbourhoods 2025'")
    _add_la(add, "district code, or E92000001 for a national set (default: inferred from the codes)")
    add.add_argument("--code-column", metavar="C", help="column of LSOA codes (default: detected)")
    add.add_argument("--area-column", metavar="A", help="column of area codes (default: detected)")
    add.add_argument("--area-name-column", metavar="N", help="column of area names (default: detected)")
    add.add_argument("--sheet", metavar="S", help="Excel sheet (default: the first with area codes)")
    add.add_argument("--check", action="store_true", help="print the report only; change nothing")
    listing = sub.add_parser("list", help="list the kept area sets")
    _add_la(listing, "only this authority's sets")
    remove = sub.add_parser("remove", help="remove an area set (and its geography from the atlas)")
    remove.add_argument("name", metavar="NAME", help="the set's name (or geography id)")
    _add_la(remove, "the authority, when sets of that name are kept for several")
    for each in (add, listing, remove):
        add_atlas_dir(each)
        add_source(each)


def _add_la(parser, help_text: str) -> None:
    parser.add_argument("--la", metavar="CODE", help=help_text)


def run(args) -> int:
    """Add, list or remove area sets; return the exit status."""
    folder = Path(args.atlas_dir) if args.atlas_dir else config.out_dir() / "atlas"
    if args.action == "list":
        table = list_area_sets(folder, args.la)
        if table.empty:
            print(f"No area sets kept in {folder / 'areas'}.")
        for row in table.itertuples(index=False):
            print(f"{row.name} [{row.geography}] {row.la}: {row.areas} areas, {row.lsoas} LSOAs (2021) from "
                  f"{row.file} (LSOA {row.vintage} codes; added {row.added_on})")
        return 0
    if args.action == "remove":
        updated = remove_area_set(args.name, args.la, folder)
        where = f" and from the {updated.la_name} atlas: {updated.path}" if updated is not None else ""
        print(f"Removed area set {args.name!r}{where}.")
        return 0
    options = AreaOptions(code_column=args.code_column, area_column=args.area_column,
                          area_name_column=args.area_name_column, sheet=args.sheet)
    area_set, updated = add_area_set(args.lookup, args.name, args.la, options, folder, args.source,
                                     save=not args.check)
    print("\n".join(area_set.report.lines()))
    if args.check:
        print(f"Checked only (--check): nothing was changed. It would add geography {area_set.geography}.")
        return 0
    print(f"Added area set {area_set.name!r} ({area_set.geography}) for {area_set.la_name}.")
    if updated is not None:
        print(f"  atlas: {updated.path} (geography {area_set.geography}, "
              f"{int((updated.layers['geography'] == area_set.geography).sum())} layers)")
    else:
        print(f"  no built atlas for {area_set.la} yet: the set is added when it is built "
              f"(`atlas build --la {area_set.la}`); `atlas stats --areas` works now")
    print(f"  the file is kept in {areas_folder(folder, area_set.la)} and re-applied when the atlas is rebuilt")
    return 0
