"""``atlas import``: add your own indicator (CSV or Excel, by area code) to an authority's atlas."""

from __future__ import annotations

from .. import config
from ..importer import (
    IMPORT_KINDS,
    MAX_UPLOAD_MB,
    ImportFileError,
    ImportOptions,
    import_file,
    imports_folder,
    read_manifest,
    remove_import,
)
from ..specs import POLARITIES
from .options import add_atlas_dir, add_la, add_source

HELP = "add your own indicator (CSV or Excel, by area code) to an authority's atlas"


def add_arguments(parser) -> None:
    """The options of ``atlas import``."""
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help=f"CSV or Excel .xlsx file of values by area code, up to {MAX_UPLOAD_MB} MB")
    add_la(parser)
    parser.add_argument("--code-column", metavar="C", help="column holding area codes (default: detected)")
    parser.add_argument("--value-column", metavar="V", help="column holding the values (default: the only numeric one)")
    parser.add_argument("--name", metavar="N", help="the layer's label (default: the value column's header)")
    parser.add_argument("--geography", metavar="G",
                        help="geography of the codes: lsoa11, lsoa21, msoa11, msoa21, ward2013, ward2023 ... "
                             "(default: detected from the codes)")
    parser.add_argument("--kind", choices=IMPORT_KINDS,
                        help="count (summed, shared by population) or a rate-like kind (default: value)")
    parser.add_argument("--units", metavar="U", help="units shown in legends, e.g. '%%' or 'per 1,000'")
    parser.add_argument("--higher-is", choices=POLARITIES, default="neutral",
                        help="polarity: is a higher value worse, better or neither (default: neutral)")
    parser.add_argument("--period", default="", metavar="P", help="period the data cover, e.g. 2023-24")
    parser.add_argument("--attribution", default="", metavar="A",
                        help="the data's source and licence statement for maps, e.g. 'Source: NHS England, OGL v3.0'")
    parser.add_argument("--sheet", metavar="S", help="Excel sheet (default: the first with area codes)")
    parser.add_argument("--check", action="store_true", help="print the match report only; change nothing")
    parser.add_argument("--list", action="store_true", help="list the district's imported layers")
    parser.add_argument("--remove", metavar="LAYER", help="remove an imported layer (by its id, import_...)")
    add_atlas_dir(parser, "--out")
    add_source(parser)


def run(args) -> int:
    """Import, check, list or remove an indicator of the user's."""
    folder = config.atlas_dir(args.atlas_dir)
    if args.list:
        manifest = read_manifest(imports_folder(folder, args.la.strip().upper()))
        for layer, entry in manifest.items():
            print(f"{layer}: {entry['options'].get('name')} from {entry['original_name']} "
                  f"(imported {entry['imported_on']}, {entry['options'].get('geography')})")
        if not manifest:
            print(f"No imported layers for {args.la} in {folder}.")
        return 0
    if args.remove:
        updated = remove_import(args.la, args.remove, folder)
        print(f"Removed {args.remove} from the {updated.la_name} atlas: {updated.path}")
        return 0
    if not args.file:
        raise ImportFileError("Give the FILE to import (or --list / --remove LAYER).")
    options = ImportOptions(name=args.name, code_column=args.code_column, value_column=args.value_column,
                            geography=args.geography, kind=args.kind, units=args.units, higher_is=args.higher_is,
                            period=args.period, attribution=args.attribution, sheet=args.sheet)
    updated, result = import_file(args.file, args.la, options, folder, args.source, save=not args.check)
    print("\n".join(result.report.lines()))
    where = ", ".join(updated.geography_labels.get(g, g) for g in result.geographies)
    if args.check:
        print(f"Checked only (--check): nothing was changed. It would add layer {result.layer} on: {where}.")
        return 0
    print(f"Added layer {result.layer} ({result.label!r}) to the {updated.la_name} atlas on: {where}.")
    print(f"  atlas: {updated.path}")
    print(f"  the file is kept in {imports_folder(folder, updated.la_code)} and re-applied when the atlas is rebuilt")
    return 0
