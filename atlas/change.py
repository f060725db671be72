"""Change since 2019: IoD2019 against IoD2025 on LSOA 2021, and what it means for wards and MSOAs.

IoD2019 is published on LSOA 2011 and IoD2025 on LSOA 2021. Each LSOA 2021 of
the district gets its IoD2019 decile and rank through the ONS LSOA 2011 to 2021
lookup (:func:`atlas.importer.lsoa_links`; a 2021 LSOA made by a split that the
lookup omits is linked to the 2011 LSOA holding most of its area):

* an **unchanged** LSOA, or a **part of a split** 2011 LSOA, takes the decile
  and rank of its one 2011 LSOA;
* a 2021 LSOA made by **merging** 2011 LSOAs, or by a complex change, is **not
  compared**: a decile or rank cannot be averaged, and it is listed with why.

Deciles and ranks are **relative to England**: a decile that went up means the
area moved up the national ordering (became *less deprived relative to other
areas*), not necessarily that it became less deprived in absolute terms; the
indices' methods also changed between editions. Ranks are out of 32,844 LSOAs
in 2019 and 33,755 in 2025, so rank changes are also given as national
percentiles (rank / number of LSOAs).

Wards and MSOAs are described by their population shares: the share of their
Census 2021 population living in LSOAs whose decile went down, stayed or went
up (each LSOA assigned to the ward or MSOA as the build assigns it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import config
from .errors import AtlasError, StatisticError
from .geography import Boundaries, assign
from .importer import lsoa_links
from .model import Atlas
from .specs import Catalogue

#: The IMD and its domains: layer prefix -> label (layers ``<prefix>19_decile`` and ``<prefix>25_decile``).
DOMAINS = {
    "imd": "Index of Multiple Deprivation", "income": "Income", "employment": "Employment",
    "education": "Education, skills and training", "health": "Health and disability", "crime": "Crime",
    "barriers": "Barriers to housing and services", "living": "Living environment",
}
#: The editions compared, with the role (``roles.toml``) of each one's IMD decile layer; the domains' layers
#: follow its naming (``imd19_decile`` -> ``income19_decile``, ``income19_rank``).
EDITION_ROLES = {"2019": "deprivation_decile_old", "2025": "deprivation_decile_new"}
#: Movement categories, in legend order (colours: ``atlas.classify.CHANGE_COLOURS``).
DOWN, SAME, UP, NOT_COMPARED = ("Decile went down (more deprived relative to England)", "Same decile",
                                "Decile went up (less deprived relative to England)", "Not compared")
MOVEMENTS = (DOWN, SAME, UP, NOT_COMPARED)
METHOD = ("IoD2019 (LSOA 2011) converted to LSOA 2021 through the ONS LSOA 2011 to 2021 lookup: unchanged LSOAs "
          "and parts of split LSOAs take their 2011 LSOA's decile and rank; LSOAs made by merging 2011 LSOAs "
          "(or by complex changes) are not compared, as deciles and ranks cannot be averaged. Deciles and ranks "
          "are relative to England, and the indices' methods changed between editions.")


@dataclass(frozen=True)
class Edition:
    """One IoD edition compared: its IMD decile layer, the LSOA geography it ranks and how many LSOAs England has there."""

    layer: str
    geography: str
    ranked: int


def editions(catalogue: Catalogue | None = None) -> dict[str, Edition]:
    """The editions compared (by year), from the catalogue's roles and boundary specs."""
    catalogue = catalogue or Catalogue.load()
    out = {}
    for year, role in EDITION_ROLES.items():
        layer = catalogue.role(role)
        geography = catalogue.indicators[layer].geography
        out[year] = Edition(layer, geography, catalogue.boundaries[geography].england_areas or 0)
    return out


def new_geography(catalogue: Catalogue | None = None) -> str:
    """The LSOA geography of the newer edition, on which change is mapped."""
    return editions(catalogue)["2025"].geography


