"""LSOA 2011 <-> 2021 conversion of an import's values, by the ONS lookup."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..model import Atlas
from ..readers import normalise_codes, read_table, require_columns
from .common import CONVERSION_RULE, COUNT_KINDS, LOOKUP_NEW, LOOKUP_OLD, LSOA_LOOKUP, SINGLE_VALUE_KINDS
from .detection import source_or_none
from .district import DistrictAreas
from .options import MatchReport

# --- LSOA 2011 <-> 2021 conversion ---------------------------------------------------------------

def lsoa_links(built: Atlas, source_dir: str | Path | None = None, areas: "DistrictAreas | None" = None) -> pd.DataFrame:
    """Links between the district's LSOA 2011 and LSOA 2021 areas, with the kind of change.

    The ONS lookup held here has one row per 2011 LSOA and no change indicator:
    it lists merges (several 2011 LSOAs to one 2021 LSOA) but only one of the
    2021 LSOAs a split 2011 LSOA became. So a 2021 LSOA of the district missing
    from the lookup is linked to the 2011 LSOA that holds most of its area
    (when that is at least half of it), and marked ``"boundary overlap"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``old`` (2011 code), ``new`` (2021 code), ``change`` (``unchanged``,
        ``merged``, ``split``, ``complex``) and ``how`` (``"ONS lookup"`` or
        ``"boundary overlap"``). Empty when the atlas lacks either vintage.
    """
    areas = areas or DistrictAreas.of(built, source_or_none(source_dir))
    old_g, new_g = _lsoa_vintages(areas)
    if old_g is None or new_g is None or areas.source is None:
        return pd.DataFrame(columns=["old", "new", "change", "how"])
    table = read_table(areas.source, LSOA_LOOKUP, {}, "the import's LSOA 2011-2021 conversion",
                       text_columns=(LOOKUP_OLD, LOOKUP_NEW))
    require_columns(table, [LOOKUP_OLD, LOOKUP_NEW], LSOA_LOOKUP, "the import's LSOA 2011-2021 conversion")
    links = pd.DataFrame({"old": normalise_codes(table[LOOKUP_OLD]), "new": normalise_codes(table[LOOKUP_NEW])})
    old, new = areas.local[old_g], areas.local[new_g]
    links = links[links["old"].isin(old) | links["new"].isin(new)].drop_duplicates()
    links["how"] = "ONS lookup"
    missing = sorted(new - set(links["new"]))
    if missing:
        links = pd.concat([links, _links_by_overlap(built, old_g, new_g, missing)], ignore_index=True)
    per_old = links.groupby("old")["new"].transform("size")
    per_new = links.groupby("new")["old"].transform("size")
    links["change"] = np.select([(per_old == 1) & (per_new == 1), per_old == 1, per_new == 1],
                                ["unchanged", "merged", "split"], "complex")
    return links.astype({"old": object, "new": object}).reset_index(drop=True)


def _lsoa_vintages(areas: DistrictAreas) -> tuple[str | None, str | None]:
    lsoas = {areas.catalogue.boundaries[g].vintage: g for g in areas.local if areas.level[g] == "lsoa"}
    return lsoas.get("2011"), lsoas.get("2021")


def _links_by_overlap(built: Atlas, old_g: str, new_g: str, codes: list[str]) -> pd.DataFrame:
    old = built.table(old_g)[["geometry"]]
    rows = []
    for code in codes:
        shape = built.table(new_g).geometry[code]
        overlap = old.geometry.intersection(shape).area / shape.area
        if len(overlap) and overlap.max() >= 0.5:
            rows.append((overlap.idxmax(), code))
    return pd.DataFrame(rows, columns=["old", "new"]).assign(how="boundary overlap")


def convert_lsoa(values: pd.Series, notes: pd.Series, native: str, target: str, kind: str, areas: DistrictAreas,
                  report: MatchReport):
    """Values on the other LSOA vintage by :data:`CONVERSION_RULE`, or None when there is none."""
    old_g, new_g = _lsoa_vintages(areas)
    if {native, target} != {old_g, new_g}:
        return None
    links = lsoa_links(areas.atlas, areas=areas)
    if links.empty:
        return None
    pairs = links.rename(columns={"old": "src", "new": "dst"} if native == old_g else {"new": "src", "old": "dst"})
    population = (district_population(areas.atlas, native), district_population(areas.atlas, target))
    by_target = pairs.groupby("dst", sort=False)
    sources = by_target["src"].agg(list).to_dict()
    complex_change = by_target["change"].agg(lambda c: bool((c == "complex").any())).to_dict()
    parts = pairs.groupby("src", sort=False)["dst"].agg(list).to_dict()
    rows = {code: _convert_one(code, sources.get(code, []), complex_change.get(code, False), parts, values, notes,
                               kind, *population)
            for code in sorted(areas.local[target])}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["value", "problem", "note", "change"])
    inferred = links[links["how"] == "boundary overlap"]
    changes = table["change"].value_counts()
    report.conversions.append({
        "geography": target, "geography_label": areas.label(target), "rule": CONVERSION_RULE,
        "converted": int(table["value"].notna().sum()),
        **{change: int(changes.get(change, 0)) for change in ("unchanged", "combined", "divided")},
        "no_source_value": sorted(table.index[(table["problem"] == "") & table["value"].isna()]),
        "not_converted": table.loc[table["problem"] != "", "problem"].to_dict(),
        "inferred": (f"the lookup lacks {len(inferred)} LSOA (2021) area(s) made by splits; each was linked "
                     f"to the LSOA (2011) holding most of its area: "
                     + ", ".join(f"{n} in {o}" for o, n in zip(inferred["old"], inferred["new"])))
        if len(inferred) else "",
    })
    method = (f"converted from {areas.label(native)} through the ONS LSOA 2011 to 2021 lookup "
              f"({Path(LSOA_LOOKUP).name}): {CONVERSION_RULE}")
    return table[["value", "note"]].astype({"value": float, "note": object}), method


def _convert_one(code: str, sources: list[str], complex_change: bool, parts: dict, values: pd.Series,
                 notes: pd.Series, kind: str, pop_src: pd.Series | None,
                 pop_dst: pd.Series | None) -> tuple[float, str, str, str]:
    """One target area: its value, why it cannot be converted (or ""), a note on how it was made, the change.

    ``sources`` are the source areas linked to ``code``; ``parts`` maps each source area to the
    target areas it is linked to.
    """
    if not sources:
        return np.nan, "no link in the lookup, and no single source area holds most of it", "not converted", ""
    if complex_change:
        return np.nan, f"complex boundary change (from {', '.join(sources)})", "not converted (complex change)", ""
    src_values = values.reindex(sources)
    if src_values.isna().any():
        gaps = [f"{s}: {notes.get(s) or 'no row in the file'}" for s in sources if pd.isna(src_values.get(s))]
        return np.nan, "", f"no data ({'; '.join(gaps)})", ""
    if len(sources) > 1:
        return _combine(sources, src_values, kind, pop_src)
    parent = sources[0]
    siblings = parts[parent]
    if len(siblings) == 1:
        return float(src_values.iloc[0]), "", "unchanged", "unchanged"
    if kind not in COUNT_KINDS:
        return float(src_values.iloc[0]), "", f"part of {parent}: inherits its value", "divided"
    weights = pop_dst.reindex(siblings) if pop_dst is not None else None
    if weights is None or weights.isna().any() or weights.sum() <= 0:
        return np.nan, f"no population to share {parent}'s count among {', '.join(siblings)}", "not converted", ""
    share = float(weights[code] / weights.sum())
    return float(src_values.iloc[0]) * share, "", f"part of {parent}: {share:.1%} of its count, by population", \
        "divided"


def _combine(sources: list[str], src_values: pd.Series, kind: str, pop_src: pd.Series | None):
    """Several source areas making one target area: summed counts, population-weighted rates."""
    listed = ", ".join(sources)
    if kind in SINGLE_VALUE_KINDS:
        return np.nan, f"made of {listed}: a {kind} cannot be combined", "not converted", ""
    if kind in COUNT_KINDS:
        return float(src_values.sum()), "", f"sum of {listed}", "combined"
    weights = pop_src.reindex(sources) if pop_src is not None else None
    if weights is None or weights.isna().any() or (weights <= 0).any():
        return np.nan, f"no population to weight {listed}", "not converted", ""
    value = float((src_values * weights).sum() / weights.sum())
    return value, "", f"population-weighted mean of {listed}", "combined"


def district_population(built: Atlas, geography: str) -> pd.Series | None:
    """The population layer published on a geography (the weight the build uses there), if any."""
    rows = built.layers_on(geography)
    rows = rows[(rows["kind"] == "population") & (rows["native_geography"] == geography)]
    return built.values(rows["layer"].iloc[0], geography) if len(rows) else None
