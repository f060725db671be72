"""Rates, ratios, their confidence intervals and Better / Similar / Worse, as Fingertips computes them.

The formulas are OHID's (PHEindicatormethods, and the Fingertips technical guidance):

* **Proportions**: Wilson score interval,
  ``(2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))``.
* **Counts and crude rates**: Byar's approximation,
  ``lower = O (1 - 1/(9O) - z/(3 sqrt O))^3`` and
  ``upper = (O+1) (1 - 1/(9(O+1)) + z/(3 sqrt(O+1)))^3``; for counts under 10 the
  exact Poisson limits ``chi2(alpha/2; 2O)/2`` and ``chi2(1-alpha/2; 2O+2)/2``.
  A rate's limits are the count's limits over the denominator.
* **Standardised ratios** (SMR, SAR): observed / expected, with the observed
  count's limits divided by the expected count.
* **Comparison with a benchmark**: "Similar" when the benchmark lies inside the
  area's interval; otherwise "Better" or "Worse" by the indicator's polarity
  ("Higher" / "Lower" when it has none). Fingertips uses 95% and 99.8%.

Every function takes scalars or arrays (NumPy broadcasting) and returns the same.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaincinv, ndtri

from ..errors import StatisticError

LEVELS = (0.95, 0.998)
BETTER, SIMILAR, WORSE, HIGHER, LOWER = "Better", "Similar", "Worse", "Higher", "Lower"
NOT_COMPARED = "Not compared"
#: Counts below this get exact Poisson limits instead of Byar's.
EXACT_BELOW = 10


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise StatisticError(f"The confidence level must be between 0 and 1, e.g. 0.95 (got {confidence}).")
    return float(ndtri(1 - (1 - confidence) / 2))


def _unwrap(value):
    array = np.asarray(value, dtype=float)
    return float(array) if array.ndim == 0 else array


def wilson_interval(numerator, denominator, confidence: float = 0.95):
    """Wilson score interval of a proportion ``numerator / denominator``.

    Parameters
    ----------
    numerator, denominator : float or array-like
        Counts; ``0 <= numerator <= denominator``, ``denominator > 0``.
    confidence : float
        e.g. 0.95 or 0.998.

    Returns
    -------
    (lower, upper)
        Limits as proportions (0-1); multiply by 100 for percentages.

    Raises
    ------
    StatisticError
        For a negative count, a zero denominator or a numerator above the denominator.
    """
    z = _z(confidence)
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    if np.any(x < 0) or np.any(n <= 0) or np.any(x > n):
        raise StatisticError("A proportion needs 0 <= numerator <= denominator and a denominator above 0.")
    root = z * np.sqrt(z * z + 4 * x * (1 - x / n))
    lower = (2 * x + z * z - root) / (2 * (n + z * z))
    upper = (2 * x + z * z + root) / (2 * (n + z * z))
    return _unwrap(np.clip(lower, 0, 1)), _unwrap(np.clip(upper, 0, 1))


def byar_interval(count, confidence: float = 0.95):
    """Confidence interval of a count: Byar's method, exact Poisson limits under 10.

    Parameters
    ----------
    count : float or array-like
        Observed count(s), 0 or more.
    confidence : float

    Returns
    -------
    (lower, upper)
        Limits of the count.
    """
    z = _z(confidence)
    o = np.asarray(count, dtype=float)
    if np.any(o < 0) or np.any(np.isnan(o)):
        raise StatisticError("A count must be 0 or more to have a confidence interval.")
    alpha = 1 - confidence
    with np.errstate(divide="ignore", invalid="ignore"):
        byar_lower = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
        byar_upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
        # chi2(q; 2k) / 2 is the gamma(k) quantile q
        exact_lower = np.where(o > 0, gammaincinv(np.maximum(o, 1e-300), alpha / 2), 0.0)
        exact_upper = gammaincinv(o + 1, 1 - alpha / 2)
    exact = o < EXACT_BELOW
    lower = np.where(exact, exact_lower, byar_lower)
    upper = np.where(exact, exact_upper, byar_upper)
    return _unwrap(lower), _unwrap(upper)


def rate_interval(count, denominator, per: float = 100_000, confidence: float = 0.95):
    """A crude rate per ``per`` with its Byar (exact under 10) interval.

    Returns
    -------
    (rate, lower, upper)
    """
    n = np.asarray(denominator, dtype=float)
    if np.any(n <= 0):
        raise StatisticError("A rate needs a denominator above 0.")
    lower, upper = byar_interval(count, confidence)
    scale = per / n
    return (_unwrap(np.asarray(count, dtype=float) * scale), _unwrap(np.asarray(lower) * scale),
            _unwrap(np.asarray(upper) * scale))


def standardised_ratio(observed, expected, per: float = 100, confidence: float = 0.95):
    """A standardised ratio (SMR, SAR) observed / expected, times ``per``, with its interval.

    Returns
    -------
    (ratio, lower, upper)
        The limits are the observed count's Byar (exact under 10) limits over the expected count.
    """
    e = np.asarray(expected, dtype=float)
    if np.any(e <= 0):
        raise StatisticError("A standardised ratio needs an expected count above 0.")
    return rate_interval(observed, e, per=per, confidence=confidence)


def compare(lower, upper, benchmark, higher_is: str = "worse"):
    """Better / Similar / Worse than a benchmark, from the area's confidence interval.

    Parameters
    ----------
    lower, upper : float or array-like
        The area's confidence limits (at the level wanted: 95% or 99.8%).
    benchmark : float or array-like
        The benchmark value (the authority or England).
    higher_is : {"worse", "better", "neutral"}
        The indicator's polarity; with "neutral" the answer is Higher / Similar / Lower.

    Returns
    -------
    str or numpy.ndarray of str
        "Similar" when the benchmark lies inside the interval (limits included);
        "Not compared" when a limit or the benchmark is missing.
    """
    if higher_is not in ("worse", "better", "neutral"):
        raise StatisticError(f"higher_is must be 'worse', 'better' or 'neutral' (got {higher_is!r}).")
    lo, hi, bench = (np.asarray(v, dtype=float) for v in (lower, upper, benchmark))
    above = lo > bench
    below = hi < bench
    high_word, low_word = {"worse": (WORSE, BETTER), "better": (BETTER, WORSE), "neutral": (HIGHER, LOWER)}[higher_is]
    missing = np.isnan(lo) | np.isnan(hi) | np.isnan(bench)
    result = np.where(missing, NOT_COMPARED, np.where(above, high_word, np.where(below, low_word, SIMILAR)))
    return str(result) if result.ndim == 0 else result


def compare_count(count, denominator, benchmark, kind: str = "proportion", higher_is: str = "worse",
                  levels=LEVELS, per: float = 1.0) -> dict:
    """Compare an area's count-based value with a benchmark at each Fingertips level.

    Parameters
    ----------
    count, denominator : float
        Numerator and denominator (population, or expected count for a ratio).
    benchmark : float
        Benchmark on the same scale as ``count / denominator * per``.
    kind : {"proportion", "rate", "ratio"}
        Wilson interval for proportions, Byar/exact for rates and ratios.
    higher_is : str
    levels : sequence of float
        Confidence levels (default 95% and 99.8%).
    per : float
        Scale of the value (100 for a percentage, 100,000 for a rate per 100,000).

    Returns
    -------
    dict
        ``value`` and, per level (key such as ``"95%"``), ``lower``, ``upper`` and ``comparison``.
    """
    if kind not in ("proportion", "rate", "ratio"):
        raise StatisticError(f"kind must be 'proportion', 'rate' or 'ratio' (got {kind!r}).")
    out: dict = {"value": float(count) / float(denominator) * per}
    for level in levels:
        if kind == "proportion":
            lo, hi = (v * per for v in wilson_interval(count, denominator, level))
        else:
            _, lo, hi = rate_interval(count, denominator, per=per, confidence=level)
        out[f"{level * 100:g}%"] = {"lower": lo, "upper": hi, "comparison": compare(lo, hi, benchmark, higher_is)}
    return out


def proportion_interval(numerator, denominator) -> tuple[np.ndarray, np.ndarray]:
    """95% Wilson interval (as fractions) where ``0 <= numerator <= denominator > 0``; NaN elsewhere."""
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    ok = (n > 0) & (x >= 0) & (x <= n)
    lower, upper = np.full(x.shape, np.nan), np.full(x.shape, np.nan)
    if ok.any():
        lower[ok], upper[ok] = wilson_interval(x[ok], n[ok])
    return lower, upper
