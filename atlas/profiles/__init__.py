"""Neighbourhood profiles: one area's figures beside the authority and England, as HTML, PDF or CSV.

An area is one of:

* a **ward** (the wards to May 2023 or from May 2023) or an **MSOA** (2011 or 2021):
  its figures are its row of the built atlas, the same numbers the app's table shows;
* a **Primary Care Network** (by ODS code or name): its footprint is the set of LSOAs
  whose nearest GP practice belongs to the network (or the LSOAs a lookup file
  assigns to it), and it lists exactly the network's practices;
* a **set of LSOAs** (2011 or 2021 codes) the user picks.

For a footprint of LSOAs each small-area indicator is aggregated over its LSOAs
with the rules the build uses for wards (:mod:`atlas.aggregate`: population-weighted
means, summed counts, summed numerators over summed denominators, population
shares by national decile). The authority's figure is the same aggregation over
all its areas, and England's the same over every English area of the national
source file (cached under ``output/cache``); indicators with published intervals
(life expectancy, QOF prevalence) carry Better / Similar / Worse against the
benchmarks the build computed (:func:`atlas.stats.compare`).

>>> profile = build_profile(built, "Biscot")                 # doctest: +SKIP
>>> write_profile(profile, "output/profiles/biscot.pdf")     # doctest: +SKIP
"""

from __future__ import annotations

from .areas import Area, find_area, kind_label, lsoa_assignment
from .builder import build_profile, estimate_notes
from .cache import cached_profile, profile_key, warm
from .common import (
    COMPARE_NOTE,
    FORMATS,
    LE_THEME,
    LSOA_CODE,
    NAMED_LEVELS,
    PCN_CODE,
    PCN_RULE,
    POPULATION_THEME,
    england_areas,
    life_expectancy_geography,
    lsoa_geographies,
    named_geographies,
)
from .figure_map import AREA_EDGE, AREA_FILL, area_map
from .figures import Rule, aggregate_over, england_values, layer_rule
from .networks import nearest_practice, nearest_practice_lsoas, networks
from .output import profile_format, write_profile
from .profile import Profile, Table
from .render import TEMPLATES, render_csv, render_html, render_pdf
from .tagged import render_tagged_pdf, tagged_pdf_available

__all__ = [
    "AREA_EDGE", "AREA_FILL", "Area", "COMPARE_NOTE", "FORMATS", "LE_THEME", "LSOA_CODE", "NAMED_LEVELS", "PCN_CODE",
    "PCN_RULE", "POPULATION_THEME", "Profile", "Rule", "TEMPLATES", "Table",
    "aggregate_over", "area_map", "build_profile", "cached_profile", "england_areas", "england_values",
    "estimate_notes", "find_area", "kind_label", "layer_rule", "life_expectancy_geography", "lsoa_assignment",
    "lsoa_geographies", "named_geographies", "nearest_practice", "nearest_practice_lsoas", "networks",
    "profile_format", "profile_key", "render_csv", "render_html", "render_pdf", "render_tagged_pdf",
    "tagged_pdf_available", "warm", "write_profile",
]
