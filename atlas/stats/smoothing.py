"""Rates from small numbers: empirical-Bayes smoothing and rate-aware Moran's I (esda).

A rate of an area with a small denominator swings from year to year by
chance: a handful of events more or less moves it a long way. Two remedies,
both esda's:

* **Empirical-Bayes smoothed rates** (``esda.smoothing.Empirical_Bayes``): each
  area's raw rate is pulled towards the rate of all the areas together, the
  more so the smaller its denominator (Marshall's global empirical Bayes
  estimator). Large areas keep nearly their raw rate.
* **Rate-aware Moran's I and LISA** (``esda.Moran_Rate``, ``esda.Moran_Local_Rate``):
  Moran's I of the Assuncao-Reis empirical-Bayes standardised rates, which
  accounts for the different variances of rates on different denominators.

A raw rate is called **unstable** when its numerator is under
:data:`UNSTABLE_BELOW` events (the count at which Fingertips switches from
Byar's approximation to exact Poisson limits, and below which it treats
counts as too small for reliable rates).
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
    check_computable,
    cluster_table,
    seeded_global_rng,
)
from .rates import EXACT_BELOW
from .weights import SpatialWeights

#: Raw rates with fewer events than this are flagged unstable.
UNSTABLE_BELOW = EXACT_BELOW


@dataclass
class RateMoran:
    """Moran's I of empirical-Bayes standardised rates (esda ``Moran_Rate``)."""

    I: float  # noqa: E741
    p_sim: float
    z_sim: float
    n: int
    permutations: int
    seed: int
    left_out: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """Plain values (JSON-ready)."""
        return asdict(self)


def check_counts(numerator, denominator, name: str | None = None) -> tuple[pd.Series, pd.Series, list[str]]:
    """Numerators and denominators where both are usable; the codes left out.

    Parameters
    ----------
    numerator, denominator : pandas.Series
        Counts by area code.
    name : str, optional
        What the layer and areas are, for messages.

    Returns
    -------
    (pandas.Series, pandas.Series, list of str)

    Raises
    ------
    StatisticError
        A negative count, or no area with both counts and a denominator above 0.
    """
    what = name or "this layer"
    events = pd.to_numeric(numerator, errors="coerce").astype(float)
    base = pd.to_numeric(denominator, errors="coerce").astype(float).reindex(events.index)
    if (events < 0).any() or (base < 0).any():
        bad = events.index[(events < 0) | (base < 0)].astype(str).tolist()
        raise StatisticError(f"Negative counts in {what} ({', '.join(bad[:10])}); rates need counts of 0 or more.")
    ok = events.notna() & base.notna() & (base > 0)
    if not ok.any():
        raise StatisticError(f"No area of {what} has both a numerator and a denominator above 0, so no rate "
                             f"can be smoothed.")
    return events[ok], base[ok], events.index[~ok].astype(str).tolist()


