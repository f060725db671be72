"""Adding an import to an atlas, and taking one away."""

from __future__ import annotations

import dataclasses

from ..model import Atlas
from .common import LAYER_SUFFIXES
from .options import ImportResult

# --- adding to an atlas ------------------------------------------------------------------------

def add_to_atlas(built: Atlas, result: ImportResult) -> Atlas:
    """A copy of ``built`` with the imported layer on each of its geographies.

    An earlier layer with the same id (an earlier import of the same name) is replaced.
    """
    out = without_layer(built, result.layer)
    for geography, columns in result.columns.items():
        out = out.with_layer(geography, result.layer, columns, result.meta[geography])
    return out


def without_layer(built: Atlas, layer: str) -> Atlas:
    """A copy of ``built`` without ``layer`` (its values, notes and metadata) on any geography."""
    if not (built.layers["layer"] == layer).any():
        return built
    drop = {layer, *(f"{layer}_{s}" for s in LAYER_SUFFIXES)}
    geographies = {g: f.drop(columns=[c for c in f.columns if c in drop]) for g, f in built.geographies.items()}
    layers = built.layers[built.layers["layer"] != layer].reset_index(drop=True)
    return dataclasses.replace(built, geographies=geographies, layers=layers)
