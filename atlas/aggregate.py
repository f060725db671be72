"""Aggregating small-area values to larger areas (wards, MSOAs).

Rules (``docs/METHODS.md``): rates and scores are population-weighted
means; counts are summed; a percentage with its numerator and denominator is
recomputed from the summed counts; national deciles do not average, so the
population share in each decile is reported instead; ranks are not aggregated.
A sum over areas where any value is missing is left missing (a partial total
would look like a real one) and reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The aggregation rules :func:`by_rule` knows (``none``, for ranks, is not aggregated).
RULES = ("weighted_mean", "sum", "ratio_of_sums", "decile_share")
#: Suffix of the layer a decile becomes on larger areas (the share of residents in deciles 1-2).
MOST_DEPRIVED_SUFFIX = "_most_deprived_20"
#: Prefix of the layer saying how much of each larger area's residents its ``<child>`` areas hold.
COVERAGE_PREFIX = "coverage_"
#: A larger area whose assigned smaller areas hold residents further than this share from its own is flagged.
COVERAGE_TOLERANCE = 0.10


@dataclass
class Aggregated:
    """Aggregated values of one layer.

    Attributes
    ----------
    columns : pandas.DataFrame
        Indexed by parent code: ``value`` and, for ratios, ``numerator`` and
        ``denominator``.
    incomplete : list of str
        Parents for which some child value was missing.
    shares : pandas.DataFrame or None
        For deciles: ``code, decile, population, areas, share``.
    """

    columns: pd.DataFrame
    incomplete: list[str]
    shares: pd.DataFrame | None = None


def by_rule(how: str, frame: pd.DataFrame, layer: str, parent: pd.Series, weights: pd.Series | None = None,
            scale: float = 1.0) -> Aggregated:
    """One layer of ``frame`` aggregated within each parent by its rule.

    Parameters
    ----------
    how : str
        The rule: ``weighted_mean``, ``sum``, ``ratio_of_sums`` or ``decile_share``.
    frame : pandas.DataFrame
        The child areas, with column ``layer`` (and ``<layer>_numerator`` and
        ``<layer>_denominator`` for a ratio).
    layer : str
        The layer's column.
    parent : pandas.Series
        The parent code of each child area (indexed as ``frame``).
    weights : pandas.Series, optional
        Population weights of a mean or decile shares (unweighted when absent).
    scale : float
        Multiplier of a ratio (100 for a percentage).

    Returns
    -------
    Aggregated

    Raises
    ------
    ValueError
        If ``how`` is not one of ``RULES``.
    """
    if how == "weighted_mean":
        return weighted_mean(frame[layer], parent, weights)
    if how == "sum":
        return total(frame[layer], parent)
    if how == "ratio_of_sums":
        return ratio_of_sums(frame[f"{layer}_numerator"], frame[f"{layer}_denominator"], parent, scale)
    if how == "decile_share":
        return decile_shares(frame[layer], parent, weights)
    raise ValueError(f"No aggregation rule {how!r}; the rules are {', '.join(RULES)}.")


def weighted_mean(values: pd.Series, parent: pd.Series, weights: pd.Series | None) -> Aggregated:
    """Population-weighted mean of ``values`` within each parent.

    Children with a missing value or weight are left out of their parent's
    mean; such parents are listed as incomplete.
    """
    frame = pd.DataFrame({"v": values, "p": parent})
    frame["w"] = 1.0 if weights is None else weights
    frame = frame.dropna(subset=["p"])
    ok = frame["v"].notna() & frame["w"].notna() & (frame["w"] > 0)
    incomplete = sorted(frame.loc[~ok, "p"].unique())
    good = frame[ok]
    sums = (good["v"] * good["w"]).groupby(good["p"]).sum()
    totals = good["w"].groupby(good["p"]).sum()
    value = (sums / totals).reindex(sorted(frame["p"].unique()))
    return Aggregated(pd.DataFrame({"value": value}), incomplete)


def total(values: pd.Series, parent: pd.Series) -> Aggregated:
    """Sum of ``values`` within each parent; missing if any child is missing.

    Parents come out sorted by code. (Counted with ``numpy.bincount`` over the
    factorized parents: a district build sums hundreds of layers, and a pandas
    group-by over text codes costs milliseconds each.)
    """
    if not values.index.equals(parent.index):
        values, parent = values.align(parent, join="outer")
    ids, parents = pd.factorize(parent, sort=True)  # -1: no parent
    kept = ids >= 0
    ids = ids[kept]
    numbers = pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)[kept]
    missing = np.isnan(numbers)
    sums = np.bincount(ids, weights=np.where(missing, 0.0, numbers), minlength=len(parents))
    has_missing = np.bincount(ids, weights=missing, minlength=len(parents)) > 0
    sums[has_missing] = np.nan
    index = pd.Index(parents, name="p")
    return Aggregated(pd.DataFrame({"value": sums}, index=index), list(index[has_missing]))


def ratio_of_sums(numerator: pd.Series, denominator: pd.Series, parent: pd.Series, scale: float) -> Aggregated:
    """Summed numerator over summed denominator (times ``scale``) within each parent."""
    num = total(numerator, parent)
    den = total(denominator, parent)
    n, d = num.columns["value"], den.columns["value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(d > 0, n / d * scale, np.nan)
    columns = pd.DataFrame({"value": value, "numerator": n, "denominator": d}, index=n.index)
    return Aggregated(columns, sorted(set(num.incomplete) | set(den.incomplete)))


def decile_shares(deciles: pd.Series, parent: pd.Series, weights: pd.Series | None) -> Aggregated:
    """Population (and number of areas) in each national decile within each parent.

    ``value`` is the percentage of the parent's population living in areas in
    national deciles 1 and 2 (the most deprived 20% nationally).
    """
    frame = pd.DataFrame({"d": deciles, "p": parent})
    frame["w"] = 1.0 if weights is None else weights
    frame = frame.dropna(subset=["p"])
    bad = (frame["d"].isna() | frame["w"].isna()).to_numpy()
    incomplete = sorted(frame.loc[bad, "p"].unique())
    parents = pd.Index(sorted(frame["p"].unique()))
    good = frame[~bad]
    decile = good["d"].to_numpy(dtype=float).astype(int)
    if len(decile) and (decile.min() < 0 or decile.max() > 10):
        raise ValueError(f"national deciles must be 1 to 10, not {decile.min()} to {decile.max()}")
    # one bin per (parent, decile), in the order of parents then deciles (numpy, not a groupby per layer)
    key = parents.get_indexer(good["p"]) * 11 + decile
    size = len(parents) * 11
    population = np.bincount(key, weights=good["w"].to_numpy(dtype=float), minlength=size)
    areas = np.bincount(key, minlength=size)
    used = np.flatnonzero(areas)
    shares = pd.DataFrame({"code": parents[used // 11], "decile": (used % 11).astype("int64"),
                           "population": population[used], "areas": areas[used].astype("int64")})
    totals = np.bincount(used // 11, weights=population[used], minlength=len(parents))
    shares["share"] = shares["population"] / totals[used // 11]
    most20 = np.bincount(used // 11, weights=np.where(shares["decile"] <= 2, shares["share"], 0.0),
                         minlength=len(parents))
    value = pd.Series(most20 * 100.0, index=parents)
    value[~value.index.isin(shares["code"])] = np.nan
    return Aggregated(pd.DataFrame({"value": value}), incomplete, shares)


def method_text(how: str, child_label: str, weight_label: str | None, assignment: str) -> str:
    """How a layer was aggregated from smaller areas, in words (for its metadata and the build report).

    Parameters
    ----------
    how : str
        The rule: ``weighted_mean``, ``sum``, ``ratio_of_sums`` or ``decile_share``.
    child_label, weight_label : str
        The smaller areas' label and the weight's label (None: unweighted).
    assignment : str
        How the smaller areas were assigned to the larger.

    Returns
    -------
    str
    """
    weighting = f"weighted by {weight_label}" if weight_label else "unweighted"
    text = {
        "weighted_mean": f"population-weighted mean of {child_label} values ({weighting})",
        "sum": f"sum of {child_label} values",
        "ratio_of_sums": f"summed numerators over summed denominators of {child_label} areas",
        "decile_share": f"share of residents ({weighting}) in {child_label} areas in national deciles 1-2",
    }[how]
    return f"{text}; {child_label} areas assigned by {assignment}"


def decile_share_display(indicator, layer_id: str) -> dict:
    """How a decile layer aggregated to larger areas is shown: the share of residents in deciles 1-2.

    Parameters
    ----------
    indicator : atlas.specs.IndicatorSpec
        The decile indicator (its ``label`` and ``description`` are used).
    layer_id : str
        The aggregated layer's id (``<indicator>_most_deprived_20``).

    Returns
    -------
    dict
        ``layer``, ``units``, ``kind``, ``higher_is``, ``label`` and ``description``
        for :func:`atlas.model.indicator_row`.
    """
    return {"layer": layer_id, "units": "%", "kind": "percentage", "higher_is": "worse",
            "label": f"{indicator.label}: % of residents in the most deprived 20% nationally",
            "description": (f"Share of residents living in LSOAs in national deciles 1-2 of "
                            f"{indicator.label}. {indicator.description}")}


def coverage(assigned: pd.Series, reference: pd.Series, tolerance: float = COVERAGE_TOLERANCE) -> pd.DataFrame:
    """How much of each larger area's residents the smaller areas assigned to it hold.

    Parameters
    ----------
    assigned : pandas.Series
        Residents of the smaller areas assigned to each larger area (summed), by its code.
    reference : pandas.Series
        The larger area's own residents (from a set that fits it), by code.
    tolerance : float
        A larger area whose ``assigned / reference`` is further than this from 1 is flagged.

    Returns
    -------
    pandas.DataFrame
        Indexed by code: ``assigned``, ``reference``, ``share`` (assigned as % of reference; missing
        when the reference is missing or 0) and ``differs`` (the share is more than ``tolerance`` off 100%).
    """
    assigned = pd.to_numeric(assigned, errors="coerce").astype(float)
    reference = pd.to_numeric(reference, errors="coerce").astype(float).reindex(assigned.index)
    share = (assigned / reference.where(reference > 0)) * 100.0
    differs = (share - 100.0).abs() > tolerance * 100.0
    return pd.DataFrame({"assigned": assigned, "reference": reference, "share": share, "differs": differs})


def coverage_layer(child: str) -> str:
    """The id of the coverage layer of areas aggregated from ``child`` (``coverage_lsoa11``)."""
    return COVERAGE_PREFIX + child


def coverage_of(frame: pd.DataFrame, child: str, tolerance: float = COVERAGE_TOLERANCE) -> pd.DataFrame | None:
    """The coverage columns a build wrote for areas aggregated from ``child``, or None when it wrote none.

    Parameters
    ----------
    frame : pandas.DataFrame
        A geography's table (wards).
    child : str
        The smaller areas' geography (``lsoa11``).
    tolerance : float
        As in :func:`coverage`.

    Returns
    -------
    pandas.DataFrame or None
        As :func:`coverage`, indexed as ``frame``.
    """
    layer = coverage_layer(child)
    needed = (f"{layer}_assigned", f"{layer}_reference")
    if any(column not in frame.columns for column in needed):
        return None
    return coverage(frame[needed[0]], frame[needed[1]], tolerance)


def coverage_text(share: float, assigned: float, reference: float, tolerance: float = COVERAGE_TOLERANCE) -> str | None:
    """One area's coverage in words: "41% (1,580 of 3,880 residents): more than 10% off", None when unknown.

    Parameters
    ----------
    share, assigned, reference : float
        A row of :func:`coverage`.
    tolerance : float
        As in :func:`coverage`.

    Returns
    -------
    str or None
    """
    if share is None or pd.isna(share):
        return None
    text = f"{share:,.0f}% ({assigned:,.0f} of {reference:,.0f} residents)"
    if abs(share - 100.0) > tolerance * 100.0:
        text += f": more than {tolerance:.0%} off, so its figures describe a different population"
    return text
