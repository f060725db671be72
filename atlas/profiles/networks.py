"""Primary Care Networks: the district's networks, and their footprints by nearest practice or by a lookup file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..access import nearest_table
from ..catchments import practice_set
from ..errors import AtlasError
from ..model import Atlas
from .common import LSOA_CODE, lsoa_geographies


# -- Primary Care Networks --------------------------------------------------------------------------------
def networks(built: Atlas) -> dict[str, str]:
    """The Primary Care Networks of the district's practices: code -> name (empty without practices)."""
    practices = built.points.get(practice_set())
    if practices is None or "pcn_code" not in practices:
        return {}
    pairs = practices[["pcn_code", "pcn_name"]].dropna().drop_duplicates("pcn_code")
    return dict(zip(pairs["pcn_code"].astype(str), pairs["pcn_name"].astype(str)))


def find_network(built: Atlas, text: str) -> tuple[str, str] | None:
    wanted = text.casefold().strip()
    for code, name in networks(built).items():
        if wanted in (code.casefold(), name.casefold(), re.sub(r"\s+pcn$", "", name.casefold())):
            return code, name
    return None


def nearest_practice_lsoas(built: Atlas, network: str) -> list[str]:
    """The LSOAs whose nearest of the district's practices belongs to ``network`` (newest LSOAs)."""
    geography = lsoa_geographies(built)[0]
    nearest = nearest_practice(built, geography)
    return sorted(nearest.index[nearest["pcn_code"].astype(str) == network])


def nearest_practice(built: Atlas, geography: str) -> pd.DataFrame:
    """The nearest practice (``practice``, ``pcn_code``) of each area's representative point.

    :func:`atlas.access.nearest_table`, the build's nearest-point search, from a
    point inside each area (an area's centroid can fall outside it).
    """
    import geopandas as gpd


    practices = built.points[practice_set()]
    frame = built.table(geography)
    inside = gpd.GeoDataFrame(geometry=frame.geometry.representative_point(), crs=frame.crs)
    nearest = nearest_table(inside, practices, pd.Series(np.nan, index=frame.index), None)
    practice = pd.Series(nearest["nearest"].to_numpy(), index=frame.index, name="practice")
    return pd.DataFrame({"practice": practice, "pcn_code": practices["pcn_code"].reindex(practice).to_numpy()})


def lookup_lsoas(built: Atlas, code: str, name: str, path: Path) -> tuple[list[str], str]:
    if not path.is_file():
        raise AtlasError(f"The LSOA-to-PCN lookup {path} does not exist.")
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            table = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise AtlasError(f"Cannot read the LSOA-to-PCN lookup {path} (expected CSV or Excel): {exc}") from exc
    table = table.astype("string")
    lsoa_column = next((c for c in table if table[c].str.strip().str.match(LSOA_CODE).mean() > 0.9), None)
    if lsoa_column is None:
        raise AtlasError(f"The lookup {path} has no column of LSOA codes (E01 and six digits); columns: "
                         f"{', '.join(table.columns)}.")
    wanted = {code.casefold(), name.casefold()}
    pcn_column = next((c for c in table if c != lsoa_column and table[c].str.strip().str.casefold().isin(wanted).any()),
                      None)
    if pcn_column is None:
        raise AtlasError(f"The lookup {path} has no row for {name} ({code}): no column holds that code or name.")
    rows = table[table[pcn_column].str.strip().str.casefold().isin(wanted)]
    codes = sorted(set(rows[lsoa_column].str.strip().str.upper()))
    district = set().union(*(built.geographies[g].index for g in lsoa_geographies(built)))
    outside = [c for c in codes if c not in district]
    rule = (f"Footprint of {name}: the LSOAs the lookup file {path.name} assigns to it (columns {lsoa_column!r} "
            f"and {pcn_column!r}): {len(codes) - len(outside)} in {built.la_name}")
    rule += f"; {len(outside)} outside it left out (e.g. {', '.join(outside[:3])})." if outside else "."
    return [c for c in codes if c in district], rule
