"""England's LSOAs (2021) with IoD2025 values, read from the national files for the large-map benchmark.

Stands in for the England LSOA 2021 atlas until it can be built: the per-district boundary files named by
atlas/specs/boundaries/lsoa21.toml (areas kept by LADCD_ACTIVE) and the IoD2025 table through the
catalogue's reader. Nothing is copied; everything is read from the source directory.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from atlas import config
from atlas.readers import read_source
from atlas.specs import Catalogue

FOLDER = "boundaries/lsoa2021_england_by_lad"
#: IoD2025 columns drawn as layers: (column, label, higher_is).
LAYERS = [("IMD_score", "IMD 2025 score", "worse"), ("Income_score", "Income 2025 score (rate)", "worse"),
          ("Health_score", "Health deprivation and disability 2025 score", "worse")]


def england_lsoa21(districts: list[str] | None = None) -> gpd.GeoDataFrame:
    """LSOA 2021 areas (code, name, geometry in EPSG:27700) of the given districts, or of England."""
    source = config.source_dir() / FOLDER
    files = sorted(source.glob("*.geojson.gz")) if districts is None else [source / f"{d}.geojson.gz"
                                                                          for d in districts]
    parts = []
    for path in files:
        table = pyogrio.read_dataframe(f"/vsigzip/{path}", columns=["LSOA21CD", "LSOA21NM", "LADCD_ACTIVE"])
        parts.append(table[table["LADCD_ACTIVE"] == Path(path.name).name.split(".")[0]])
    frame = pd.concat(parts, ignore_index=True).to_crs("EPSG:27700")
    frame = frame.rename(columns={"LSOA21CD": "code", "LSOA21NM": "name"})[["code", "name", "geometry"]]
    return frame.drop_duplicates("code").set_index(pd.Index(frame["code"].drop_duplicates(), name="code"))


def iod2025_values() -> pd.DataFrame:
    """The IoD2025 table by LSOA 2021 code, read with the catalogue's reader."""
    catalogue = Catalogue.load()
    source = next(ind.source for ind in catalogue.indicators.values() if ind.source.id == "iod2025")
    table = read_source(source, config.source_dir())
    return table.set_index(source.key)
