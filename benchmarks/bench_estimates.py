"""Time the small-area QOF estimates: what they add to a district build (Luton) and to England's.

Targets (issue 14): all 21 registers add under 1 s to a district build, under 30 s for England.
Each build is timed with the project's catalogue and with the same catalogue less the
``[estimate]`` spec (and its indicators); the difference is the time the estimates add.
The estimate step alone (reading the patients-by-LSOA file, cold and cached, and apportioning)
is timed too, and Luton's build in fresh processes (as `atlas build` runs): first with no district
extract of the patients file in the cache folder (the whole file is read and the extract written),
then with it (only the district's rows are read).
Run: .venv/bin/python benchmarks/bench_estimates.py [--district-only]
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import atlas
from atlas import config, small_area
from atlas.specs import Catalogue

LUTON, ENGLAND = "E06000032", "E92000001"


def without_estimates(catalogue: Catalogue) -> Catalogue:
    """The catalogue less its ``[estimate]`` specs, the indicators they make, and the layers counting
    registered patients from their files (``computed = "registered_patients"``)."""
    ids = set(catalogue.estimates)
    indicators = {k: v for k, v in catalogue.indicators.items()
                  if v.source.id not in ids and getattr(v.source, "estimate", None) not in ids}
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


FRESH = """
import sys, tempfile, time, dataclasses
sys.path.insert(0, {bench!r})
import atlas
from atlas.specs import Catalogue
from bench_estimates import without_estimates
catalogue = Catalogue.load()
if sys.argv[1] == "bare":
    catalogue = without_estimates(catalogue)
started = time.perf_counter()
atlas.build({la!r}, out_dir=tempfile.mkdtemp(), catalogue=catalogue, write=False)
print(time.perf_counter() - started)
"""


def fresh_build(code: str, which: str, cache: str) -> float:
    """Seconds of one build in a new process (imports excluded), with the output folder ``cache``."""
    script = FRESH.format(bench=str(Path(__file__).resolve().parent), la=code)
    env = {**os.environ, config.OUT_ENV: cache}
    done = subprocess.run([sys.executable, "-c", script, which], capture_output=True, text=True, env=env,
                          check=True)
    return float(done.stdout.strip().splitlines()[-1])


def fresh_figures() -> None:
    with tempfile.TemporaryDirectory() as out:
        first = fresh_build(LUTON, "full", out)  # reads the whole patients file, writes Luton's extract
        cached = min(fresh_build(LUTON, "full", out) for _ in range(2))
        bare = min(fresh_build(LUTON, "bare", out) for _ in range(2))
        shutil.rmtree(out, ignore_errors=True)
    print(f"{LUTON}, fresh process: {bare:6.2f} s without estimates; with: {first:6.2f} s the first time "
          f"(adds {first - bare:5.2f} s: whole patients file read, extract written), {cached:6.2f} s with the "
          f"extract cached (adds {cached - bare:5.2f} s; target < 1 s)")


def main() -> None:
    fresh_figures()
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
