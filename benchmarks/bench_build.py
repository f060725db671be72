"""Time `atlas build` for Luton and for every LSOA 2011 in England (IoD2019); print the figures.

Targets (issue 2): Luton under 5 s, England under 60 s, on a 2-core machine.
Run: .venv/bin/python benchmarks/bench_build.py
"""

from __future__ import annotations

import resource
import tempfile
import time

import atlas


def timed_build(code: str, out: str) -> tuple[float, atlas.Atlas]:
    started = time.perf_counter()
    built = atlas.build(code, out_dir=out)
    return time.perf_counter() - started, built


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        timed_build("E06000032", out)  # warm imports and file caches
        seconds, built = timed_build("E06000032", out)
        print(f"Luton  (E06000032): {seconds:6.2f} s  {len(built.table('lsoa11'))} LSOA 2011, "
              f"{len(built.geographies)} geographies, {len(built.layers)} layer tables   target < 5 s")
        seconds, built = timed_build("E92000001", out)
        print(f"England (E92000001): {seconds:6.2f} s  {len(built.table('lsoa11'))} LSOA 2011, "
              f"{int((built.layers['geography'] == 'lsoa11').sum())} layers   target < 60 s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
