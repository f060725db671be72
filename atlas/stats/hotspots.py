"""Hot and cold spots: Getis-Ord Gi* with a permutation test, as GeoDa and ArcGIS show them.

Gi* (esda ``G_Local`` with ``star=True``) compares the sum of the values of an
area *and* its neighbours with what a random arrangement of the same values
would give. A significantly high sum is a **hot spot** (the area sits in a
cluster of high values), a significantly low one a **cold spot**. Inference is
by conditional permutation (999 by default, seeded); esda reseeds NumPy's
global generator, so the call runs under the lock of :mod:`atlas.stats.moran`
and the global state is restored.

The atlas's weights are row-standardised with no self-weight, so esda gives
each area a weight on itself equal to the largest weight in its row (its
``star=True`` default), i.e. the area counts as much as each of its neighbours.

Each area is put in one of seven bins, by the pseudo p-value: hot or cold spot
with 99% (p < 0.01), 95% (p < 0.05) or 90% (p < 0.10) confidence, or not
significant. With ``fdr=True`` each level's cut-off is the false-discovery-rate
(Benjamini-Hochberg, ``esda.fdr``) cut-off at that level instead.

Gi* is defined for non-negative values (sums of values); layers with negative
values (IoD health and crime scores, centred on 0) are refused with a message.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import StatisticError
from .moran import (
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    NO_DATA,
    NO_NEIGHBOURS,
    NOT_SIGNIFICANT,
    aligned_values,
    check_computable,
    seeded_global_rng,
)
from .weights import SpatialWeights

#: Confidence levels of the bins, strongest first, and their p-value cut-offs.
LEVELS = ((99, 0.01), (95, 0.05), (90, 0.10))
HOT, COLD = "Hot spot", "Cold spot"
#: Bin labels in legend order (colours: ``atlas.classify.HOTSPOT_COLOURS``).
BINS = (*(f"{HOT} ({c}% confidence)" for c, _ in LEVELS), NOT_SIGNIFICANT,
        *(f"{COLD} ({c}% confidence)" for c, _ in reversed(LEVELS)), NO_NEIGHBOURS, NO_DATA)


def exact_p(p_sim, permutations: int) -> np.ndarray:
    """esda's pseudo p-values as float64 fractions ``k / (permutations + 1)``.

    ``G_Local`` returns them as float32, where 1/100 is 0.0099999998: read as a
    float64 that p-value would pass the 0.01 cut-off it only equals. The count
    ``k`` is recovered by rounding and divided again in float64.

    Parameters
    ----------
    p_sim : array-like
        esda's ``p_sim``.
    permutations : int

    Returns
    -------
    numpy.ndarray
    """
    n = permutations + 1
    return np.round(np.asarray(p_sim, dtype=float) * n) / n


def hot_spots(values, weights: SpatialWeights, permutations: int = DEFAULT_PERMUTATIONS,
              seed: int = DEFAULT_SEED, fdr: bool = False, name: str | None = None) -> pd.DataFrame:
    """Getis-Ord Gi* hot and cold spots of one indicator.

    Parameters
    ----------
    values : pandas.Series or array-like
        Indicator values by area code (a Series is aligned on ``weights.ids``).
        Missing values are left out (their areas are labelled "No data").
    weights : SpatialWeights
        From :func:`atlas.stats.spatial_weights` (row-standardised; Gi* adds
        each area to its own neighbours).
    permutations : int
        Conditional permutations per area (default 999).
    seed : int
        The same seed gives the same bins.
    fdr : bool
        False-discovery-rate cut-offs at 0.01, 0.05 and 0.10 instead of the levels themselves.
    name : str, optional
        What the areas are, for messages.

    Returns
    -------
    pandas.DataFrame
        Indexed by area code (every area of ``weights``): ``bin`` (one of
        ``BINS``), ``z`` (esda's ``Zs``, the standardised Gi*), ``p_sim``,
        ``gi`` (Gi*). ``attrs`` holds ``permutations``, ``seed``, ``fdr``,
        ``cutoffs`` (p cut-off of each level), ``left_out``.

    Raises
    ------
    StatisticError
        Fewer than 3 areas with values, the same value everywhere, negative
        values, or no area with a neighbour.
    """
    import esda  # imported when needed: slow to import

    if permutations < 1:
        raise StatisticError("Hot spots need a permutation test: give 1 or more permutations (999 by default).")
    y, present, left_out = aligned_values(values, weights, name)
    w = weights.subset(sorted(present))  # in code order: the same bins whatever the row order
    y = pd.Series(y, index=present).reindex(w.ids).to_numpy()
    check_computable(y, len(w.islands), w.snap_tolerance_m, name, "Getis-Ord Gi*")
    if (y < 0).any():
        raise StatisticError(
            f"Getis-Ord Gi* cannot be computed for {name or 'these areas'}: {int((y < 0).sum())} area(s) have "
            f"negative values (as low as {y.min():g}); Gi* compares sums of values and needs values of 0 or more. "
            f"Use Local Moran's I (LISA) for this indicator.")
    with seeded_global_rng(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (0/0 where an area has no neighbour or no variance)
        warnings.simplefilter("ignore", UserWarning)  # (libpysal and mapclassify notes the atlas reports itself)
        local = esda.G_Local(y, w.w, transform="R", permutations=permutations, star=True, n_jobs=1, seed=seed)
    island = np.isin(np.asarray(w.ids), w.islands)
    p = np.where(island, np.nan, exact_p(local.p_sim, permutations))
    z = np.where(island, np.nan, np.asarray(local.Zs, dtype=float))
    cutoffs = {level: (float(esda.fdr(p[~island], cut)) if fdr and (~island).any() else cut) for level, cut in LEVELS}
    labels = np.full(len(y), NOT_SIGNIFICANT, dtype=object)
    for level, _ in reversed(LEVELS):  # weakest first, so the strongest level a p-value reaches wins
        hit = ~island & (p < cutoffs[level])
        labels[hit & (z > 0)] = f"{HOT} ({level}% confidence)"
        labels[hit & (z < 0)] = f"{COLD} ({level}% confidence)"
    labels[island] = NO_NEIGHBOURS
    table = pd.DataFrame({"bin": labels, "z": z, "p_sim": p, "gi": np.asarray(local.Gs, dtype=float)},
                         index=pd.Index(w.ids, name="code")).reindex(weights.ids)
    table.index.name = "code"
    table["bin"] = table["bin"].fillna(NO_DATA)
    table.attrs.update(permutations=int(permutations), seed=int(seed), fdr=bool(fdr), cutoffs=cutoffs,
                       left_out=left_out, snap_tolerance_m=w.snap_tolerance_m)
    return table


def hot_spot_counts(table: pd.DataFrame) -> dict[str, int]:
    """Number of areas in each bin, every bin listed (zeros included)."""
    counts = table["bin"].value_counts()
    return {label: int(counts.get(label, 0)) for label in BINS}
