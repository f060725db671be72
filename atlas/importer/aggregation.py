"""An import aggregated from its own areas to the atlas's wards, MSOAs and area sets, with the build's rules."""

from __future__ import annotations

import pandas as pd

from .. import aggregate
from ..area_members import area_set_geographies, area_set_members
from ..geography import Boundaries, assign
from ..specs import KIND_AGGREGATION
from .common import SINGLE_VALUE_KINDS
from .conversion import district_population
from .district import DistrictAreas
from .options import MatchReport

#: How an import reaches an area set's areas (the set's own membership, as its other layers).
AREA_SET_RULE = "the area set's membership (as the set's own layers)"

# --- aggregation to wards, MSOAs and area sets ---------------------------------------------------------

def aggregate_import(values: pd.Series, native: str, kind: str, areas: DistrictAreas, report: MatchReport) -> dict:
    """The layer on larger geographies that aggregate from the native one, as the build aggregates its layers.

    Wards and MSOAs by the boundary specs' rules; area sets (``atlas areas add``)
    by their own membership of LSOAs, as their other layers were aggregated.
    """
    if kind in SINGLE_VALUE_KINDS or areas.source is None:
        return {}
    built, out = areas.atlas, {}
    child = Boundaries(areas.catalogue.boundaries[native], built.table(native))
    for target in areas.local:
        rule = areas.catalogue.boundaries[target].aggregate_from.get(native)
        if rule is None:
            continue
        parent = Boundaries(areas.catalogue.boundaries[target], built.table(target))
        assignment = assign(rule, child, parent, areas.source)
        out[target] = _aggregated(values, native, kind, target, assignment.parent, assignment.method, areas, report)
    for target in area_set_geographies(built):
        members = area_set_members(built, target).get(native)
        if members is not None and target not in out:
            out[target] = _aggregated(values, native, kind, target, members, AREA_SET_RULE, areas, report)
    return out


def _aggregated(values: pd.Series, native: str, kind: str, target: str, parent: pd.Series, how: str,
                areas: DistrictAreas, report: MatchReport) -> tuple[pd.DataFrame, str]:
    """One target geography's values (with notes) and the method in words; the aggregation reported."""
    built, rule = areas.atlas, KIND_AGGREGATION[kind]
    weights = district_population(built, native)
    index = built.table(native).index
    result = aggregate.by_rule(rule, values.reindex(index).to_frame("value"), "value", parent.reindex(index), weights)
    weight_label = None if weights is None else built.layer(weights.name, native)["label"]
    method = aggregate.method_text(rule, areas.label(native), weight_label, how)
    frame = result.columns[["value"]].copy()
    frame["note"] = ""
    frame.loc[frame.index.isin(result.incomplete), "note"] = "some of its areas have no value"
    report.aggregations.append({"geography": target, "geography_label": areas.label(target), "method": method,
                                "incomplete": list(result.incomplete)})
    return frame, method