def eb_smoothed(numerator: pd.Series, denominator: pd.Series, name: str | None = None) -> pd.DataFrame:
    """Empirical-Bayes smoothed rates (``esda.smoothing.Empirical_Bayes``), with the raw rates.

    Parameters
    ----------
    numerator, denominator : pandas.Series
        Events and population at risk by area code.
    name : str, optional

    Returns
    -------
    pandas.DataFrame
        Indexed as ``numerator``: ``raw`` (numerator / denominator), ``smoothed``
        (as a fraction: multiply by the layer's scale), ``unstable`` (fewer than
        :data:`UNSTABLE_BELOW` events). Areas without usable counts have NaNs;
        ``attrs["left_out"]`` lists them, ``attrs["overall"]`` is the rate of all areas together.
    """
    from esda.smoothing import Empirical_Bayes

    events, base, left_out = check_counts(numerator, denominator, name)
    if len(events) < 2:
        raise StatisticError(f"Empirical-Bayes smoothing of {name or 'this layer'} needs at least 2 areas with "
                             f"counts (there is {len(events)}).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (0/0 where an area has no neighbour or no variance)
        warnings.simplefilter("ignore", UserWarning)  # (libpysal and mapclassify notes the atlas reports itself)
        smoothed = np.asarray(Empirical_Bayes(events.to_numpy(), base.to_numpy()).r, dtype=float).ravel()
    table = pd.DataFrame({"raw": events / base, "smoothed": smoothed, "unstable": events < UNSTABLE_BELOW},
                         index=events.index).reindex(pd.Index(numerator.index))
    table["unstable"] = table["unstable"].fillna(False).astype(bool)
    table.attrs.update(left_out=left_out, overall=float(events.sum() / base.sum()))
    return table


def _rate_inputs(numerator, denominator, weights: SpatialWeights, name: str | None):
    events, base, left_out = check_counts(numerator.reindex(weights.ids), denominator.reindex(weights.ids), name)
    w = weights.subset(sorted(events.index.astype(str)))
    events = events.set_axis(events.index.astype(str)).reindex(w.ids).to_numpy(dtype=float)
    base = base.set_axis(base.index.astype(str)).reindex(w.ids).to_numpy(dtype=float)
    check_computable(events / base, len(w.islands), w.snap_tolerance_m, name, "The rate-aware Moran's I")
    return events, base, w, left_out


def moran_rate(numerator: pd.Series, denominator: pd.Series, weights: SpatialWeights,
               permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED,
               name: str | None = None) -> RateMoran:
    """Moran's I of rates with the Assuncao-Reis empirical-Bayes adjustment (``esda.Moran_Rate``).

    Parameters
    ----------
    numerator, denominator : pandas.Series
        Events and population at risk by area code.
    weights : SpatialWeights
    permutations, seed : int
        The permutations draw from NumPy's global generator seeded with ``seed`` (restored after).
    name : str, optional

    Returns
    -------
    RateMoran

    Raises
    ------
    StatisticError
        No usable counts, fewer than 3 areas, constant rates or no neighbours.
    """
    import esda

    events, base, w, left_out = _rate_inputs(numerator, denominator, weights, name)
    with seeded_global_rng(seed), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (0/0 where an area has no neighbour or no variance)
        warnings.simplefilter("ignore", UserWarning)  # (libpysal and mapclassify notes the atlas reports itself)
        result = esda.Moran_Rate(events, base, w.w, adjusted=True, transformation="r", permutations=permutations)
    nan = float("nan")
    return RateMoran(I=float(result.I), p_sim=float(result.p_sim) if permutations else nan,
                     z_sim=float(result.z_sim) if permutations else nan, n=len(events),
                     permutations=int(permutations), seed=int(seed), left_out=left_out)


def lisa_rate(numerator: pd.Series, denominator: pd.Series, weights: SpatialWeights,
              permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED, alpha: float = DEFAULT_ALPHA,
              name: str | None = None) -> pd.DataFrame:
    """Local Moran of empirical-Bayes standardised rates (``esda.Moran_Local_Rate``).

    Returns
    -------
    pandas.DataFrame
        As :func:`atlas.stats.lisa`: ``cluster``, ``local_i``, ``p_sim``, ``quadrant``, ``significant``.
    """
    import esda

    if permutations < 1:
        raise StatisticError("The rate-aware LISA needs a permutation test: give 1 or more permutations.")
    events, base, w, left_out = _rate_inputs(numerator, denominator, weights, name)
    with seeded_global_rng(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # (0/0 where an area has no neighbour or no variance)
        warnings.simplefilter("ignore", UserWarning)  # (libpysal and mapclassify notes the atlas reports itself)
        local = esda.Moran_Local_Rate(events, base, w.w, adjusted=True, transformation="r",
                                      permutations=permutations, seed=seed)
    table = cluster_table(local, w, weights.ids, alpha)
    table.attrs.update(permutations=int(permutations), seed=int(seed), left_out=left_out)
    return table
