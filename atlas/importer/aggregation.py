"""An import aggregated from its own areas to the atlas's wards and MSOAs, with the build's rules."""

from __future__ import annotations

import pandas as pd

from .. import aggregate
from ..geography import Boundaries, assign
from ..specs import KIND_AGGREGATION
from .common import SINGLE_VALUE_KINDS
from .conversion import district_population
from .district import DistrictAreas
from .options import MatchReport

# --- aggregation to wards and MSOAs --------------------------------------------------------------

def aggregate_import(values: pd.Series, native: str, kind: str, areas: DistrictAreas, report: MatchReport) -> dict:
    """The layer on larger geographies that aggregate from the native one, as the build aggregates its layers."""
    if kind in SINGLE_VALUE_KINDS or areas.source is None:
        return {}
    built, out, how = areas.atlas, {}, KIND_AGGREGATION[kind]
    weights = district_population(built, native)
    child = Boundaries(areas.catalogue.boundaries[native], built.table(native))
    for target in areas.local:
        rule = areas.catalogue.boundaries[target].aggregate_from.get(native)
        if rule is None:
            continue
        parent = Boundaries(areas.catalogue.boundaries[target], built.table(target))
        assignment = assign(rule, child, parent, areas.source)
        parents = assignment.parent.reindex(child.frame.index)
        full = values.reindex(child.frame.index)
        result = aggregate.by_rule(how, full.to_frame("value"), "value", parents, weights)
        weight_label = None if weights is None else built.layer(weights.name, native)["label"]
        method = aggregate.method_text(how, areas.label(native), weight_label, assignment.method)
        frame = result.columns[["value"]].copy()
        frame["note"] = ""
        frame.loc[frame.index.isin(result.incomplete), "note"] = "some of its areas have no value"
        out[target] = (frame, method)
        report.aggregations.append({"geography": target, "geography_label": areas.label(target), "method": method,
                                    "incomplete": list(result.incomplete)})
    return out