def decile_change(built: Atlas, domain: str = "imd", source_dir: str | Path | None = None) -> pd.DataFrame:
    """Each LSOA 2021's national decile and rank in IoD2019 and IoD2025, and how it moved.

    Parameters
    ----------
    built : Atlas
        An atlas with both LSOA vintages and the IoD2019 and IoD2025 layers.
    domain : str
        A key of :data:`DOMAINS` (``imd`` by default).
    source_dir : str or Path, optional
        The source directory (for the ONS lookup); the configured one by default.

    Returns
    -------
    pandas.DataFrame
        Indexed by LSOA 2021 code: ``source`` (the 2011 LSOA(s)), ``link`` (the
        kind of boundary change), ``decile_2019``, ``decile_2025``,
        ``decile_change`` (2025 - 2019), ``rank_2019``, ``rank_2025``,
        ``percentile_change`` (points of national percentile, + = less
        deprived), ``movement`` (one of :data:`MOVEMENTS`) and ``note``.
        ``attrs`` holds ``domain``, ``label`` and ``method``.

    Raises
    ------
    AtlasError
        Unknown domain, or the atlas lacks a vintage or a layer (the message says which).
    """
    if domain not in DOMAINS:
        raise AtlasError(f"Unknown IoD domain {domain!r}; choose one of: {', '.join(DOMAINS)}.")
    found = editions()
    layers = {(year, kind): found[year].layer.replace("imd", domain, 1).replace("_decile", f"_{kind}")
              for year in found for kind in ("decile", "rank")}
    geography = {year: edition.geography for year, edition in found.items()}
    values = {}
    for (year, kind), layer in layers.items():
        try:
            values[year, kind] = pd.to_numeric(built.values(layer, geography[year]), errors="coerce")
        except AtlasError as exc:
            raise AtlasError(f"Change since 2019 needs the {layer} layer on {geography[year]}: {exc}") from None
    links = _links(built, source_dir)
    sources = links.groupby("new")["old"].agg(sorted).to_dict()
    kinds = links.groupby("new")["change"].agg(lambda c: "complex" if (c == "complex").any() else c.iloc[0])
    rows = {}
    ranked = {year: edition.ranked for year, edition in found.items()}
    for code in built.table(geography["2025"]).index.astype(str):
        rows[code] = _one(code, sources.get(code, []), kinds.get(code, ""), values, ranked)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "code"
    table.attrs.update(domain=domain, label=DOMAINS[domain], method=METHOD)
    return table


def _links(built: Atlas, source_dir) -> pd.DataFrame:
    source = Path(source_dir) if source_dir is not None else config.source_dir()
    links = lsoa_links(built, source)
    if links.empty:
        raise AtlasError(f"The {built.la_name} atlas needs both LSOA 2011 and LSOA 2021 areas, and the ONS lookup "
                         f"in {source}, to compare IoD2019 with IoD2025.")
    return links


def _one(code: str, sources: list[str], link: str, values: dict, ranked: dict) -> dict:
    new_decile, new_rank = values["2025", "decile"].get(code), values["2025", "rank"].get(code)
    row = {"source": ", ".join(sources), "link": link or "no link", "decile_2019": np.nan,
           "decile_2025": new_decile, "decile_change": np.nan, "rank_2019": np.nan, "rank_2025": new_rank,
           "percentile_change": np.nan, "movement": NOT_COMPARED, "note": ""}
    if not sources:
        row["note"] = "no LSOA 2011 linked to it in the ONS lookup or by boundary overlap"
    elif len(sources) > 1 or link == "complex":
        row["note"] = f"made from {', '.join(sources)}: a decile or rank cannot be averaged"
    else:
        old_decile, old_rank = values["2019", "decile"].get(sources[0]), values["2019", "rank"].get(sources[0])
        row.update(decile_2019=old_decile, rank_2019=old_rank)
        if pd.isna(old_decile) or pd.isna(new_decile):
            row["note"] = "no decile in one of the editions"
        else:
            change = float(new_decile - old_decile)
            row.update(decile_change=change, movement=DOWN if change < 0 else UP if change > 0 else SAME,
                       note="part of a split 2011 LSOA" if link == "split" else "")
        if pd.notna(old_rank) and pd.notna(new_rank):
            row["percentile_change"] = 100 * (new_rank / ranked["2025"] - old_rank / ranked["2019"])
    return row


