"""Speed of importing a user's indicator (what the app does on "Add to the map").

Prints, for a district's atlas, the time to read and prepare (detect, clean,
convert between LSOA vintages, aggregate to wards and MSOAs) two files written
here from the built atlas: one value per LSOA 2011 of the district, and one per
LSOA 2011 in England (every other district's rows listed and left out). Target:
under 2 s for the district file, under 5 s for England's, so an upload in the
app answers at once.

Usage: ``.venv/bin/python benchmarks/bench_import.py [--la E06000032] [--repeats 3]``.
Reads the built atlas from ``output/atlas`` (``ATLAS_OUT_DIR``), building it first when missing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import atlas  # noqa: E402
from atlas import config, importer  # noqa: E402
from atlas.geography import member_table  # noqa: E402
from atlas.specs import Catalogue  # noqa: E402
from atlas.store import atlas_path  # noqa: E402

TARGET_DISTRICT_S, TARGET_ENGLAND_S = 2.0, 5.0


def district_file(built: atlas.Atlas) -> bytes:
    rows = [f"{code},{i % 97 / 10}" for i, code in enumerate(built.table("lsoa11").index)]
    return ("LSOA code,Value\n" + "\n".join(rows) + "\n").encode()


def england_file() -> bytes:
    codes = member_table(Catalogue.load().boundaries["lsoa11"], config.source_dir())["code"]
    rows = [f"{code},{i % 97 / 10}" for i, code in enumerate(codes)]
    return ("LSOA code,Value\n" + "\n".join(rows) + "\n").encode()


def timed(data: bytes, built: atlas.Atlas, repeats: int) -> tuple[float, importer.ImportResult]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = importer.prepare(importer.read_upload(data, "bench.csv"), built, importer.ImportOptions())
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--la", default="E06000032")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = atlas_path(config.out_dir() / "atlas", args.la)
    built = atlas.load(path) if path.exists() else atlas.build(args.la)
    for label, data, target in (("district", district_file(built), TARGET_DISTRICT_S),
                                ("England", england_file(), TARGET_ENGLAND_S)):
        seconds, result = timed(data, built, args.repeats)
        report = result.report
        print(f"{label:<9} {len(data) / 1e6:5.2f} MB, {report.rows_read:>6} rows, {len(report.matched):>4} matched, "
              f"on {len(result.geographies)} geographies: {seconds:.2f} s (target {target:.0f} s) "
              f"{'OK' if seconds <= target else 'SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
