"""Health figures computed from a built atlas: the life-expectancy gap by deprivation,
and practice-level prevalence aggregated to Primary Care Networks.

**Life-expectancy gap.** The district's MSOAs (2011) are ranked by their IMD 2019
score (the population-weighted mean of their LSOAs' scores, as the atlas
aggregates it) and split into *local* quintiles of near-equal population
(:func:`atlas.stats.local_quantiles`): deciles would hold two MSOAs each in a
district of about twenty. Each group's life expectancy is the population-weighted
mean of its MSOAs' published life expectancies, with a standard error from their
95% intervals (``se = (upper - lower) / (2 x 1.96)``, combined with the same
weights). The slope index of inequality (OHID method, :func:`atlas.stats.slope_index`)
is the fitted gap in years between the most and least deprived ends of the
district; the simple gap is least deprived group minus most deprived group.
These are not the ONS figures for deprivation deciles: they use MSOA life
expectancies for 2016-20, and say so beside every figure. Published figures
(``atlas/data/published_figures.toml``) are shown beside them, with their own
period and method.

**PCN prevalence.** A practice indicator with a numerator and denominator (QOF
register / list size) is aggregated to Primary Care Networks as summed registers
over summed lists, with a Wilson interval and Better/Similar/Worse against the
district and England benchmarks the build computed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import AtlasError, StatisticError
from .model import Atlas
from .specs import POINTS_PREFIX, Catalogue
from .stats import compare, local_quantiles, slope_index
from .stats.rates import proportion_interval

Z95 = 1.959963984540054
#: The sexes of the gap, with the role (``roles.toml``) of each one's life-expectancy layer.
SEX_ROLES = {"women": "life_expectancy_women", "men": "life_expectancy_men"}


def life_expectancy_layers(catalogue: Catalogue | None = None) -> dict[str, str]:
    """The life-expectancy layer of each sex, by the catalogue's roles."""
    catalogue = catalogue or Catalogue.load()
    return {sex: catalogue.role(role) for sex, role in SEX_ROLES.items()}
PUBLISHED_FILE = Path(__file__).resolve().parent / "data" / "published_figures.toml"
SII_SEED = 20240501


@dataclass
class LifeExpectancyGap:
    """Life expectancy by local deprivation group, for women and men.

    Attributes
    ----------
    groups : pandas.DataFrame
        One row per sex and group (1 = most deprived): ``sex``, ``group``,
        ``label``, ``msoas`` (count with a value), ``codes``, ``population``,
        ``imd_min``, ``imd_max``, ``value``, ``lower``, ``upper``, ``se``.
    sii : dict
        By sex: dict with ``sii``, ``lower``, ``upper`` (years, 95%) and
        ``method``, or ``message`` when it cannot be computed.
    gap : dict
        By sex: least deprived group minus most deprived group (years).
    missing : dict
        By sex: MSOAs without a published value (left out of their group).
    grouping, method, period : str
        What the figures are, in words.
    published : dict or None
        The district's published figures (``atlas/data/published_figures.toml``).
    note : str
        How ours and the published figures differ.
    membership : pandas.DataFrame
        By area code: the area's ``group``, ``name``, deprivation score, population and
        life expectancy of each sex.
    """

    groups: pd.DataFrame
    sii: dict
    gap: dict
    missing: dict
    grouping: str
    method: str
    period: str
    published: dict | None = None
    note: str = ""
    membership: pd.DataFrame = field(default_factory=pd.DataFrame)

    def comparison_table(self) -> pd.DataFrame:
        """Ours beside the published figures: most and least deprived group, and the gap, per sex."""
        rows = []
        for sex in SEX_ROLES:
            mine = self.groups[self.groups["sex"] == sex].set_index("group")
            if mine.empty:
                continue
            most, least = mine.loc[mine.index.min(), "value"], mine.loc[mine.index.max(), "value"]
            row = {"sex": sex, "ours_most_deprived": most, "ours_least_deprived": least,
                   "ours_gap": least - most, "ours_sii": self.sii.get(sex, {}).get("sii")}
            if self.published:
                p_most = self.published.get(f"{sex}_most_deprived")
                p_least = self.published.get(f"{sex}_least_deprived")
                row.update(published_most_deprived=p_most, published_least_deprived=p_least,
                           published_gap=(p_least - p_most) if p_most is not None and p_least is not None else None)
            rows.append(row)
        return pd.DataFrame(rows)


