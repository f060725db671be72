"""Two indicators together: bivariate Moran's I and bivariate LISA (esda ``Moran_BV``, ``Moran_Local_BV``).

The bivariate Moran's I relates one indicator ``x`` in each area to the
average of another, ``y``, in its neighbours (the spatial lag of ``y``): a
positive I means areas high on ``x`` tend to be surrounded by areas high on
``y``. It is not the correlation of ``x`` and ``y`` in the same area (that
is reported beside it, as Pearson's r), and it is not symmetric: I(x, y) is
in general not I(y, x).

The bivariate LISA labels each area by the quadrant of its standardised ``x``
against the lag of standardised ``y`` (High-High: high ``x`` among high ``y``
...), significant by conditional permutation. As for :mod:`atlas.stats.moran`,
permutations are seeded, run under a lock and leave NumPy's global random
state as it was. Only areas with both values count; an area with no neighbour
among them is labelled "No neighbours".
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..errors import StatisticError
from .moran import (
    DEFAULT_ALPHA,
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    aligned_values,
    check_computable,
    cluster_table,
    seeded_global_rng,
)
from .weights import SpatialWeights


@dataclass
class BivariateMoran:
    """Bivariate global Moran's I of ``x`` against the spatial lag of ``y``.

    Attributes
    ----------
    I : float
        Bivariate Moran's I (esda ``Moran_BV``).
    p_sim, z_sim : float
        Pseudo p-value and z-value from the permutations.
    correlation : float
        Pearson's r of ``x`` and ``y`` in the same areas, for reference.
    n : int
        Areas with both values.
    permutations, seed : int
    left_out : list of str
        Areas left out because one of the two values is missing.
    """

    I: float  # noqa: E741 (the statistic's name)
    p_sim: float
    z_sim: float
    correlation: float
    n: int
    permutations: int
    seed: int
    left_out: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Plain values (JSON-ready)."""
        return asdict(self)


def _pair(x, y, weights: SpatialWeights, name: str | None):
    """Both indicators on the areas where both have a value, in code order; the weights among them."""
    for values in (x, y):
        if isinstance(values, pd.Series) and len(values) and not set(values.index.astype(str)) & set(weights.ids):
            raise StatisticError(
                f"The two indicators are not on the same areas: none of the codes of one ({values.index[0]} ...) "
                f"is among the areas of {name or 'the other'}. Choose two indicators on one geography.")
    _, x_present, _ = aligned_values(x, weights, name)
    _, y_present, _ = aligned_values(y, weights, name)
    both = sorted(set(x_present) & set(y_present))
    left_out = [c for c in weights.ids if c not in set(both)]
    w = weights.subset(both)
    as_series = [v if isinstance(v, pd.Series) else pd.Series(np.asarray(v, dtype=float), index=weights.ids)
                 for v in (x, y)]
    xs, ys = (pd.to_numeric(s.set_axis(s.index.astype(str)), errors="coerce").reindex(w.ids).to_numpy(dtype=float)
              for s in as_series)
    return xs, ys, w, left_out


def _check(xs, ys, w, name, statistic):
    for values, which in ((xs, "first"), (ys, "second")):
        try:
            check_computable(values, len(w.islands), w.snap_tolerance_m, name, statistic)
        except StatisticError as exc:
            raise StatisticError(f"{exc} (the {which} indicator, over the areas where both have a value)") from None


def moran_bv(x, y, weights: SpatialWeights, permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED,
             name: str | None = None) -> BivariateMoran:
    """Bivariate global Moran's I of ``x`` against the spatial lag of ``y``, with a permutation test.

    Parameters
    ----------
    x, y : pandas.Series or array-like
        The two indicators by area code (Series are aligned on ``weights.ids``).
    weights : SpatialWeights
    permutations : int
        Random permutations for the pseudo p-value (default 999; 0 for none).
    seed : int
        Seed of NumPy's global generator while esda draws them (restored after).
    name : str, optional
        What the areas are, for messages.

    Returns
    -------
    BivariateMoran

    Raises
    ------
    StatisticError
        The indicators are on different areas, fewer than 3 areas have both
        values, one is constant, or no area has a neighbour.
    """
    import esda

    xs, ys, w, left_out = _pair(x, y, weights, name)
    _check(xs, ys, w, name, "The bivariate Moran's I")
    with seeded_global_rng(seed), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (0/0 where an area has no neighbour or no variance)
        warnings.simplefilter("ignore", UserWarning)  # (libpysal and mapclassify notes the atlas reports itself)
        result = esda.Moran_BV(xs, ys, w.w, transformation="r", permutations=permutations)
    nan = float("nan")
    return BivariateMoran(
        I=float(result.I), p_sim=float(result.p_sim) if permutations else nan,
        z_sim=float(result.z_sim) if permutations else nan, correlation=float(np.corrcoef(xs, ys)[0, 1]),
        n=len(xs), permutations=int(permutations), seed=int(seed), left_out=left_out)


def lisa_bv(x, y, weights: SpatialWeights, permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED,
            alpha: float = DEFAULT_ALPHA, fdr: bool = False, name: str | None = None) -> pd.DataFrame:
    """Bivariate local Moran (LISA): areas high or low on ``x`` among neighbours high or low on ``y``.

    Parameters
    ----------
    x, y : pandas.Series or array-like
    weights : SpatialWeights
    permutations : int
        Conditional permutations per area (default 999).
    seed : int
    alpha : float
        Significance level (default 0.05).
    fdr : bool
        False-discovery-rate cut-off at ``alpha`` instead of ``alpha``.
    name : str, optional

    Returns
    -------
    pandas.DataFrame
        Indexed by area code (every area of ``weights``): ``cluster`` (as
        :data:`atlas.stats.CLUSTERS`), ``local_i``, ``p_sim``, ``quadrant``,
        ``significant``; ``attrs`` holds the method as :func:`atlas.stats.lisa` does.

    Raises
    ------
    StatisticError
        As for :func:`moran_bv`.
    """
    import esda

    if not 0 < alpha < 1:
        raise StatisticError(f"The significance level must be between 0 and 1 (got {alpha}).")
    if permutations < 1:
        raise StatisticError("Bivariate LISA needs a permutation test: give 1 or more permutations.")
    xs, ys, w, left_out = _pair(x, y, weights, name)
    _check(xs, ys, w, name, "The bivariate LISA")
    with seeded_global_rng(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (0/0 where an area has no neighbour or no variance)
        warnings.simplefilter("ignore", UserWarning)  # (libpysal and mapclassify notes the atlas reports itself)
        local = esda.Moran_Local_BV(xs, ys, w.w, transformation="r", permutations=permutations, seed=seed)
    table = cluster_table(local, w, weights.ids, alpha, fdr)
    table.attrs.update(permutations=int(permutations), seed=int(seed), snap_tolerance_m=w.snap_tolerance_m,
                       left_out=left_out)
    return table
