"""ONS GSS area codes: what kind of area a code names.

A GSS code is a letter for the country, two digits for the entity type and six
digits (``E06000032`` is Luton, a unitary authority). The entity type says the
level (LSOA, ward, district ...); only the lookups can tell a 2011 LSOA code
from a 2021 one, since unchanged areas kept their codes.
"""

from __future__ import annotations

import re

from .errors import UnknownAreaError

GSS_PATTERN = re.compile(r"^[EWSNK]\d{8}$")
ENGLAND = "E92000001"

#: Entity prefixes and the kind of area they name (England and Wales).
ENTITY_KINDS = {
    "E00": "output area", "W00": "output area",
    "E01": "LSOA", "W01": "LSOA",
    "E02": "MSOA", "W02": "MSOA",
    "E05": "electoral ward", "W05": "electoral ward",
    "E06": "district (unitary authority)", "W06": "district (unitary authority)",
    "E07": "district (non-metropolitan)",
    "E08": "district (metropolitan borough)",
    "E09": "district (London borough)",
    "E10": "county", "E11": "metropolitan county", "E12": "region",
    "E14": "parliamentary constituency", "E38": "sub-ICB location", "E54": "integrated care board",
    "E92": "country",
}
DISTRICT_PREFIXES = ("E06", "E07", "E08", "E09")
#: Counties: upper-tier authorities made of districts (unitary authorities are both tiers).
COUNTY_PREFIX = "E10"
#: Regions (the nine English regions of the lookups' RGN column): groups of districts.
REGION_PREFIX = "E12"


def kind_of(code: str) -> str | None:
    """The kind of area a GSS code names, or None if it is not a GSS code.

    Examples
    --------
    >>> kind_of("E01015693")
    'LSOA'
    >>> kind_of("Luton") is None
    True
    """
    code = str(code).strip().upper()
    if not GSS_PATTERN.match(code):
        return None
    return ENTITY_KINDS.get(code[:3], f"area of GSS type {code[:3]}")


def check_district_code(code: str) -> str:
    """Return ``code`` normalised if it has the form of an English authority code.

    District codes (E06, E07, E08, E09), county codes (E10, upper-tier
    authorities made of districts) and region codes (E12) are accepted; so is England itself
    (``E92000001``), which stands for every district.

    Raises
    ------
    UnknownAreaError
        If the code is not a GSS code, or names another kind of area (the
        message says which kind and gives an example of a district code).
    """
    clean = str(code).strip().upper()
    if clean == ENGLAND or clean.startswith((*DISTRICT_PREFIXES, COUNTY_PREFIX, REGION_PREFIX)) \
            and GSS_PATTERN.match(clean):
        return clean
    kind = kind_of(clean)
    example = ("district codes start E06, E07, E08 or E09, e.g. E06000032 for Luton; county codes E10, "
               "e.g. E10000015 for Hertfordshire; region codes E12, e.g. E12000006 for East of England")
    if kind is None:
        raise UnknownAreaError(f"{code!r} is not an ONS area code; {example}.")
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    raise UnknownAreaError(f"{clean} is the code of {article} {kind}, not of an English district or county; {example}.")
