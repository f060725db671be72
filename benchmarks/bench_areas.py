"""Speed of adding a national area set (~550 areas) and writing its statistics table.

Writes a lookup of every LSOA (2021) in England to an area (its district's name and its
MSOA number in groups of 18: about 540 areas) into a scratch folder, then times
``atlas areas add`` (read, detect, check, keep) and ``atlas stats --areas`` (20:20,
Moran's I with 999 permutations, area Gini per area, written to CSV). Target: under
30 s for both. The first run also reads every LSOA (2011) polygon and caches it in
``output/cache`` (as ``atlas stats --all-districts`` does); the time of each part is printed.

Usage: ``.venv/bin/python benchmarks/bench_areas.py [--no-cache]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from atlas import config  # noqa: E402
from atlas.analysis.area_stats import area_statistics  # noqa: E402
from atlas.analysis.national import write_csv  # noqa: E402
from atlas.area_sets import add_area_set  # noqa: E402

TARGET_S = 30.0
WARD_LOOKUP = "boundaries/LSOA_(2021)_to_Electoral_Ward_(2023)_to_LAD_(2023)_Best_Fit_Lookup_in_EW.csv.gz"


def national_lookup(source: Path) -> pd.DataFrame:
    """Every English LSOA (2021) to an area: district name and MSOA number in groups of 18."""
    table = pd.read_csv(source / WARD_LOOKUP, dtype=str)
    table = table[table["LSOA21CD"].str.startswith("E01")]
    stem = table["LSOA21NM"].str.slice(0, -4).str.strip()
    number = table["LSOA21NM"].str.slice(-4, -1).astype(int)
    return pd.DataFrame({"lsoa21": table["LSOA21CD"], "area": stem + " group " + (number // 18 + 1).astype(str)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-cache", action="store_true", help="read every boundary file (no output/cache)")
    args = parser.parse_args()
    source = config.source_dir()
    with tempfile.TemporaryDirectory() as scratch:
        lookup = Path(scratch) / "england_groups.csv"
        national_lookup(source).to_csv(lookup, index=False)
        started = time.perf_counter()
        area_set, _ = add_area_set(lookup, "England groups", "E92000001", atlas_folder=Path(scratch) / "atlas",
                                   source_dir=source)
        added = time.perf_counter() - started
        result = area_statistics(area_set, source, use_cache=not args.no_cache)
        write_csv(result.table, Path(scratch) / "stats.csv")
        total = time.perf_counter() - started
    t = result.timings
    print(f"areas: {area_set.report.areas}; LSOAs (2021): {area_set.report.assigned}")
    print(f"add (read, detect, check, keep): {added:.1f} s")
    print(f"statistics: {total - added:.1f} s (IoD2019 inputs {t['inputs']:.1f} s, LSOA 2011 polygons "
          f"{t['boundaries']:.1f} s, areas {t['areas']:.1f} s)")
    print(f"total: {total:.1f} s (target {TARGET_S:.0f} s): {'met' if total < TARGET_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
