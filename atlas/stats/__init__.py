"""Inequality statistics: spatial weights, Moran's I, LISA, Gi* hot spots, bivariate Moran, smoothed rates,
funnel limits, 20:20, area Gini, SII, rates.

Every method is described in ``docs/METHODS.md`` and in each function's docstring;
every figure is repeatable (fixed seeds) and says when it cannot be computed.

>>> import atlas
>>> from atlas import stats
>>> luton = atlas.load("output/atlas/E06000032.gpkg")               # doctest: +SKIP
>>> areas = luton.table("lsoa11")                                    # doctest: +SKIP
>>> w = stats.spatial_weights(areas)                                 # doctest: +SKIP
>>> stats.moran(areas["income19_score"], w).I                        # doctest: +SKIP
0.40999...
>>> stats.twenty_twenty(areas["income19_decile"])                    # doctest: +SKIP
{'least': 10, 'most': 34, 'share': 0.198..., 'n': 121, ...}
"""

from .bivariate import BivariateMoran, lisa_bv, moran_bv
from .funnel import funnel_points, proportion_limits
from .hotspots import hot_spot_counts, hot_spots
from .inequality import AreaGini, SlopeIndex, area_gini, local_quantiles, slope_index, ten_ten, twenty_twenty
from .moran import (
    CLUSTERS,
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    MoranResult,
    lisa,
    lisa_counts,
    moran,
)
from .rates import (
    byar_interval,
    compare,
    compare_count,
    rate_interval,
    standardised_ratio,
    wilson_interval,
)
from .smoothing import RateMoran, eb_smoothed, lisa_rate, moran_rate
from .weights import DEFAULT_SNAP_TOLERANCE_M, SpatialWeights, spatial_weights

__all__ = [
    "BivariateMoran", "RateMoran", "eb_smoothed", "funnel_points", "hot_spot_counts", "hot_spots", "lisa_bv",
    "lisa_rate", "moran_bv", "moran_rate", "proportion_limits",
    "AreaGini", "CLUSTERS", "DEFAULT_PERMUTATIONS", "DEFAULT_SEED", "DEFAULT_SNAP_TOLERANCE_M", "MoranResult",
    "SlopeIndex", "SpatialWeights", "area_gini", "byar_interval", "compare", "compare_count", "lisa",
    "lisa_counts", "local_quantiles", "moran", "rate_interval", "slope_index", "spatial_weights",
    "standardised_ratio", "ten_ten", "twenty_twenty", "wilson_interval",
]
