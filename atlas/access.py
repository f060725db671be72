"""Access to GP practices (and other point sets) from where people live.

The published access measures are ordinary layer specs (``layers/cdrc_ahah_v3.toml``:
CDRC AHAH v3 mean drive time by road; ``layers/iod2019_indicators.toml``: the
IoD2019 road distance to a GP surgery). This module computes the one measure
the atlas derives itself, from the current practice locations: the
straight-line distance from each area's centroid to the nearest point of a set
(in the district or across its boundary), and the population living in areas
whose centroid lies within a radius (1 km), so that the share of residents
within 1 km aggregates to wards as a ratio of sums.

None of these is the DfT journey time by public transport or walking that the
strategy quotes (84% within 15 minutes): that dataset is not in the source data.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree


def nearest_table(frame: gpd.GeoDataFrame, points: gpd.GeoDataFrame, population: pd.Series,
                  radius_km: float | None) -> pd.DataFrame:
    """Straight-line distance from each area's centroid to the nearest point.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Areas in British National Grid, indexed by code.
    points : geopandas.GeoDataFrame
        Every located point of the set (in BNG), inside the district or not.
    population : pandas.Series
        Residents of each area (NaN where unknown).
    radius_km : float or None
        Radius for ``population_within`` (the area's population when its
        centroid is within the radius of a point, else 0).

    Returns
    -------
    pandas.DataFrame
        ``code``, ``distance_km``, ``nearest`` (code of the nearest point),
        ``population`` and ``population_within``.
    """
    centroids = frame.geometry.centroid
    distance = np.full(len(frame), np.nan)
    nearest = np.full(len(frame), None, dtype=object)
    if len(points):
        tree = cKDTree(np.column_stack([points.geometry.x.to_numpy(), points.geometry.y.to_numpy()]))
        metres, which = tree.query(np.column_stack([centroids.x.to_numpy(), centroids.y.to_numpy()]))
        distance = metres / 1000.0
        nearest = points.index.to_numpy()[which]
    pop = population.to_numpy(dtype=float)
    within = np.where(distance <= (radius_km or 0.0), pop, 0.0)
    within[np.isnan(pop) | np.isnan(distance)] = np.nan
    return pd.DataFrame({"code": frame.index.to_numpy(), "distance_km": distance, "nearest": nearest,
                         "population": pop, "population_within": within})
