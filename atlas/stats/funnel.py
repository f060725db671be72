"""Funnel plots for proportions, by the Fingertips (PHE/OHID) method.

Each unit (a GP practice, an area) is a point: its denominator ``n`` across,
its proportion up. Around a target proportion ``p`` (the authority's or
England's, the sum of numerators over the sum of denominators) the control
limits at each ``n`` are the proportions whose Wilson score interval (at 95%
or 99.8%) just reaches the target. Solving the Wilson interval for the
observed proportion gives, exactly,

    limit = p -/+ z sqrt(p (1 - p) / n)

with ``z`` the normal quantile of 0.975 (95%) or 0.999 (99.8%): the values
PHEindicatormethods' ``sigma_adjustment`` (``calculate_funnel_limits``)
computes for proportions. A unit is outside a limit exactly when its own
Wilson interval at that level excludes the target, so the funnel and the
Better/Similar/Worse of :mod:`atlas.stats.rates` agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..errors import StatisticError

#: Fingertips' two levels: 95% (about 2 standard deviations) and 99.8% (about 3).
LEVELS = (0.95, 0.998)
ABOVE_998, ABOVE_95, WITHIN, BELOW_95, BELOW_998 = (
    "Above 99.8% limit", "Above 95% limit", "Within 95% limits", "Below 95% limit", "Below 99.8% limit")
#: Positions in legend order.
POSITIONS = (ABOVE_998, ABOVE_95, WITHIN, BELOW_95, BELOW_998)


def proportion_limits(target: float, denominator, confidence: float = 0.95):
    """Lower and upper control limits of a proportion funnel at each denominator.

    Parameters
    ----------
    target : float
        The target proportion (0-1).
    denominator : float or array-like
        Denominators (above 0).
    confidence : float
        0.95 or 0.998 (any level between 0 and 1).

    Returns
    -------
    (lower, upper)
        Proportions (0-1), clipped to [0, 1]; arrays for array input.

    Raises
    ------
    StatisticError
        A target outside [0, 1], a denominator of 0 or less, or a level outside (0, 1).
    """
    if not 0 < confidence < 1:
        raise StatisticError(f"The control-limit level must be between 0 and 1, e.g. 0.95 (got {confidence}).")
    if not 0 <= target <= 1 or not np.isfinite(target):
        raise StatisticError(f"A funnel's target proportion must be between 0 and 1 (got {target}).")
    n = np.asarray(denominator, dtype=float)
    if np.any(~(n > 0)):
        raise StatisticError("A funnel needs denominators above 0.")
    z = float(ndtri(1 - (1 - confidence) / 2))
    half = z * np.sqrt(target * (1 - target) / n)
    lower, upper = np.clip(target - half, 0, 1), np.clip(target + half, 0, 1)
    return (float(lower), float(upper)) if lower.ndim == 0 else (lower, upper)


def funnel_points(numerator: pd.Series, denominator: pd.Series, target: float) -> pd.DataFrame:
    """Each unit's proportion and where it lies against the funnel around ``target``.

    Parameters
    ----------
    numerator, denominator : pandas.Series
        Counts by unit code.
    target : float
        Target proportion (0-1).

    Returns
    -------
    pandas.DataFrame
        ``numerator``, ``denominator``, ``proportion``, the limits at each level
        (``lower_95``, ``upper_95``, ``lower_99.8``, ``upper_99.8``) and ``position``
        (one of :data:`POSITIONS`). Units without usable counts are dropped and listed in
        ``attrs["left_out"]``.
    """
    x = pd.to_numeric(numerator, errors="coerce").astype(float)
    n = pd.to_numeric(denominator, errors="coerce").astype(float).reindex(x.index)
    ok = x.notna() & n.notna() & (n > 0) & (x >= 0) & (x <= n)
    if not ok.any():
        raise StatisticError("No unit has a numerator between 0 and its denominator, so there is no funnel to draw.")
    table = pd.DataFrame({"numerator": x[ok], "denominator": n[ok]})
    table["proportion"] = table["numerator"] / table["denominator"]
    for level in LEVELS:
        lower, upper = proportion_limits(target, table["denominator"].to_numpy(), level)
        table[f"lower_{level * 100:g}"], table[f"upper_{level * 100:g}"] = lower, upper
    p = table["proportion"]
    table["position"] = np.select(
        [p > table["upper_99.8"], p > table["upper_95"], p < table["lower_99.8"], p < table["lower_95"]],
        [ABOVE_998, ABOVE_95, BELOW_998, BELOW_95], WITHIN)
    table.attrs["left_out"] = x.index[~ok].astype(str).tolist()
    table.attrs["target"] = float(target)
    return table


def funnel_curve(target: float, n_min: float, n_max: float, points: int = 200) -> pd.DataFrame:
    """The control limits along denominators from ``n_min`` to ``n_max`` (geometric steps), for drawing."""
    if not 0 < n_min <= n_max:
        raise StatisticError(f"A funnel's range of denominators must be above 0 (got {n_min} to {n_max}).")
    n = np.geomspace(n_min, n_max, points)
    curve = pd.DataFrame({"denominator": n})
    for level in LEVELS:
        curve[f"lower_{level * 100:g}"], curve[f"upper_{level * 100:g}"] = proportion_limits(target, n, level)
    return curve
