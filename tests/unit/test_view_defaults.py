"""atlas.view_defaults: the view the map opens on and where the 20:20 index belongs, from the specs' roles."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from atlas import view_defaults
from atlas.model import LAYER_COLUMNS, Atlas, empty_shares
from atlas.report import BuildReport
from atlas.specs import Catalogue


def _row(layer: str, geography: str, kind: str, native: str = "") -> dict:
    row = {key: "" for key in LAYER_COLUMNS}
    row.update(layer=layer, geography=geography, kind=kind, native_geography=native or geography, label=layer)
    return row


def _atlas(rows: list[dict], geographies=("old", "new")) -> Atlas:
    frame = gpd.GeoDataFrame({"name": ["A"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:27700",
                             index=pd.Index(["a"], name="code"))
    for row in rows:
        frame[row["layer"]] = 1.0
    report = BuildReport(la="E06999999", la_name="Testshire",
                         geographies={g: {"label": g, "level": "lsoa", "vintage": g} for g in geographies},
                         geography_order=list(geographies))
    return Atlas("E06999999", "Testshire", {g: frame for g in geographies},
                 pd.DataFrame(rows, columns=LAYER_COLUMNS), empty_shares(), report)


@pytest.fixture
def catalogue() -> Catalogue:
    """The project's specs with made-up roles (the ids need not be real layers here)."""
    real = Catalogue.load()
    return dataclasses.replace(real, roles={"opening_indicator": "dep_new_decile", "income_decile": "inc_decile",
                                            "income_score": "inc_score"})


def test_the_map_opens_on_the_opening_role_on_its_native_geography(catalogue):
    built = _atlas([_row("dep_old_decile", "old", "decile"), _row("dep_new_decile", "new", "decile"),
                    _row("dep_new_decile", "old", "decile", native="new")])
    assert view_defaults.opening_view(built, catalogue) == ("new", "dep_new_decile")
    assert view_defaults.headline_layer(built.layers_on("old"), catalogue) == "dep_new_decile"


def test_without_the_opening_layer_the_map_keeps_its_own_default(catalogue):
    built = _atlas([_row("imd_old_decile", "old", "decile"), _row("imd_old_score", "old", "score")],
                   geographies=("old",))
    assert view_defaults.opening_view(built, catalogue) is None
    assert view_defaults.headline_layer(built.layers_on("old"), catalogue) == "imd_old_decile"
    no_roles = dataclasses.replace(catalogue, roles={})
    assert view_defaults.opening_view(built, no_roles) is None


def test_the_20_20_index_belongs_with_the_income_layers_only(catalogue):
    assert view_defaults.income_layers(catalogue) == {"inc_decile", "inc_score"}
    assert view_defaults.shows_twenty_twenty("inc_score", catalogue)
    assert view_defaults.shows_twenty_twenty("inc_decile", catalogue)
    assert not view_defaults.shows_twenty_twenty("dep_new_decile", catalogue)
    assert view_defaults.income_layers(dataclasses.replace(catalogue, roles={})) == set()


def test_the_projects_roles_open_on_iod2025_on_lsoa_2021():
    catalogue = Catalogue.load()
    opening = catalogue.role("opening_indicator")
    assert opening in catalogue.indicators
    spec = catalogue.indicators[opening]
    assert spec.kind == "decile" and "2025" in spec.label
