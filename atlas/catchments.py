"""Catchments of a built atlas: where the patients of the district's practices and networks live.

The build keeps, for each of the district's practices, its registered patients by
the LSOA (2011) they live in (:attr:`atlas.model.Atlas.catchments`, from the small-area
estimates' patient file). From it:

* a practice's or a Primary Care Network's catchment: the share of its patients
  living in each LSOA (summing to 1 over every LSOA, in the district or not);
* a network's footprint, patient-weighted: the district's LSOAs where the network's
  practices register more of the residents than any other network of the district
  (:func:`atlas.estimates.main_group`). It replaces the nearest-practice footprint
  when the atlas has catchments.
"""

from __future__ import annotations

import pandas as pd

from .errors import AtlasError
from .estimates import PatientShares, catchment, main_group
from .model import Atlas
from .specs import Catalogue

FOOTPRINT_RULE = ("patient-weighted footprint: the LSOAs of {la} where the network's practices register more of "
                  "the residents than any other network of {la} ({period})")


def practice_set(catalogue: Catalogue | None = None) -> str:
    """The id of the GP practices' point set: the ``practices`` role of the specs' ``roles.toml``."""
    return (catalogue or Catalogue.load()).role("practices")


def has_catchments(built: Atlas) -> bool:
    """Whether the atlas holds the catchments of its practices."""
    return len(built.catchments) > 0


def _shares(built: Atlas) -> PatientShares:
    if not has_catchments(built):
        raise AtlasError(f"The {built.la_name} atlas holds no catchments (its build had no patients-by-LSOA file); "
                         f"rebuild it with the source directory.")
    rows = built.catchments.astype({"practice": object, "area": object})
    totals = rows.groupby("practice")["patients"].sum()
    return PatientShares(rows, totals)


def practices_of(built: Atlas, network: str) -> list[str]:
    """The district's practices in a Primary Care Network (by code)."""
    practices = built.points.get(practice_set())
    if practices is None or "pcn_code" not in practices:
        return []
    return sorted(practices.index[practices["pcn_code"].astype(str) == str(network)])


def catchment_table(built: Atlas, practices) -> pd.DataFrame:
    """Where the patients of one or more of the district's practices live.

    Parameters
    ----------
    built : Atlas
    practices : iterable of str
        Practice codes (a network's: :func:`practices_of`).

    Returns
    -------
    pandas.DataFrame
        Indexed by LSOA (2011) code, most patients first: ``patients``, ``share``
        (of the practices' patients with a known LSOA, summing to 1), ``in_district``
        and ``name`` (the LSOA's name when it is in the district).

    Raises
    ------
    AtlasError
        If the atlas holds no catchments, or none of the practices has patients in them.
    """
    codes = sorted(set(practices))
    table = catchment(_shares(built), codes)
    if table.empty:
        raise AtlasError(f"No catchment for {', '.join(codes)}: not a practice of {built.la_name} with patients "
                         f"in the patient file.")
    lsoas = _lsoas(built)
    table["in_district"] = table.index.isin(lsoas.index)
    table["name"] = lsoas["name"].reindex(table.index)
    return table


def network_footprint(built: Atlas, network: str) -> list[str]:
    """The district's LSOAs (2011) where ``network`` registers more residents than any other network there."""
    practices = built.points[practice_set()]
    groups = practices["pcn_code"].dropna().astype(str)
    main = main_group(_shares(built), groups, areas=set(_lsoas(built).index))
    return sorted(main.index[main["group"] == str(network)])


def footprint_rule(built: Atlas) -> str:
    """The footprint rule in words, with the patient file's date."""
    period = next((info.get("period") for info in built.report.estimates.values()), None)
    return FOOTPRINT_RULE.format(la=built.la_name, period=period or "date not recorded")


def geography_of(built: Atlas) -> str:
    """The geography of the catchments' area codes (the estimates' patient file, e.g. ``lsoa11``)."""
    found = next((info.get("geography") for info in built.report.estimates.values() if info.get("catchments")), None)
    return found or next((spec.geography for spec in Catalogue.load().estimates.values() if spec.catchments), "")


def _lsoas(built: Atlas) -> pd.DataFrame:
    geography = geography_of(built)
    if geography not in built.geographies:
        raise AtlasError(f"The {built.la_name} atlas has no {geography} areas, the geography of the catchments.")
    return built.table(geography)
