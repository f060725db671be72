"""Time the static map exports and the neighbourhood profiles for Luton; print the figures.

Targets (issue 6): one A4 300-dpi PNG under 1.5 s; every map of Luton (``atlas export --all``)
under 60 s on this 2-core machine; seconds per profile PDF are reported.
Run: .venv/bin/python benchmarks/bench_export.py [--atlas output/atlas/E06000032.gpkg]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import atlas
from atlas import export, profiles

LUTON = "E06000032"


def cpu_seconds() -> float:
    """User and system CPU time of this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(function, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--atlas", help="a built atlas GeoPackage (default: build Luton into a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        built = atlas.load(args.atlas) if args.atlas else atlas.build(LUTON, out_dir=tmp)
        out = Path(tmp)
        export.render_map(built, "income19_score", "lsoa11")  # warm imports
        for fmt in ("png", "svg", "pdf"):
            runs = [timed(export.export_map, built, "income19_score", "lsoa11", out / f"one.{fmt}")[0]
                    for _ in range(3)]
            print(f"one A4 map, {fmt.upper()} (300 dpi, LSOA 2011, median of 3): {statistics.median(runs):5.2f} s"
                  + ("   target < 1.5 s" if fmt == "png" else ""))
        before = cpu_seconds()
        seconds, index = timed(export.export_all, built, out / "all")
        cpu = cpu_seconds() - before
        written = int((index["status"] == "written").sum())
        print(f"batch, every map of {built.la_name} (PNG, 300 dpi, 2 processes): {seconds:5.1f} s for {written} maps "
              f"({seconds / max(written, 1):.2f} s per map; {len(index) - written} skipped)   target < 60 s")
        print(f"  CPU time of the batch, all processes: {cpu:5.1f} s ({cpu / max(written, 1):.2f} s per map); on two "
              f"otherwise idle cores the batch takes about {cpu / 2:4.1f} s. Load average now: "
              f"{os.getloadavg()[0]:.1f}")
        profiles.england_values()  # England's figures: computed once, then read from output/cache
        for area in ("Biscot", "Hatters Health PCN", "E01015698,E01015700,E01015701"):
            first, profile = timed(profiles.build_profile, built, area)
            again, _ = timed(profiles.build_profile, built, area)
            pdf, _ = timed(profiles.write_profile, profile, out / "profile.pdf")
            html, _ = timed(profiles.write_profile, profile, out / "profile.html")
            print(f"profile of {profile.area.title}: figures {first:4.2f} s (again {again:4.2f} s), "
                  f"PDF {pdf:4.2f} s, HTML {html:4.2f} s; PDF total {again + pdf:4.2f} s")


if __name__ == "__main__":
    main()
