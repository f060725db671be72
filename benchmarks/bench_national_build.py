"""Time the build of the largest district (Birmingham) and a county (Kent) from the national files.

Targets (issue 13): Birmingham E08000025, with every geography, under 5 s; Kent E10000016 (a county
of 12 districts) under 15 s; on this 2-core machine. Prints each build's time, its size, and the
process's peak memory after it.

The first build of a source directory makes the derived indexes in the output folder (the postcodes
the point sets use, the 2011 LSOA file index): it is timed apart ("cold"), then each authority is
built again in a fresh output folder with those indexes in place and the national tables read
("warm", as in the app, where one process builds one authority after another).

Run: .venv/bin/python benchmarks/bench_national_build.py
"""

from __future__ import annotations

import resource
import tempfile
import time

import atlas

AUTHORITIES = [("E08000025", "Birmingham", 5.0), ("E10000016", "Kent", 15.0)]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_build(code: str, out: str) -> tuple[float, atlas.Atlas]:
    started = time.perf_counter()
    built = atlas.build(code, out_dir=out)
    return time.perf_counter() - started, built


def describe(built: atlas.Atlas) -> str:
    sizes = ", ".join(f"{len(built.table(g))} {g}" for g in built.report.geography_order)
    placed = sum(len(p) for p in built.points.values())
    return f"{sizes}; {placed} points"


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        seconds, built = timed_build("E06000032", out)
        print(f"cold  Luton (E06000032):        {seconds:6.2f} s  (imports, national tables, derived indexes)  "
              f"peak {peak_mb():.0f} MB")
    for code, name, target in AUTHORITIES:
        with tempfile.TemporaryDirectory() as out:
            seconds, built = timed_build(code, out)
            print(f"warm  {name:<10} ({code}): {seconds:6.2f} s  target < {target:g} s  peak {peak_mb():.0f} MB  "
                  f"[{describe(built)}]")


if __name__ == "__main__":
    main()