def life_expectancy_gap(built: Atlas, k: int = 5, geography: str | None = None, deprivation: str | None = None,
                        population: str | None = None, simulations: int = 100_000,
                        catalogue: Catalogue | None = None) -> LifeExpectancyGap:
    """Life expectancy by local deprivation group, the gap and the slope index of inequality.

    Parameters
    ----------
    built : Atlas
    k : int
        Number of local deprivation groups (5: quintiles).
    geography : str, optional
        Geography of the life-expectancy layers (default: the one they are published on).
    deprivation : str, optional
        Layer ranking the areas (higher = more deprived; default: the ``deprivation_score`` role).
    population : str, optional
        Layer weighting the groups and the group means (default: the ``deprivation_population`` role).
    simulations : int
        Simulations for the SII's confidence interval.
    catalogue : Catalogue, optional
        The specs whose roles name the layers (the project's by default).

    Returns
    -------
    LifeExpectancyGap

    Raises
    ------
    AtlasError
        If the atlas lacks the life-expectancy, deprivation or population layer.
    """
    catalogue = catalogue or Catalogue.load()
    sexes = life_expectancy_layers(catalogue)
    geography = geography or catalogue.indicators[sexes["women"]].geography
    deprivation = deprivation or catalogue.role("deprivation_score")
    population = population or catalogue.role("deprivation_population")
    frame = built.table(geography)
    for layer in (*sexes.values(), deprivation, population):
        built.layer(layer, geography)  # raises a clear error when absent
    groups = local_quantiles(frame[deprivation], frame[population], k=k)
    rows, sii, gap, missing = [], {}, {}, {}
    for sex, layer in sexes.items():
        missing[sex] = sorted(frame.index[frame[layer].isna()])
        table = _groups(frame, layer, groups, population, deprivation, k)
        rows.append(table.assign(sex=sex))
        complete = table.dropna(subset=["value"])
        gap[sex] = float(complete["value"].iloc[-1] - complete["value"].iloc[0]) if len(complete) >= 2 else None
        sii[sex] = _sii(table, sex, simulations)
    meta = built.layer(sexes["women"], geography)
    label = built.geography_labels.get(geography, geography)
    ranked_by = built.layer(deprivation, geography).get("label") or deprivation
    grouping = (f"local quintiles: {built.la_name}'s {len(frame)} {label} areas ranked by their {ranked_by} "
                f"(population-weighted mean of their LSOAs) into {k} groups of near-equal population"
                if k == 5 else f"{k} local groups of near-equal population by {ranked_by}")
    method = ("Group value: population-weighted mean of the areas' published life expectancies; its 95% interval "
              "from the areas' intervals. Slope index of inequality: OHID method (population-weighted regression "
              "on relative rank, most deprived first; interval by simulation): the fitted gap in years across "
              "the district's deprivation range.")
    published = published_gap(built.la_code)
    note = (f"Our figures: {meta['period']}, life expectancy by {label}, {grouping}. {_level_note(built, sexes)}"
            + (f"Published figures: {published['period']}, {published['method']} Different period, areas and "
               f"grouping: compare the size of the gap, not the exact years." if published else ""))
    membership = pd.DataFrame({"group": groups, "name": frame["name"], deprivation: frame[deprivation],
                               population: frame[population], **{sex: frame[layer] for sex, layer in sexes.items()}})
    return LifeExpectancyGap(pd.concat(rows, ignore_index=True), sii, gap, missing, grouping, method,
                             str(meta["period"]), published, note, membership)


def _groups(frame, layer, groups, population, deprivation, k) -> pd.DataFrame:
    se = (frame[f"{layer}_upper"] - frame[f"{layer}_lower"]) / (2 * Z95)
    out = []
    for group in range(1, k + 1):
        members = frame.index[groups == group]
        have = [c for c in members if pd.notna(frame.at[c, layer])]
        weights = frame.loc[have, population].astype(float)
        row = {"group": group, "label": _group_label(group, k), "msoas": len(have), "codes": ", ".join(have),
               "population": float(weights.sum()),
               "imd_min": float(frame.loc[members, deprivation].min()) if len(members) else np.nan,
               "imd_max": float(frame.loc[members, deprivation].max()) if len(members) else np.nan}
        if have and weights.sum() > 0:
            share = weights / weights.sum()
            row["value"] = float((share * frame.loc[have, layer]).sum())
            row["se"] = float(np.sqrt(((share * se.loc[have]) ** 2).sum()))
        else:
            row["value"] = row["se"] = np.nan
        row["lower"], row["upper"] = row["value"] - Z95 * row["se"], row["value"] + Z95 * row["se"]
        out.append(row)
    return pd.DataFrame(out)


