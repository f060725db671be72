"""What the modules of a profile share: the geographies and rules it knows, number formats, the specs and a per-atlas memo."""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from ..build import MOST_DEPRIVED_SUFFIX
from ..classify import format_value
from ..errors import AtlasError
from ..health import life_expectancy_gap
from ..model import POINTS_PREFIX, Atlas
from ..specs import Catalogue

POPULATION_THEME = "Population"
LE_THEME = "Life expectancy"
FORMATS = ("html", "pdf", "csv")
#: Levels whose areas can be profiled by code or name, in order of preference when a name matches several;
#: ``district``: the districts of a county's atlas; ``areas``: the user's area sets (``atlas areas add``).
NAMED_LEVELS = ("ward", "msoa", "district", "areas")
LSOA_CODE = re.compile(r"^E01\d{6}$")
PCN_CODE = re.compile(r"^U\d{5}$", re.IGNORECASE)
PCN_RULE = ("Footprint of a Primary Care Network: the LSOAs whose nearest GP practice (straight line from a "
            "point inside the LSOA to the practice's postcode, among {la}'s {n} active practices) belongs "
            "to the network. Practices' networks: NHS England QOF organisational structures.")
COMPARE_NOTE = ("Better / Similar / Worse (OHID Fingertips method): Similar when the benchmark lies inside "
                "the area's 95% confidence interval, otherwise Better or Worse by the indicator's polarity. "
                "Shown only for indicators published with intervals.")


@functools.lru_cache(maxsize=4)
def _default_catalogue():

    return Catalogue.load()


def specs_catalogue(catalogue):
    return catalogue if catalogue is not None else _default_catalogue()


# -- geography roles, from the boundary specs' level and vintage ---------------------------------------------
def lsoa_geographies(built: Atlas) -> list[str]:
    """The atlas's LSOA geographies, newest first (the footprint drawn is the newest LSOAs')."""
    return built.geographies_at("lsoa")


def named_geographies(built: Atlas) -> list[str]:
    """Geographies whose areas are profiled by code or name, in order of preference (see ``NAMED_LEVELS``)."""
    return [g for level in NAMED_LEVELS for g in built.geographies_at(level)]


def life_expectancy_geography(built: Atlas) -> str | None:
    """The geography life expectancy is published on (its layers' native geography), if the atlas has it."""
    rows = built.layers[(built.layers["theme"] == LE_THEME) & (built.layers["native_geography"] == built.layers["geography"])]
    return next((g for g in rows["geography"] if g in built.geographies), None)


def england_areas(catalogue, geography: str) -> int | None:
    """How many areas of a geography England has (the boundary spec's ``england_areas``), if known."""
    spec = specs_catalogue(catalogue).boundaries.get(geography)
    return spec.england_areas if spec is not None else None


# -- helpers -------------------------------------------------------------------------------------------------


def share_texts(data: pd.DataFrame, column: str) -> list[str]:
    """Percentages of a population table; blank on the rows of the totals themselves."""
    return ["" if total else format_value(v, 1, "%") for v, total in zip(data[column], data["is_total"])]


def reference_text(value, decimals: int, units: str | None) -> str:
    """A benchmark figure; blank where there is none (a count, or a source that is not national)."""
    return format_value(value, decimals, units, missing="")


def with_interval(value, lower, upper, decimals: int, units: str | None = None) -> str:
    """A figure with its 95% interval when it has one: "12.3% (10.1 to 14.6)"."""
    text = format_value(value, decimals, units)
    if not pd.isna(lower) and not pd.isna(upper):
        text += f" ({format_value(lower, decimals)} to {format_value(upper, decimals)})"
    return text


def to_number(value) -> float:
    """``value`` as a float; NaN when it is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def as_text(value) -> str:
    """``value`` as text; blank when missing."""
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def base_layer(built: Atlas, meta: dict) -> tuple[str, str]:
    """The layer and geography a layer's values were aggregated from (itself when native)."""
    layer, geography = meta["layer"], meta["geography"]
    native = meta.get("native_geography") or geography
    if native == geography:
        return layer, geography
    on_native = set(built.layers_on(native)["layer"])
    if layer.endswith(MOST_DEPRIVED_SUFFIX) and layer[:-len(MOST_DEPRIVED_SUFFIX)] in on_native:
        return layer[:-len(MOST_DEPRIVED_SUFFIX)], native
    return (layer, native) if layer in on_native else (layer, geography)


def decile_share_meta(built: Atlas, meta: dict) -> dict:
    """How a decile layer is shown for a set of areas: the share of residents in deciles 1-2."""
    layer = meta["layer"] + MOST_DEPRIVED_SUFFIX
    rows = built.layers[built.layers["layer"] == layer]
    if len(rows):
        found = rows.iloc[0].to_dict()
        return dict(meta, layer=layer, label=found["label"], units=found["units"], kind=found["kind"],
                    decimals=found["decimals"])
    return dict(meta, layer=layer, label=f"{meta['label']}: % of residents in the most deprived 20% nationally",
                units="%", kind="percentage", decimals=1)


def memo(built: Atlas, key, compute):
    """``compute()`` once per atlas object: figures that are the same for every profile of a district
    (the authority's values, the networks' tables, the life-expectancy gap) are kept on the atlas,
    so they live as long as it does and a changed copy (an import) starts afresh."""
    kept = built.__dict__.setdefault("_profile_memo", {})
    if key not in kept:
        kept[key] = compute()
    return kept[key]


def district_life_expectancy_gap(built: Atlas):
    """The district's life-expectancy gap (atlas.health); None when it cannot be computed."""

    def compute():
        try:
            return life_expectancy_gap(built)
        except AtlasError:
            return None

    return memo(built, "life_expectancy_gap", compute)


def geography_label(built: Atlas, geography: str) -> str:
    """A geography in words, as the atlas names it ("Wards (from May 2023)"); its id when unnamed."""
    return built.geography_labels.get(geography, geography)


def point_set_label(built: Atlas, point_set: str) -> tuple[str, dict | None]:
    """A point set's name ("GP practices", "Dental practices") and metadata, as the build recorded them."""
    rows = built.layers[(built.layers["geography"] == f"{POINTS_PREFIX}{point_set}") & (built.layers["layer"] == point_set)]
    if len(rows):
        return str(rows.iloc[0]["label"]), rows.iloc[0].to_dict()
    return point_set.replace("_", " ").capitalize(), None


def count_text(n: int, label: str) -> str:
    """"3 GP practices", "1 hospital": a count with its label, singular for one, capitals kept for acronyms."""
    label = label[0].lower() + label[1:] if label[1:2].islower() else label
    if n == 1:
        label = re.sub(r"ies$", "y", label) if label.endswith("ies") else re.sub(r"s$", "", label)
    return f"{n} {label}"
