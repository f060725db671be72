"""Time the small-area QOF estimates: what they add to a district build (Luton) and to England's.

Targets (issue 14): all 21 registers add under 1 s to a district build, under 30 s for England.
Each build is timed with the project's catalogue and with the same catalogue less the
``[estimate]`` spec (and its indicators); the difference is the time the estimates add.
The estimate step alone (reading the patients-by-LSOA file, cold and cached, and apportioning)
is timed too.
Run: .venv/bin/python benchmarks/bench_estimates.py [--district-only]
"""

from __future__ import annotations

import dataclasses
import sys
import tempfile
import time

import atlas
from atlas import config, small_area
from atlas.specs import Catalogue

LUTON, ENGLAND = "E06000032", "E92000001"


def without_estimates(catalogue: Catalogue) -> Catalogue:
    """The catalogue less its ``[estimate]`` specs and the indicators they make."""
    ids = set(catalogue.estimates)
    indicators = {k: v for k, v in catalogue.indicators.items() if v.source.id not in ids}
    return dataclasses.replace(catalogue, indicators=indicators, estimates={})


def timed_build(code: str, catalogue: Catalogue, out: str) -> float:
    started = time.perf_counter()
    atlas.build(code, out_dir=out, catalogue=catalogue, write=False)
    return time.perf_counter() - started


def step_alone(catalogue: Catalogue, areas) -> float:
    spec = next(iter(catalogue.estimates.values()))
    started = time.perf_counter()
    small_area.run(spec, catalogue, config.source_dir(), areas)
    return time.perf_counter() - started


def main() -> None:
    full = Catalogue.load()
    bare = without_estimates(full)
    registers = sum(1 for i in full.indicators.values() if i.source.id in full.estimates)
    cold = step_alone(full, None)
    print(f"estimate step alone, England, first call (reads the patient file): {cold:6.2f} s")
    print(f"estimate step alone, England, cached file:                         {step_alone(full, None):6.2f} s")
    with tempfile.TemporaryDirectory() as out:
        timed_build(LUTON, full, out)  # warm imports and file caches
        lsoas = atlas.build(LUTON, out_dir=out, catalogue=full, write=False).table("lsoa11").index
        print(f"estimate step alone, Luton's {len(lsoas)} LSOAs, cached file:        "
              f"{step_alone(full, set(lsoas)):6.2f} s")
        codes = [LUTON] if "--district-only" in sys.argv else [LUTON, ENGLAND]
        for code in codes:
            with_ = min(timed_build(code, full, out) for _ in range(2 if code == LUTON else 1))
            without = min(timed_build(code, bare, out) for _ in range(2 if code == LUTON else 1))
            target = "1 s" if code == LUTON else "30 s"
            print(f"{code}: build {with_:6.2f} s with {registers} estimated registers, {without:6.2f} s without: "
                  f"adds {with_ - without:5.2f} s (target < {target}; a fresh process adds the cold read above)")


if __name__ == "__main__":
    main()