def _level_note(built: Atlas, sexes: dict[str, str]) -> str:
    """The England level of the MSOA file, which runs above ONS's published national life expectancy."""
    levels = []
    for sex, layer in sexes.items():
        entry = next((e for e in built.report.benchmarks if e["layer"] == layer), None)
        england = next((b for b in (entry or {}).get("benchmarks", []) if b["area"] == "england"), None)
        if england and england.get("value") is not None:
            levels.append(f"{sex} {england['value']:.1f}")
    if not levels:
        return ""
    return (f"The MSOA file's values run higher than ONS's published district and national life expectancy "
            f"(its person-years-weighted England mean is {' and '.join(levels)} years), so its levels are "
            f"not comparable with published figures. ")


def _group_label(group: int, k: int) -> str:
    if group == 1:
        return "1: most deprived"
    if group == k:
        return f"{k}: least deprived"
    return str(group)


def _sii(table: pd.DataFrame, sex: str, simulations: int) -> dict:
    try:
        result = slope_index(table["value"], table["population"], se=table["se"], value_type="normal",
                             simulations=simulations, seed=SII_SEED, name=f"the SII of life expectancy ({sex})")
    except StatisticError as exc:
        return {"message": str(exc)}
    lower, upper = result.intervals[0.95]
    return {"sii": result.sii, "lower": lower, "upper": upper, "method": result.method}


def published_gap(la_code: str, path=None) -> dict | None:
    """The district's published life-expectancy figures (most and least deprived), if any.

    Returns
    -------
    dict or None
        ``title``, ``period``, ``method`` and ``women_most_deprived`` ... as in the file.
    """
    path = path or PUBLISHED_FILE
    if not path.is_file():
        return None
    with open(path, "rb") as fh:
        entries = tomllib.load(fh).get("published", [])
    return next((dict(e) for e in entries if e.get("la") == la_code), None)


# -- Primary Care Networks -------------------------------------------------------------------

def pcn_table(built: Atlas, layer: str, point_set: str, by: str = "pcn_code", name: str = "pcn_name") -> pd.DataFrame:
    """A practice indicator aggregated to Primary Care Networks (summed numerators over summed denominators).

    Parameters
    ----------
    built : Atlas
    layer : str
        A practice layer with ``_numerator`` and ``_denominator`` columns (e.g. ``qof_ob``).
    point_set, by, name : str
        The practices, and their network code and name attributes.

    Returns
    -------
    pandas.DataFrame
        Indexed by network code: ``name``, ``practices``, ``numerator``,
        ``denominator``, ``value``, ``lower``, ``upper`` (Wilson 95%, on the
        layer's scale) and ``vs_district`` / ``vs_england`` (Better/Similar/Worse).
        Practices without a network form the group ``(no network)``; a group whose
        practices have no register (none in the QOF file) has no value or interval.

    Raises
    ------
    AtlasError
        If the layer is not a ratio on that point set.
    """
    meta = built.layer(layer, f"points:{point_set}")
    points = built.table(f"points:{point_set}")
    needed = [f"{layer}_numerator", f"{layer}_denominator", by, name]
    absent = [c for c in needed if c not in points.columns]
    if absent:
        raise AtlasError(f"{layer} on {point_set} cannot be summed to networks: the practices lack "
                         f"{', '.join(absent)}.")
    scale = point_layer_scale(points, layer)
    networks = points.groupby(by, dropna=False)
    grouped = networks.agg(name=(name, "first"), practices=(name, "size"))
    for part in ("numerator", "denominator"):  # practices absent from the file add nothing; none at all: no data
        grouped[part] = networks[f"{layer}_{part}"].sum(min_count=1)
    grouped.index = grouped.index.astype(object).where(grouped.index.notna(), "(no network)")
    grouped["name"] = grouped["name"].fillna(grouped.index.to_series())
    grouped["value"] = grouped["numerator"] / grouped["denominator"] * scale
    lower, upper = proportion_interval(grouped["numerator"], grouped["denominator"])
    grouped["lower"], grouped["upper"] = lower * scale, upper * scale
    for bench in built.benchmarks(layer, POINTS_PREFIX + point_set):
        grouped[f"vs_{bench['area']}"] = compare(grouped["lower"].to_numpy(), grouped["upper"].to_numpy(),
                                                 bench["value"], meta["higher_is"])
    return grouped.sort_values("name")


def point_layer_scale(points: pd.DataFrame, layer: str) -> float:
    """The factor a point layer's value is its numerator over its denominator times (100 for a percentage).

    Read off the points themselves (the median ratio), so a spec's ``scale`` need not be repeated.
    """
    ok = points[f"{layer}_denominator"] > 0
    ratio = (points.loc[ok, layer] / (points.loc[ok, f"{layer}_numerator"] / points.loc[ok, f"{layer}_denominator"]))
    ratio = ratio.replace([np.inf, -np.inf], np.nan).dropna()
    return float(ratio.round(6).median()) if len(ratio) else 1.0
