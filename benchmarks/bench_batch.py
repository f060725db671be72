"""``atlas build --all`` on Dask: time a batch of authorities on 1 and on 2 workers and print the speed-up (issue 18).

By default a sample of districts (every k-th of `atlas districts`, small and large mixed), and the time of every
district and county extrapolated from it: the sample's mean seconds per district times the districts, plus each
county as many district builds as it has districts (a county's atlas reads its districts' files: an estimate, said
so in the output). With --all every district and county is built (the issue's target: under 20 minutes on this
2-core machine). Each run builds into its own temporary folder. By default the caches the builds share in
``output/cache`` (each boundary set's code index, each district's extract of the patient file) are used as they
are; with --cold every run starts from an empty output folder, so each of them is made again. The machine is
shared, so the figures and the speed-up printed are those of the moment (the load average is printed).

Run: .venv/bin/python benchmarks/bench_batch.py [--sample 6] [--all] [--cold] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile

from atlas import authorities, config
from atlas.build import build_all

TARGET_ALL_S = 20 * 60


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=6, help="districts to build (default 6)")
    parser.add_argument("--all", action="store_true", help="every district and county")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cold", action="store_true", help="every run from an empty output folder (no caches)")
    args = parser.parse_args()
    table = authorities.list_authorities()
    table = table[table["kind"] != "region"]
    codes = None if args.all else list(table[table["kind"] != "county"]["code"][:: max(1, len(table) // args.sample)]
                                       [: args.sample])
    districts = table[table["kind"] != "county"]
    county_districts = int(table.loc[table["kind"] == "county", "districts"].sum())
    print(f"{os.cpu_count()} cores; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    seconds = {}
    for workers in args.workers:
        with tempfile.TemporaryDirectory() as out:
            if args.cold:
                os.environ[config.OUT_ENV] = out      # the workers, started by build_all, inherit it
            result = build_all(codes, out_dir=out, workers=workers)
        seconds[workers] = result.seconds
        n = len(result.results) + len(result.failed)
        print(f"{workers} worker(s){' from empty caches' if args.cold else ''}: {n} authorities in {result.seconds:.1f} s "
              f"({result.seconds / max(n, 1):.1f} s each); {len(result.failed)} failed")
        for code, error in result.failed.items():
            print(f"  failed: {code}: {error}")
        if not args.all and n:
            builds = len(districts) + county_districts
            estimate = result.seconds / n * builds
            own = sum(r["seconds"] for r in result.results.values())  # each build's own time, in its worker
            steady = own / max(len(result.results), 1) * builds / workers
            print(f"  extrapolated (not measured): {len(districts)} districts and {len(table) - len(districts)} "
                  f"counties ~ {builds} district builds: {estimate / 60:.1f} min with {workers} worker(s) from the "
                  f"wall-clock time (cluster start-up included), {steady / 60:.1f} min from the builds' own times "
                  f"({own:.1f} s summed; start-up left out) (target < {TARGET_ALL_S / 60:.0f} min)")
    if 1 in seconds:
        for workers, s in seconds.items():
            if workers != 1:
                print(f"speed-up from 1 to {workers} workers: {seconds[1] / s:.2f}x")
    if args.all:
        best = min(seconds.values())
        print(f"every authority: {best / 60:.1f} min (target < {TARGET_ALL_S / 60:.0f} min: "
              f"{'met' if best < TARGET_ALL_S else 'NOT met'})")


if __name__ == "__main__":
    main()
