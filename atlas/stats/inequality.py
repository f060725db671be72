"""Inequality within an authority: 20:20 and 10:10 indices, area Gini, slope index of inequality.

* **20:20 index** (English Atlas of Inequality, Rae & Nyanzu 2019): the
  authority's LSOAs in national Income-domain deciles 9-10 (least deprived 20%
  of England) and 1-2 (most deprived 20%), shown "least : most" and as the
  share ``|least - most| / n``. The 10:10 variant uses deciles 10 and 1.
* **Area Gini**: a Gini coefficient over areas (PySAL ``inequality``), weighted
  by population when one is given. It is *not* the household-income Gini the
  English Atlas of Inequality publishes (that needs household income bands,
  which these data do not hold), and is labelled so everywhere.
* **Slope index of inequality** (OHID, after Low & Low 2004): a
  population-weighted regression of the outcome on relative rank, its
  confidence interval by simulation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..errors import StatisticError
from .moran import DEFAULT_SEED, MIN_AREAS

GINI_LABEL = "area Gini"
GINI_NOTE = ("A Gini coefficient over areas, not the household-income Gini published by the English Atlas "
             "of Inequality: that one is computed from household income bands, which these data do not hold.")
DEFAULT_SIMULATIONS = 100_000


# -- 20:20 and 10:10 ------------------------------------------------------------------------------

def twenty_twenty(deciles, name: str | None = None) -> dict:
    """The 20:20 index: areas in the least and most deprived 20% nationally.

    Parameters
    ----------
    deciles : pandas.Series or array-like
        National deciles, 1 = most deprived 10% of England (IoD2019 Income
        domain for the published index). Missing values are counted and left out.
    name : str, optional
        What the areas are, for messages.

    Returns
    -------
    dict
        ``least`` (areas in deciles 9-10), ``most`` (deciles 1-2), ``share``
        (``|least - most| / n``), ``n`` (areas with a decile), ``missing``
        (areas without) and ``label`` ("least : most").

    Raises
    ------
    StatisticError
        If no area has a decile, or a value is not a whole number from 1 to 10.
    """
    return _extremes(deciles, low=(1, 2), high=(9, 10), name=name)


def ten_ten(deciles, name: str | None = None) -> dict:
    """The 10:10 index: areas in decile 10 (least deprived) and decile 1 (most deprived).

    Same parameters and result as :func:`twenty_twenty`.
    """
    return _extremes(deciles, low=(1,), high=(10,), name=name)


def _extremes(deciles, low: tuple, high: tuple, name: str | None) -> dict:
    series = deciles if isinstance(deciles, pd.Series) else pd.Series(np.asarray(deciles, dtype=object).ravel())
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    present = values[~np.isnan(values)]
    bad = present[(present % 1 != 0) | (present < 1) | (present > 10)]
    if len(bad):
        raise StatisticError(f"National deciles must be whole numbers from 1 to 10; {name or 'the areas'} "
                             f"have {len(bad)} other value(s), e.g. {bad[0]:g}.")
    if not len(present):
        raise StatisticError(f"No area of {name or 'these areas'} has a national decile: no 20:20 index.")
    least = int(np.isin(present, high).sum())
    most = int(np.isin(present, low).sum())
    n = int(len(present))
    return {"least": least, "most": most, "share": abs(least - most) / n, "n": n,
            "missing": int(len(values) - n), "label": f"{least} : {most}"}


# -- area Gini ------------------------------------------------------------------------------------

@dataclass
class AreaGini:
    """A Gini coefficient over areas (never the household-income Gini).

    Attributes
    ----------
    gini : float
        From 0 (every area the same) to 1 (everything in one area).
    n : int
        Areas included.
    population_weighted : bool
    left_out : list
        Areas left out (missing value or population).
    label, note : str
        "area Gini", and what it is not.
    """

    gini: float
    n: int
    population_weighted: bool
    left_out: list = field(default_factory=list)
    label: str = GINI_LABEL
    note: str = GINI_NOTE

    def as_dict(self) -> dict:
        """Plain values (JSON-ready)."""
        return asdict(self)


def area_gini(values, population=None, name: str | None = None) -> AreaGini:
    """Gini coefficient of an indicator over areas, population-weighted when a population is given.

    Unweighted, it is PySAL's ``inequality.gini.Gini``. Weighted, each area
    counts as many times as it has residents: ``G = sum_i sum_j p_i p_j
    |x_i - x_j| / (2 P^2 mean)``, computed from the Lorenz curve.

    Parameters
    ----------
    values : pandas.Series or array-like
        Indicator values (must be 0 or more, not all 0).
    population : pandas.Series or array-like, optional
        Residents of each area (aligned on the index of ``values`` if both are Series).
    name : str, optional
        What the areas are, for messages.

    Returns
    -------
    AreaGini

    Raises
    ------
    StatisticError
        Fewer than 3 areas, a negative value or population, or every value 0.
    """
    from inequality.gini import Gini  # imported when needed: the package imports matplotlib

    what = name or "these areas"
    x = pd.Series(values) if not isinstance(values, pd.Series) else values
    x = pd.to_numeric(x, errors="coerce").astype(float)
    weights = None
    if population is not None:
        if isinstance(population, pd.Series) and isinstance(values, pd.Series):
            weights = pd.to_numeric(population.reindex(x.index), errors="coerce").astype(float)
        else:
            given = np.asarray(population, dtype=float).ravel()
            if len(given) != len(x):
                raise StatisticError(f"{len(given)} populations were given for {len(x)} values of {what}.")
            weights = pd.Series(given, index=x.index)
    ok = x.notna() & np.isfinite(x) & (weights.notna() if weights is not None else True)
    left_out = x.index[~ok].tolist()
    x = x[ok]
    if len(x) < MIN_AREAS:
        raise StatisticError(f"The area Gini cannot be computed for {what}: it needs at least {MIN_AREAS} "
                             f"areas with a value, and there {'is' if len(x) == 1 else 'are'} {len(x)}.")
    if (x < 0).any():
        raise StatisticError(f"The area Gini cannot be computed for {what}: it needs values of 0 or more, and "
                             f"{int((x < 0).sum())} area(s) have negative values (e.g. {x[x < 0].index[0]}).")
    if x.sum() == 0:
        raise StatisticError(f"The area Gini cannot be computed for {what}: every value is 0.")
    if weights is None:
        return AreaGini(_clip(Gini(x.to_numpy()).g), len(x), False, left_out)
    p = weights[ok].to_numpy()
    if (p < 0).any():
        raise StatisticError(f"Populations must be 0 or more; {what} have negative ones.")
    if p.sum() == 0:
        raise StatisticError(f"The area Gini cannot be weighted for {what}: every population is 0.")
    return AreaGini(_clip(_weighted_gini(x.to_numpy(), p)), len(x), True, left_out)


def _clip(gini: float) -> float:
    """Remove rounding noise (a Gini of equal values can come out as -1e-17)."""
    return float(min(max(gini, 0.0), 1.0))


def _weighted_gini(x: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(x, kind="mergesort")
    x, p = x[order], p[order]
    share = p / p.sum()
    lorenz = np.concatenate([[0.0], np.cumsum(x * p) / (x * p).sum()])
    return float(1.0 - (share * (lorenz[:-1] + lorenz[1:])).sum())


# -- slope index of inequality --------------------------------------------------------------------

@dataclass
class SlopeIndex:
    """The slope index of inequality (SII) and its simulated confidence intervals.

    Attributes
    ----------
    sii : float
        Fitted value at relative rank 1 (least deprived) minus at rank 0 (most
        deprived), times ``multiplier``: positive when values rise as
        deprivation falls.
    intervals : dict of float to (float, float)
        Lower and upper limits by confidence level (e.g. ``{0.95: (lo, hi)}``).
    rii : float
        Relative index of inequality: fitted value at rank 1 over that at rank 0.
    relative_rank : list of float
        Each group's relative rank (midpoint of its cumulative population share,
        most deprived first).
    groups : int
    simulations, seed : int
        Number of simulated samples and their seed.
    value_type : str
        ``normal``, ``rate`` (simulated on the log scale) or ``proportion`` (logit scale).
    method : str
        The method in words, to show beside the figure.
    """

    sii: float
    intervals: dict
    rii: float
    relative_rank: list
    groups: int
    simulations: int
    seed: int
    value_type: str
    method: str

    @property
    def lower(self) -> float:
        """Lower 95% limit (or of the first level requested)."""
        return next(iter(self.intervals.values()))[0]

    @property
    def upper(self) -> float:
        """Upper 95% limit (or of the first level requested)."""
        return next(iter(self.intervals.values()))[1]

    def as_dict(self) -> dict:
        """Plain values (JSON-ready; interval keys as strings such as "95%")."""
        out = asdict(self)
        out["intervals"] = {f"{level * 100:g}%": list(limits) for level, limits in self.intervals.items()}
        return out


_VALUE_TYPES = {
    "normal": (lambda v: v, lambda v: v),
    "rate": (np.log, np.exp),
    "proportion": (lambda v: np.log(v / (1 - v)), lambda v: np.exp(v) / (1 + np.exp(v))),
}


def slope_index(values, population, se=None, lower=None, upper=None, value_type: str = "normal",
                confidence=(0.95,), simulations: int = DEFAULT_SIMULATIONS, seed: int = DEFAULT_SEED,
                multiplier: float = 1.0, name: str | None = None) -> SlopeIndex:
    """Slope index of inequality by the OHID method (PHEindicatormethods ``phe_sii``).

    Each deprivation group (decile or quintile, local or national: say which
    beside the figure) gets a relative rank, the midpoint of its range in the
    cumulative population share, most deprived first. The SII is the slope of
    the population-weighted least-squares line of the value on relative rank
    (fitted as ``y sqrt(a) ~ sqrt(a) + b sqrt(a)`` without intercept, ``a`` the
    population share, ``b`` the rank), i.e. the fitted difference across the
    whole range. Its confidence interval comes from ``simulations`` samples of
    each group's value from a normal distribution with the group's standard
    error (on the log scale for rates, the logit scale for proportions),
    taking the sorted simulated SIIs at the positions ``round(S (1 - c) / 2)``
    and ``round(S (1 + c) / 2)``.

    Parameters
    ----------
    values : array-like
        One value per group, **most deprived group first** (a Series indexed by
        group number 1..k is sorted by its index).
    population : array-like
        Population of each group (all above 0), same order.
    se : array-like, optional
        Standard error of each value (on the value's scale for ``normal``; on
        the log or logit scale for rates and proportions, as OHID's ``se``).
    lower, upper : array-like, optional
        95% confidence limits of each value, used when ``se`` is not given:
        ``se = (upper - lower) / (2 * 1.959964)`` on the transformed scale.
    value_type : {"normal", "rate", "proportion"}
        ``normal`` for life expectancy and other means.
    confidence : float or sequence of float
        Confidence level(s) of the interval (default 0.95; 0.998 for Fingertips' other level).
    simulations : int
        Simulated samples (default 100,000, as OHID; at least 1,000).
    seed : int
        Seed of the simulation: the same seed gives the same interval.
    multiplier : float
        Multiply the SII and its limits by this (e.g. -1 to reverse the polarity).
    name : str, optional
        What is being measured, for messages.

    Returns
    -------
    SlopeIndex

    Raises
    ------
    StatisticError
        Fewer than 5 groups (OHID's minimum), a missing value, population or
        standard error, a population of 0 or less, or proportions outside 0-1.
    """
    what = name or "the slope index of inequality"
    if value_type not in _VALUE_TYPES:
        raise StatisticError(f"value_type must be one of {', '.join(_VALUE_TYPES)} (got {value_type!r}).")
    if simulations < 1000:
        raise StatisticError(f"The SII needs at least 1,000 simulations for its interval (got {simulations}).")
    levels = (confidence,) if np.isscalar(confidence) else tuple(confidence)
    if not all(0.5 < c < 1 for c in levels):
        raise StatisticError(f"Confidence levels must be between 0.5 and 1 (got {levels}).")
    y, pop, sd = _sii_inputs(values, population, se, lower, upper, value_type, what)
    share = pop / pop.sum()
    rank = np.cumsum(share) - share / 2
    sqrt_a = np.sqrt(share)
    design = np.column_stack([sqrt_a, rank * sqrt_a])
    solve = np.linalg.pinv(design)                      # (2, k): least-squares solution operator
    intercept, slope = solve @ (sqrt_a * y)
    forward, back = _VALUE_TYPES[value_type]
    rng = np.random.default_rng(seed)
    draws = back(rng.normal(forward(y)[:, None], sd[:, None], size=(len(y), simulations)))
    sims = multiplier * (solve @ (sqrt_a[:, None] * draws))[1]
    sims.sort()
    intervals = {}
    for level in levels:
        upper_q = level + (1 - level) / 2
        lo = sims[max(int(round(simulations * (1 - upper_q))) - 1, 0)]
        hi = sims[min(int(round(simulations * upper_q)) - 1, simulations - 1)]
        intervals[float(level)] = (float(lo), float(hi))
    rii = (intercept + slope) / intercept if intercept else float("nan")
    method = (f"Slope index of inequality (OHID method, Low & Low 2004): population-weighted linear regression "
              f"of the value on relative rank (midpoint of each of {len(y)} groups' cumulative population "
              f"share, most deprived first); confidence interval from {simulations:,} simulations "
              f"(seed {seed}), values drawn from a normal distribution"
              + ({"rate": " on the log scale", "proportion": " on the logit scale"}.get(value_type, "")) + ".")
    return SlopeIndex(float(multiplier * slope), intervals, float(1 / rii if multiplier < 0 else rii),
                      [float(r) for r in rank], len(y), int(simulations), int(seed), value_type, method)


def _sii_inputs(values, population, se, lower, upper, value_type, what):
    def column(data):
        if data is None:
            return None
        if isinstance(data, pd.Series):
            data = data.sort_index()
        return np.asarray(pd.to_numeric(pd.Series(np.asarray(data, dtype=object)), errors="coerce"), dtype=float)

    y = column(values)
    pop = column(population)
    if len(y) != len(pop):
        raise StatisticError(f"{what}: {len(y)} values but {len(pop)} populations; give one of each per group.")
    if not 5 <= len(y) <= 100:
        raise StatisticError(f"{what} needs 5 to 100 deprivation groups (OHID's rule); got {len(y)}.")
    if np.isnan(y).any():
        raise StatisticError(f"{what}: group(s) {_positions(np.isnan(y))} have no value; every group needs one.")
    if np.isnan(pop).any() or (pop <= 0).any():
        raise StatisticError(f"{what}: group(s) {_positions(np.isnan(pop) | (pop <= 0))} have a missing, zero "
                             f"or negative population; every group needs residents.")
    if value_type == "proportion" and ((y <= 0) | (y >= 1)).any():
        raise StatisticError(f"{what}: proportions must lie strictly between 0 and 1 (give 0-1, not percentages).")
    if value_type == "rate" and (y <= 0).any():
        raise StatisticError(f"{what}: rates must be above 0 to be simulated on the log scale.")
    forward = _VALUE_TYPES[value_type][0]
    if se is not None:
        sd = column(se)
    elif lower is not None and upper is not None:
        lo, hi = column(lower), column(upper)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = (forward(hi) - forward(lo)) / (2 * ndtri(0.975))
    else:
        raise StatisticError(f"{what} needs each group's standard error, or its 95% confidence limits.")
    if len(sd) != len(y) or np.isnan(sd).any() or (sd < 0).any():
        raise StatisticError(f"{what}: group(s) {_positions(np.isnan(sd) | (sd < 0)) or 'all'} have a missing or "
                             f"negative standard error (or confidence limits in the wrong order).")
    return y, pop, sd


def _positions(mask: np.ndarray) -> str:
    return ", ".join(str(i + 1) for i in np.flatnonzero(mask))


def local_quantiles(deprivation, population=None, k: int = 10) -> pd.Series:
    """Group areas into ``k`` local deprivation groups, 1 = most deprived, of near-equal population.

    Parameters
    ----------
    deprivation : pandas.Series
        A deprivation measure by area where **higher means more deprived**
        (e.g. the IMD score; for ranks where 1 is most deprived, pass ``-rank``).
    population : pandas.Series, optional
        Residents by area; without it the groups hold near-equal numbers of areas.
    k : int
        Number of groups (10 for local deciles, 5 for quintiles).

    Returns
    -------
    pandas.Series
        Group number (1..k) by area; areas without a measure get NA.
    """
    score = pd.to_numeric(deprivation, errors="coerce")
    present = score.dropna().sort_values(ascending=False, kind="mergesort")
    if len(present) < k:
        raise StatisticError(f"{len(present)} areas cannot be split into {k} deprivation groups.")
    if population is None:
        weights = pd.Series(1.0, index=present.index)
    else:
        weights = pd.to_numeric(population, errors="coerce").reindex(present.index).fillna(0.0)
    midpoint = (weights.cumsum() - weights / 2) / weights.sum()
    groups = np.minimum((midpoint.to_numpy() * k).astype(int) + 1, k)
    return pd.Series(groups, index=present.index).reindex(score.index).astype("Int64")
