"""Time each statistic of issue 17 for one district; print the figures.

Targets: each new statistic for a district in under 1 s; the bivariate map switch in the app
(computing the bivariate entry and the map's category payload) in under 0.5 s.

The district's atlas is built (or loaded from --atlas) first; weights are built once and
cached, as in the app, and timed separately. Each figure is the best of --repeat runs with
999 permutations.

Run: .venv/bin/python benchmarks/bench_analyses.py [--la E06000032] [--atlas PATH] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import atlas
from atlas import change, export, webmap
from atlas.analysis import analyses
from atlas.analysis.maps import analysis_map
from atlas.analysis.summary import cached_weights


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--la", default="E06000032")
    parser.add_argument("--atlas", default=None, help="a built atlas (.gpkg); built into a temporary folder if not given")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    built = atlas.load(args.atlas) if args.atlas else atlas.build(args.la, out_dir=tempfile.mkdtemp())
    geography = "lsoa21"
    frame = built.table(geography)
    started = time.perf_counter()
    cached_weights(frame, 1.0)
    print(f"{built.la_name}: {len(frame)} LSOAs (2021); weights (once, cached) {time.perf_counter() - started:.3f} s")
    rate = next(c[: -len("_numerator")] for c in frame.columns if str(c).endswith("_numerator"))

    def bivariate_switch():
        entry = analyses.bivariate_summary(built, "income25_score", geography, rate, geography)
        webmap.bivariate_layer(entry).payload(frame.index)  # what the page hands the map script

    figures = {
        "Gi* hot spots (999 permutations)": lambda: analyses.hot_spot_summary(built, "income25_score", geography),
        "bivariate Moran + LISA + 3x3 classes": lambda: analyses.bivariate_summary(
            built, "income25_score", geography, rate, geography),
        f"EB smoothing + Moran_Rate + LISA ({rate})": lambda: analyses.smoothed_summary(built, rate, geography),
        "funnel (QOF diabetes, practices)": lambda: analyses.funnel_summary(built, "qof_dm", "points:gp_practices"),
        "funnel (area layer with counts)": lambda: analyses.funnel_summary(built, rate, geography),
        "IMD decile change since 2019": lambda: change.decile_change(built),
    }
    for label, function in figures.items():
        seconds = best(function, args.repeat)
        print(f"{label:<52} {seconds:6.3f} s  target < 1 s")
    print(f"{'bivariate map switch (entry + map payload)':<52} {best(bivariate_switch, args.repeat):6.3f} s  "
          f"target < 0.5 s")
    for kind, partner in (("hotspots", None), ("bivariate", rate)):  # report-ready exports (no target: a file)
        def export_one(kind=kind, partner=partner):
            analysis = analysis_map(built, kind, "income25_score", geography, partner=partner)
            export.render_analysis_map(built, analysis, "png", dpi=300)
        print(f"{'A4 300 dpi PNG export: ' + kind:<52} {best(export_one, args.repeat):6.3f} s  (no target)")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
