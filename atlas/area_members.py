"""Which LSOAs make up each area of an area set, as kept in a built atlas's report.

:func:`atlas.area_geography.add_to_atlas` records, for every LSOA geography an
area set's layers were aggregated from, the area of each LSOA
(``report.area_sets[i]["members"]``). The importer (to aggregate an imported
LSOA layer to the set) and the profiles (an area's LSOAs) read it back here, so
they use exactly the membership the set's own figures were made with. This
module depends on nothing else in the atlas, so any module may use it.
"""

from __future__ import annotations

import pandas as pd

#: Level of an area set's geography in the build report (wards are "ward", MSOAs "msoa").
AREAS_LEVEL = "areas"


def area_set_geographies(built) -> list[str]:
    """The geography ids of the area sets in a built atlas (in the atlas's order).

    Parameters
    ----------
    built : atlas.model.Atlas

    Returns
    -------
    list of str
    """
    return built.geographies_at(AREAS_LEVEL)


def members_entry(parents: dict) -> dict:
    """The report's record of a set's membership: ``{child geography: {LSOA code: area code}}``.

    Parameters
    ----------
    parents : dict
        Child geography id -> :class:`pandas.Series` of area code by LSOA code.

    Returns
    -------
    dict
        JSON-ready.
    """
    return {child: {str(code): str(area) for code, area in series.dropna().items()}
            for child, series in parents.items()}


def area_set_members(built, geography: str) -> dict[str, pd.Series]:
    """The area of each LSOA of an area set, by LSOA geography, as its figures were aggregated.

    Parameters
    ----------
    built : atlas.model.Atlas
    geography : str
        The area set's geography id (``areas_...``).

    Returns
    -------
    dict
        Child geography id (``lsoa21``, ``lsoa11``) -> area code by LSOA code
        (a :class:`pandas.Series` of text). Empty when the atlas does not hold
        the set, or was written before memberships were kept (rebuild it).
    """
    entry = next((e for e in built.report.area_sets if e.get("geography") == geography), None)
    members = (entry or {}).get("members") or {}
    return {child: pd.Series(mapping, dtype=object).sort_index() for child, mapping in members.items()
            if child in built.geographies}
