"""Benchmarks for indicators with intervals: the district and England values, and
each area's Better / Similar / Worse against them.

An indicator spec with ``compare = true`` gets two benchmarks computed from its
own source file (the file must hold every area of the coverage, e.g. England):

* for a ratio (numerator / denominator), the summed numerators over the summed
  denominators: of the district's areas (or practices), and of every row of the
  file (the source's ``coverage``, e.g. England);
* for a published value with its interval (life expectancy), the mean of the
  values weighted by ``benchmark_weight`` (e.g. person-years): an approximation
  of the pooled figure, labelled as such, since the file holds no district or
  England row.

Each area is then "Similar" when the benchmark lies inside its 95% interval,
otherwise "Better" or "Worse" according to the indicator's polarity (OHID
Fingertips method, :func:`atlas.stats.compare`; "Higher" / "Lower" for
indicators without a polarity, "Not compared" where an area has no interval).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .readers import apply_where, member_of, to_number
from .specs import IndicatorSpec
from .stats import compare


@dataclass
class Benchmark:
    """One benchmark value of an indicator.

    Attributes
    ----------
    area : str
        ``district`` or ``england`` (the source's coverage).
    label : str
        The area's name as shown ("Luton", "England").
    value : float
    numerator, denominator : float or None
        Summed counts, for ratio benchmarks.
    areas : int
        How many areas (or practices) it is computed from.
    method : str
        How it was computed, in words.
    """

    area: str
    label: str
    value: float
    numerator: float | None
    denominator: float | None
    areas: int
    method: str

    def as_dict(self) -> dict:
        """Plain values for the build report (JSON)."""
        return {"area": self.area, "label": self.label, "value": _plain(self.value),
                "numerator": _plain(self.numerator), "denominator": _plain(self.denominator),
                "areas": self.areas, "method": self.method}


def compute(table: pd.DataFrame, indicator: IndicatorSpec, district_codes, district_label: str) -> list[Benchmark]:
    """The district and national benchmarks of one indicator from its whole source table.

    Parameters
    ----------
    table : pandas.DataFrame
        The source table as read (every row of the file, filtered by the source's
        ``where``; the indicator's own ``where`` is applied here).
    indicator : IndicatorSpec
    district_codes : iterable of str
        Codes of the district's areas or practices.
    district_label : str
        The district's name.

    Returns
    -------
    list of Benchmark
        The district's, then the coverage's (when the source names one).
    """
    rows = apply_where(table, indicator.where)
    in_district = member_of(rows[indicator.source.key], set(district_codes))
    out = [_benchmark(rows[in_district], indicator, "district", district_label)]
    if indicator.source.coverage:
        out.append(_benchmark(rows, indicator, "england", indicator.source.coverage))
    return out


def _benchmark(rows: pd.DataFrame, indicator: IndicatorSpec, area: str, label: str) -> Benchmark:
    if indicator.numerator:
        numerator = float(sum(to_number(rows[c]).sum() for c in indicator.numerator))
        denominator = float(to_number(rows[indicator.denominator]).sum())
        value = numerator / denominator * indicator.scale if denominator > 0 else np.nan
        method = (f"all {len(rows):,} rows' summed {' + '.join(indicator.numerator)} over summed "
                  f"{indicator.denominator}")
        return Benchmark(area, label, value, numerator, denominator, len(rows), method)
    values = to_number(rows[indicator.column])
    weights = to_number(rows[indicator.benchmark_weight])
    ok = values.notna() & weights.notna() & (weights > 0)
    value = float(np.average(values[ok], weights=weights[ok])) if ok.any() else np.nan
    method = (f"mean of the {int(ok.sum()):,} areas' values weighted by the file's column "
              f"'{indicator.benchmark_weight}' (an approximation of the pooled figure: the file has no {label} row)")
    return Benchmark(area, label, value, None, None, int(ok.sum()), method)


def classify_against(values: pd.DataFrame, benchmark: Benchmark, higher_is: str) -> pd.Series:
    """Better / Similar / Worse (Higher / Lower without a polarity) of each area against one benchmark.

    Parameters
    ----------
    values : pandas.DataFrame
        Indexed by code, with ``lower`` and ``upper`` (95% limits).
    benchmark : Benchmark
    higher_is : str
        The indicator's polarity.

    Returns
    -------
    pandas.Series of str
        "Not compared" where the area has no interval (:func:`atlas.stats.compare`).
    """
    labels = compare(values["lower"].to_numpy(dtype=float), values["upper"].to_numpy(dtype=float),
                     benchmark.value, higher_is)
    return pd.Series(np.atleast_1d(labels), index=values.index, dtype=object)


def add_comparisons(values: pd.DataFrame, found: list[Benchmark], higher_is: str) -> pd.DataFrame:
    """``values`` with one column ``vs_<area>`` of Better / Similar / Worse per benchmark.

    Parameters
    ----------
    values : pandas.DataFrame
        Indexed by code, with ``lower`` and ``upper`` (95% limits).
    found : list of Benchmark
        The benchmarks (:func:`compute`); none adds no column.
    higher_is : str
        The indicator's polarity.

    Returns
    -------
    pandas.DataFrame
        A copy of ``values`` with the added columns (see :func:`classify_against`).
    """
    return values.assign(**{f"vs_{bench.area}": classify_against(values, bench, higher_is) for bench in found})


def describe(benchmarks: list[Benchmark], indicator: IndicatorSpec) -> str:
    """One sentence for the metadata's method: the benchmark values and how they were made."""
    parts = []
    for b in benchmarks:
        number = f"{b.value:,.{indicator.decimals}f}" if not pd.isna(b.value) else "no value"
        if b.numerator is not None:
            number += f" ({b.numerator:,.0f} / {b.denominator:,.0f})"
        parts.append(f"{b.label} {number}: {b.method}")
    return ("Better/Similar/Worse from the 95% interval against " + "; ".join(parts) +
            ". Similar when the benchmark lies inside the interval.")


def _plain(value):
    if value is None:
        return None
    value = float(value)
    return None if np.isnan(value) else value
