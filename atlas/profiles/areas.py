"""The area a profile describes: a ward or MSOA, a Primary Care Network's footprint, or a set of LSOAs."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import config
from ..carto import (
    dissolve,
)
from ..catchments import footprint_rule, has_catchments, network_footprint, practice_set
from ..errors import AtlasError, UnknownAreaError
from ..geography import Boundaries, assign
from ..model import Atlas
from ..specs import AggregationRule
from .common import (
    LSOA_CODE,
    PCN_RULE,
    geography_label,
    lsoa_geographies,
    memo,
    named_geographies,
    specs_catalogue,
)
from .networks import find_network, lookup_lsoas, nearest_practice_lsoas, networks


# -- the area ----------------------------------------------------------------------------------------------
@dataclass
class Area:
    """The area a profile describes.

    Attributes
    ----------
    kind : str
        A geography id (``ward2023``, ``msoa11`` ...), ``pcn`` or ``lsoas``.
    code, name : str
        The area's code and name (``lsoas``: code ``selection``).
    kind_label : str
        What kind of area it is, in words.
    geometry : shapely geometry
        Its outline in British National Grid.
    members : dict of str to list of str
        The LSOAs (by LSOA geography) in the area; for a ward or MSOA those the
        build aggregated into it (:func:`lsoa_assignment`).
    rule : str
        How the area and its LSOAs were defined, in words (stated in the profile).
    practices : list of str
        A network's practices (codes); empty for other areas.
    notes : list of str
        Anything the reader should know about how the area was chosen.
    """

    kind: str
    code: str
    name: str
    kind_label: str
    geometry: object
    members: dict[str, list[str]] = field(default_factory=dict)
    rule: str = ""
    practices: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_table_area(self) -> bool:
        """Whether the area is a row of an atlas table (a ward or MSOA)."""
        return self.kind not in ("pcn", "lsoas")

    @property
    def title(self) -> str:
        """The area as a heading names it."""
        code = f", {self.code}" if self.kind != "lsoas" else ""
        return f"{self.name} ({self.kind_label}{code})"


def find_area(built: Atlas, area: str | list[str], pcn_lookup: str | os.PathLike | None = None,
              source_dir: str | os.PathLike | None = None, catalogue=None, geography: str | None = None,
              footprint: str = "patients") -> Area:
    """The area a user names: a ward or MSOA code or name, a PCN code or name, or LSOA codes.

    Parameters
    ----------
    built : Atlas
    area : str or list of str
        A code or name, or LSOA codes (a list, or one string separated by commas or spaces).
    pcn_lookup : path-like, optional
        A CSV or Excel file with an LSOA code column and a PCN code or name column;
        when given, a network's footprint is its LSOAs in the file.
    source_dir, catalogue : optional
        Where the lookups assigning LSOAs to wards are read from, and the specs
        naming them (defaults: the configured source directory, the project's specs).
    geography : str, optional
        Look for the code or name on this geography only (``msoa11`` ...): an MSOA
        whose code is the same in 2011 and 2021 is otherwise taken as the newer.
    footprint : str
        A network's footprint without a lookup: ``"patients"`` (default; the LSOAs
        where its practices register more residents than any other network,
        :func:`atlas.catchments.network_footprint`, when the atlas holds catchments)
        or ``"nearest"`` (the LSOAs whose nearest practice is one of its own).

    Returns
    -------
    Area

    Raises
    ------
    UnknownAreaError
        If nothing matches (the message says which codes are accepted and lists near
        matches), if LSOA codes are not the district's, or if the selection is empty.
    """
    tokens = _tokens(area)
    if not tokens:
        raise UnknownAreaError(f"Empty selection: name an area of {built.la_name}. {_accepted(built)}")
    codes = [t.upper() for t in tokens]
    if len(codes) > 1 or LSOA_CODE.match(codes[0]):
        if all(LSOA_CODE.match(c) for c in codes):
            return _lsoa_set(built, codes)
        if len(codes) > 1 and isinstance(area, str) and not any(LSOA_CODE.match(c) for c in codes):
            codes = [" ".join(tokens)]  # a name with spaces
        else:
            bad = [t for t in tokens if not LSOA_CODE.match(t.upper())]
            raise UnknownAreaError(f"A set of areas must be LSOA codes (E01 and six digits); these are not: "
                                   f"{', '.join(bad)}.")
    text = codes[0] if len(tokens) > 1 else tokens[0].strip()
    searched = [g for g in ([geography] if geography else named_geographies(built)) if g in built.geographies]
    matches = [(g, text.upper()) for g in searched if text.upper() in built.geographies[g].index]
    network = find_network(built, text) if not matches and not geography else None
    if network is not None:
        return _pcn_area(built, *network, pcn_lookup, footprint)
    matches = matches or [(g, code) for g in searched for code, name in built.geographies[g]["name"].items()
                          if str(name).casefold() == text.casefold()]
    if matches:
        chosen = _table_area(built, *matches[0], source_dir, catalogue)
        for other, code in matches[1:]:
            chosen.notes.append(f"{text} also names {code} of {geography_label(built, other)}; this profile is of "
                                f"{chosen.code} of {geography_label(built, chosen.kind)} (choose the geography, e.g. "
                                f"--geography {other}, for the other).")
        return chosen
    raise UnknownAreaError(f"No area {text!r} in the {built.la_name} atlas. {_accepted(built)}"
                           + _near_matches(built, text))


def _tokens(area) -> list[str]:
    if area is None:
        return []
    if isinstance(area, (list, tuple, set, pd.Index, pd.Series)):
        return [str(a).strip() for a in area if str(a).strip()]
    return [t for t in re.split(r"[,;\s]+", str(area).strip()) if t]


def kind_label(built: Atlas, geography: str) -> str:
    """One area of a geography, in words ("Ward (from May 2023)", "MSOA (2011)")."""
    return re.sub(r"^Wards\b", "Ward", geography_label(built, geography))


def _accepted(built: Atlas) -> str:
    kinds = []
    for level, prefix, geographies in (("a ward", "E05", built.geographies_at("ward")),
                                       ("an MSOA", "E02", built.geographies_at("msoa"))):
        have = [geography_label(built, g) for g in geographies]
        if have:
            kinds.append(f"{level} code ({prefix}...) or name ({' or '.join(have)})")
    if networks(built):
        kinds.append("a Primary Care Network code (U and five digits) or name")
    kinds.append("one or more LSOA codes (E01..., 2011 or 2021) separated by commas")
    return "Accepted: " + ("; ".join(kinds[:-1]) + "; or " if len(kinds) > 1 else "") + kinds[-1] + "."


def _near_matches(built: Atlas, text: str) -> str:
    candidates = {}
    for geography in named_geographies(built) + lsoa_geographies(built):
        if geography in built.geographies:
            for code, name in built.geographies[geography]["name"].items():
                candidates[str(code)] = f"{code} ({name}, {geography_label(built, geography)})"
                candidates[str(name)] = f"{name} ({code}, {geography_label(built, geography)})"
    for code, name in networks(built).items():
        candidates[code], candidates[name] = f"{code} ({name})", f"{name} ({code})"
    lowered = {k.casefold(): v for k, v in candidates.items()}
    near = difflib.get_close_matches(text.casefold(), list(lowered), n=5, cutoff=0.6)
    return f" Near matches: {'; '.join(dict.fromkeys(lowered[n] for n in near))}." if near else ""


def _table_area(built: Atlas, geography: str, code: str, source_dir=None, catalogue=None) -> Area:
    frame = built.geographies[geography]
    members, methods = {}, []
    for child in lsoa_geographies(built):
        parent, method = lsoa_assignment(built, child, geography, source_dir, catalogue)
        members[child] = sorted(parent.index[parent == code])
        methods.append(f"{geography_label(built, child)} by {method}")
    rule = (f"Figures for {frame.at[code, 'name']} are its row of the atlas's {geography_label(built, geography)} table "
            f"(the same as the app's table). Its LSOAs are assigned as the atlas aggregates them: "
            f"{'; '.join(methods)}.")
    return Area(geography, code, str(frame.at[code, "name"]), kind_label(built, geography), frame.geometry.loc[code],
                members, rule)


def lsoa_assignment(built: Atlas, child: str, parent: str, source_dir=None, catalogue=None) -> tuple[pd.Series, str]:
    """The parent area (ward, MSOA) of each LSOA, by the rule the build aggregates with.

    The build's own :func:`atlas.geography.assign` with the boundary spec's rule
    (an ONS best-fit lookup, the LSOA centroid, or the LSOA's name), so a ward's
    LSOAs are exactly those its figures were aggregated from. Where the specs give
    no rule (an MSOA 2011 and the LSOAs 2021), or the rule's lookup file cannot be
    read (no source directory), the build's centroid rule stands in, and says so.

    Returns
    -------
    parent : pandas.Series
        Parent code by LSOA code.
    method : str
        The rule, in words.
    """

    def compute():
        specs = specs_catalogue(catalogue).boundaries
        children = Boundaries(specs.get(child), built.table(child))
        parents = Boundaries(specs.get(parent), built.table(parent))
        rule = specs[parent].aggregate_from.get(child) if parent in specs and child in specs else None
        why = "the specs relate these areas by no other rule"
        if rule is not None:
            try:
                source = config.source_dir(source_dir) if rule.method == "lookup" else None
                found = assign(rule, children, parents, source)
                return found.parent, found.method
            except AtlasError:
                why = "the source directory's lookup was not available"
        found = assign(AggregationRule("centroid"), children, parents, None)
        return found.parent, f"{found.method}, since {why}"

    return memo(built, ("lsoa_assignment", child, parent, str(source_dir)), compute)


def codes_inside(frame, shape) -> list[str]:
    points = frame.geometry.representative_point()
    return sorted(frame.index[points.within(shape.buffer(1))])


def _lsoa_set(built: Atlas, codes: list[str], rule: str | None = None, **kwargs) -> Area:
    codes = list(dict.fromkeys(codes))
    have = {g: set(built.geographies[g].index) for g in lsoa_geographies(built)}
    unknown = [c for c in codes if not any(c in h for h in have.values())]
    if unknown:
        raise UnknownAreaError(f"{len(unknown)} code(s) are not LSOAs of {built.la_name}: {', '.join(unknown[:20])}. "
                               f"Give LSOA codes (2011 or 2021) of the district." + _near_matches(built, unknown[0]))
    vintage = next((g for g in reversed(lsoa_geographies(built)) if set(codes) <= have[g]), None)
    if vintage is None:
        only = {g: [c for c in codes if c in h and not all(c in o for o in have.values())] for g, h in have.items()}
        raise UnknownAreaError("The LSOAs mix vintages: " + "; ".join(
            f"{len(v)} only in {geography_label(built, g)} (e.g. {', '.join(v[:3])})" for g, v in only.items() if v)
            + ". Pick LSOAs of one vintage.")
    shape = dissolve(built.geographies[vintage].geometry.loc[codes])
    members = {vintage: sorted(codes)}
    for other in have:
        if other != vintage:
            members[other] = sorted(codes) if set(codes) <= have[other] else codes_inside(built.geographies[other], shape)
    rule = rule or (f"{len(codes)} LSOAs ({geography_label(built, vintage)}) chosen by the user"
                    + ("." if len(have) == 1 else f"; the {', '.join(geography_label(built, g) for g in have if g != vintage)} "
                       f"areas whose representative point lies inside them stand for them in the other vintage."))
    kwargs.setdefault("name", f"{len(codes)} selected LSOA{'s' if len(codes) > 1 else ''}")
    kwargs.setdefault("code", "selection")
    kwargs.setdefault("kind", "lsoas")
    kwargs.setdefault("kind_label", "Selected LSOAs")
    return Area(geometry=shape, members=members, rule=rule, **kwargs)


def _pcn_area(built: Atlas, code: str, name: str, lookup: str | os.PathLike | None,
              footprint: str = "patients") -> Area:
    if footprint not in ("patients", "nearest"):
        raise AtlasError(f"Unknown footprint rule {footprint!r}: use 'patients' or 'nearest'.")
    practices = built.points[practice_set()]
    members = sorted(practices.index[practices["pcn_code"].astype(str) == code])
    if lookup:
        lsoas, rule = lookup_lsoas(built, code, name, Path(lookup))
    elif footprint == "patients" and has_catchments(built):
        lsoas = network_footprint(built, code)
        rule = "Footprint of a Primary Care Network: " + footprint_rule(built) + "."
    else:
        lsoas = nearest_practice_lsoas(built, code)
        rule = PCN_RULE.format(la=built.la_name, n=len(practices))
    if not lsoas:
        raise UnknownAreaError(f"{name} ({code}) has no LSOA in {built.la_name} by its footprint rule ({rule}), "
                               f"so its footprint is empty. Supply an LSOA-to-PCN lookup file (--pcn-lookup) to "
                               f"define it.")
    area = _lsoa_set(built, lsoas, rule=rule, name=name, code=code, kind="pcn", kind_label="Primary Care Network")
    area.practices = members
    return area
