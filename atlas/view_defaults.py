"""What the map opens on, and which indicators the district's 20:20 index belongs with.

Both come from the specs' roles (``atlas/specs/roles.toml``), never from
literal ids: the role ``opening_indicator`` names the indicator the map opens
on (the newest IoD edition's IMD decile), shown on the geography it is
published on when the authority has it; the roles ``income_decile`` and
``income_score`` name the income-deprivation layers the 20:20 and 10:10
indices are computed from, so those indices are shown with them only.

>>> opening_view(built)                    # doctest: +SKIP
('lsoa21', 'imd25_decile')
"""

from __future__ import annotations

import pandas as pd

from .errors import AtlasError
from .model import Atlas
from .specs import Catalogue

#: The role of the indicator the map opens on.
OPENING_ROLE = "opening_indicator"
#: The roles of the layers the 20:20 and 10:10 indices are computed from (income deprivation).
INCOME_ROLES = ("income_decile", "income_score")


def _catalogue(catalogue: Catalogue | None) -> Catalogue:
    return catalogue if catalogue is not None else Catalogue.load()


def opening_view(built: Atlas, catalogue: Catalogue | None = None) -> tuple[str, str] | None:
    """The geography and indicator the map opens on, when the authority has them.

    Parameters
    ----------
    built : Atlas
        The authority's atlas.
    catalogue : Catalogue, optional
        The specs (the project's by default).

    Returns
    -------
    (str, str) or None
        The role ``opening_indicator``'s layer on its native geography (the one
        its values were published on); None when the roles name none or the
        atlas lacks the layer there (the caller keeps its own default).
    """
    try:
        layer = _catalogue(catalogue).role(OPENING_ROLE)
    except AtlasError:
        return None
    geography = built.native_geography(layer)
    if geography is None or layer not in set(built.layers_on(geography)["layer"]):
        return None
    return geography, layer


def headline_layer(layers: pd.DataFrame, catalogue: Catalogue | None = None) -> str:
    """The indicator a geography opens on, from its layers' metadata (``layer``, ``kind`` rows).

    The opening indicator where the geography has it, else the newest IMD
    national decile there (the IoD editions' IMD deciles, by their specs'
    ``decile`` kind and ``imd`` ids, latest spec last), else the first layer.
    """
    try:
        opening = _catalogue(catalogue).role(OPENING_ROLE)
    except AtlasError:
        opening = None
    ids = list(layers["layer"])
    if opening in ids:
        return opening
    imd = layers[layers["layer"].str.startswith("imd")]
    deciles = imd[imd["kind"] == "decile"]
    return str((deciles if len(deciles) else imd if len(imd) else layers)["layer"].iloc[0])


def income_layers(catalogue: Catalogue | None = None) -> set[str]:
    """The income-deprivation layers the district's 20:20 and 10:10 indices come from (by role)."""
    found = set()
    for role in INCOME_ROLES:
        try:
            found.add(_catalogue(catalogue).role(role))
        except AtlasError:
            continue
    return found


def shows_twenty_twenty(layer: str, catalogue: Catalogue | None = None) -> bool:
    """Whether the 20:20 and 10:10 indices belong with ``layer``: it is one of the income-deprivation layers."""
    return layer in income_layers(catalogue)
