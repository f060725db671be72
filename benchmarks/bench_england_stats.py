"""National Moran's I, LISA and Gi* over England's 32,844 LSOAs (2011) as one graph, 999 permutations (issue 18).

Target: Moran's I plus LISA under 15 s on this 2-core machine (polygons from the warm cache in
output/cache; the first run reads the boundary files and writes it). Prints each part's time, the
figures, and esda's Moran's I called directly on the same weights for comparison. Gi* (esda G_Local,
star=True, same permutations and seed) is timed apart (no target of its own). Whether numba is installed is
printed: esda's conditional permutations (crand) use it, and run in parallel with n_jobs, only when it is.

Run: .venv/bin/python benchmarks/bench_england_stats.py [--layer income19_score] [--permutations 999]
"""

from __future__ import annotations

import argparse
import resource
import time

from atlas.analysis.england import england_statistics

TARGET_S = 15.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--layer", default="income19_score")
    parser.add_argument("--permutations", type=int, default=999)
    args = parser.parse_args()
    run = england_statistics(layer=args.layer, permutations=args.permutations, with_hotspots=True)
    t = run.timings
    counts = run.lisa["cluster"].value_counts().to_dict()
    print(f"England, LSOA (2011), {args.layer}: {run.moran.n} areas with a value, {len(run.weights.islands)} islands, "
          f"mean neighbours {run.weights.mean_neighbours:.2f}")
    print(f"  Moran's I {run.moran.I:.6f} (p = {run.moran.p_sim:.4f}, z = {run.moran.z:.1f}, {args.permutations} "
          f"permutations)")
    print(f"  LISA clusters: {counts}")
    print(f"  time: values {t['values']:.1f} s, polygons {t['polygons']:.1f} s, weights {t['weights']:.1f} s, "
          f"Moran {t['moran']:.1f} s, LISA {t['lisa']:.1f} s; total {t['total']:.1f} s")
    print(f"  Gi* hot/cold spots: {run.hotspots['bin'].value_counts().to_dict()}")
    print(f"  Gi* (999 permutations): {t['hotspots']:.1f} s")
    try:
        import numba
        print(f"  numba {numba.__version__} installed: esda's crand is compiled")
    except ImportError:
        print("  numba not installed (not in requirements.lock): esda's crand runs in plain NumPy, one process")
    statistics = t["weights"] + t["moran"] + t["lisa"]
    print(f"  Moran + LISA (weights included): {statistics:.1f} s (target < {TARGET_S:.0f} s: "
          f"{'met' if statistics < TARGET_S else 'NOT met'})")
    import esda

    clock = time.perf_counter()
    direct = esda.Moran(run.values.to_numpy(), run.weights.w, transformation="r", permutations=0)
    print(f"  esda.Moran directly on the same weights: I {direct.I:.6f} ({time.perf_counter() - clock:.1f} s); "
          f"difference {abs(direct.I - run.moran.I):.2e}")
    print(f"  peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
