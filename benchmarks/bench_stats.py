"""Time the statistics of every district of England (issue 3); print the figures.

Target: all 317 IoD2019 districts (32,844 LSOAs), 999 permutations each, from the raw
boundary and IoD2019 files to the CSV in under 10 s on a 2-core machine.

Prints, for a run without cache, a run that writes the boundary cache (cold) and one
that reads it (warm): the wall-clock total and its split (IoD2019 tables; boundaries
and districts), the CPU seconds of reading, weights and statistics summed over the
processes, and the `atlas stats --all-districts` command end to end (a new Python
process, imports included). The load average is printed too: other work on the
machine slows every figure.

An LSOA 2021 layer (``--layer income25_score``: the 296 English districts of the LSOA 2021 lookup, 33,755
LSOAs from the per-district files, 20:20 of the IoD2025 Income deciles) is timed the same way (issue 18's
target for one indicator: under 10 s).

Run: .venv/bin/python benchmarks/bench_stats.py [--workers N] [--reference N] [--layer LAYER]
(--reference N also times the plain per-district path on the N largest districts).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from atlas import config
from atlas.analysis.national import all_districts, district_statistics, national_inputs, write_csv
from atlas.specs import Catalogue


def timed_run(label: str, out: Path, **kwargs) -> None:
    started = time.perf_counter()
    run = all_districts(**kwargs)
    write_csv(run.table, out)
    total = time.perf_counter() - started
    t = run.timings
    print(f"{label:<22} {total:6.2f} s to CSV  (IoD tables {t['inputs']:.2f} s, boundaries and districts "
          f"{t['districts']:.2f} s; CPU: reading {t['read_cpu']:.2f} s, weights {t['weights_cpu']:.2f} s, "
          f"statistics {t['statistics_cpu']:.2f} s; {run.workers} processes, cache {run.cache}; {len(run.table)} "
          f"districts of {run.geography})  target < 10 s")


def command_line(out: Path, cache_dir: Path, extra: list[str]) -> float:
    env = dict(os.environ, ATLAS_OUT_DIR=str(cache_dir))
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("atlas")), "stats", "--all-districts", "--out", str(out),
                    *extra], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--reference", type=int, default=0, metavar="N")
    parser.add_argument("--layer", default="income19_score", help="an area indicator on LSOA 2011 or 2021")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        layer = {"layer": args.layer}
        timed_run("no cache", tmp / "a.csv", workers=args.workers, **layer)
        timed_run("cache cold (writing)", tmp / "b.csv", workers=args.workers, cache_dir=tmp / "cache",
                  use_cache=True, **layer)
        timed_run("cache warm", tmp / "c.csv", workers=args.workers, cache_dir=tmp / "cache", use_cache=True,
                  **layer)
        fresh, extra = tmp / "fresh", ["--layer", args.layer]
        print(f"command line, no cache:   {command_line(tmp / 'd.csv', fresh, ['--no-cache', *extra]):6.2f} s "
              f"(new process: imports included)")
        command_line(tmp / "e.csv", fresh, extra)
        print(f"command line, warm cache: {command_line(tmp / 'f.csv', fresh, extra):6.2f} s")
        if args.reference:
            source = config.source_dir()
            catalogue = Catalogue.load()
            inputs = national_inputs(source, catalogue, args.layer)
            largest = inputs["district"].value_counts().index[: args.reference]
            started = time.perf_counter()
            for la in largest:
                district_statistics(la, source, catalogue=catalogue, inputs=inputs, layer=args.layer)
            seconds = time.perf_counter() - started
            print(f"plain per-district path: {seconds:.2f} s for the {args.reference} largest districts "
                  f"({seconds / args.reference:.2f} s each)")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