def movement_counts(table: pd.DataFrame) -> dict[str, int]:
    """Number of LSOAs (2021) in each movement category, every category listed."""
    counts = table["movement"].value_counts()
    return {label: int(counts.get(label, 0)) for label in MOVEMENTS}


def change_reading(table: pd.DataFrame, la_name: str) -> str:
    """A plain-English sentence on the counts, saying that deciles are relative to England."""
    counts = movement_counts(table)
    compared = len(table) - counts[NOT_COMPARED]
    if not compared:
        return f"No LSOA of {la_name} could be compared between IoD2019 and IoD2025."
    text = (f"Of the {compared} LSOAs (2021) of {la_name} that can be compared, {counts[DOWN]} moved to a lower "
            f"national {table.attrs.get('label', 'IMD')} decile between IoD2019 and IoD2025 (more deprived "
            f"relative to the rest of England), {counts[SAME]} stayed in the same decile and {counts[UP]} moved "
            f"to a higher one. Deciles rank areas against England, so a move is a change of position, not "
            f"necessarily of absolute deprivation.")
    if counts[NOT_COMPARED]:
        text += f" {counts[NOT_COMPARED]} LSOA(s) made by merging 2011 LSOAs are not compared."
    return text


def change_by_area(built: Atlas, table: pd.DataFrame, geography: str,
                   source_dir: str | Path | None = None) -> pd.DataFrame:
    """The share of each ward's or MSOA's population in LSOAs whose decile went down, stayed or went up.

    Parameters
    ----------
    built : Atlas
    table : pandas.DataFrame
        From :func:`decile_change`.
    geography : str
        A geography the build aggregates LSOA 2021 to (``ward2023``, ``msoa21`` ...).
    source_dir : str or Path, optional

    Returns
    -------
    pandas.DataFrame
        Indexed by area code: the population share (0-1) of each of :data:`MOVEMENTS`, and ``population``.

    Raises
    ------
    AtlasError
        If LSOA 2021 does not aggregate to ``geography`` or the atlas has no Census 2021 population.
    """

    catalogue = Catalogue.load()
    new = new_geography(catalogue)
    rule = catalogue.boundaries[geography].aggregate_from.get(new) if geography in catalogue.boundaries \
        else None
    if rule is None:
        raise AtlasError(f"LSOA (2021) areas do not aggregate to {geography!r}; choose a ward or MSOA geography.")
    source = Path(source_dir) if source_dir is not None else config.source_dir()
    child = Boundaries(catalogue.boundaries[new], built.table(new))
    parent = Boundaries(catalogue.boundaries[geography], built.table(geography))
    parents = assign(rule, child, parent, source).parent
    population_layer = built.population_layer(new)
    if population_layer is None:
        raise AtlasError(f"The {built.la_name} atlas has no population on {new}, to weight the shares by.")
    population = pd.to_numeric(built.values(population_layer, new), errors="coerce")
    frame = pd.DataFrame({"parent": parents.reindex(table.index), "movement": table["movement"],
                          "population": population.reindex(table.index)}).dropna(subset=["parent", "population"])
    if frame.empty:
        raise StatisticError(f"No LSOA (2021) with a population could be placed in a {geography} area.")
    shares = frame.pivot_table(index="parent", columns="movement", values="population", aggfunc="sum", fill_value=0)
    shares = shares.reindex(columns=list(MOVEMENTS), fill_value=0)
    total = shares.sum(axis=1)
    out = shares.div(total, axis=0)
    out["population"] = total
    out.index.name = "code"
    return out.reindex(built.table(geography).index)
