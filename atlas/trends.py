"""District-level trend series: the authority against England and its neighbours.

Some indicators exist only for whole districts (physical activity and adult
weight from the Active Lives Adult Survey, child obesity from the NCMP): there
is nothing to map at small-area level. Each ``[[series]]`` spec in ``layers/``
names such a file (one row per area and period); :func:`district_series` reads
it for one district, England and the district's neighbours (the districts whose
outline touches its outline), for a trend chart labelled as district level.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import config
from .codes import ENGLAND
from .districts import outline_frames
from .errors import AtlasError
from .readers import apply_where, read_table, require_columns, to_number
from .specs import Catalogue, SeriesSpec

#: Gap in metres within which two district outlines count as neighbours (generalised outlines).
NEIGHBOUR_TOLERANCE_M = 100.0


def district_series(la_code: str, catalogue: Catalogue | None = None, source_dir=None,
                    neighbours: bool = True) -> pd.DataFrame:
    """Every district-level series for one district, England and (optionally) its neighbours.

    Parameters
    ----------
    la_code : str
        District code, e.g. ``E06000032``.
    catalogue : Catalogue, optional
    source_dir : path-like, optional
    neighbours : bool
        Include the districts whose outline touches this one's (where the series has them).

    Returns
    -------
    pandas.DataFrame
        One row per series, area and period: ``series``, ``label``, ``units``,
        ``higher_is``, ``area_code``, ``area_name``, ``role`` (district, England or
        neighbour), ``period`` and ``value`` (NaN where the source publishes none).
        Periods are in the file's order (oldest first).

    Raises
    ------
    AtlasError
        If no series has a row for the district.
    """
    catalogue = catalogue or Catalogue.load()
    source = config.source_dir(source_dir)
    near = neighbour_codes(la_code, catalogue, source) if neighbours else []
    frames = [read_series(spec, source, la_code, near) for spec in catalogue.series.values()]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_COLUMNS)
    if catalogue.series and not (table["role"] == "district").any():
        raise AtlasError(f"No district-level series has figures for {la_code}: the Fingertips files in "
                         f"health/fingertips_la list districts by their current codes; check the code.")
    return table


_COLUMNS = ["series", "label", "units", "higher_is", "area_code", "area_name", "role", "period", "value"]


def read_series(spec: SeriesSpec, source_dir: Path, la_code: str, neighbours: list[str]) -> pd.DataFrame:
    """One series for the district, England and the neighbours (rows in the file's period order).

    Raises
    ------
    SourceFileError
        If the file or one of its named columns is missing.
    """
    table = read_table(source_dir, spec.file, spec.reader, spec.spec_file, text_columns=(spec.area, spec.period))
    require_columns(table, [spec.area, spec.area_name, spec.period, spec.value, *spec.where], spec.file,
                    spec.spec_file)
    table = apply_where(table, spec.where)
    if "inequality" in table.columns:  # Fingertips deprivation-quintile rows are not areas
        table = table[table["inequality"].isna()]
    roles = {la_code: "district", ENGLAND: "England", **{code: "neighbour" for code in neighbours}}
    table = table[table[spec.area].isin(list(roles))]
    order = {p: i for i, p in enumerate(dict.fromkeys(table[spec.period]))}
    out = pd.DataFrame({
        "series": spec.id, "label": spec.label, "units": spec.units, "higher_is": spec.higher_is,
        "area_code": table[spec.area].to_numpy(), "area_name": table[spec.area_name].astype(str).to_numpy(),
        "role": table[spec.area].map(roles).to_numpy(), "period": table[spec.period].to_numpy(),
        "value": to_number(table[spec.value]).to_numpy(),
    })
    out["_order"] = out["period"].map(order)
    return out.sort_values(["_order", "role"]).drop(columns="_order").reset_index(drop=True)


def neighbour_codes(la_code: str, catalogue: Catalogue, source_dir: Path) -> list[str]:
    """Codes of the districts whose outline touches (within ``NEIGHBOUR_TOLERANCE_M``) the district's."""
    spec = catalogue.district_outline()
    if spec is None or la_code == ENGLAND:
        return []
    key = (spec.id, tuple(spec.files), str(source_dir))
    if key not in _NEIGHBOURS:
        _NEIGHBOURS[key] = _neighbours(spec, Path(source_dir))
    return list(_NEIGHBOURS[key].get(la_code, []))


_NEIGHBOURS: dict[tuple, dict[str, list[str]]] = {}


def _neighbours(spec, source_dir: Path) -> dict[str, list[str]]:
    import geopandas as gpd


    frames = [frame for frame, _ in outline_frames(spec, source_dir)]
    if not frames:
        return {}
    outlines = gpd.GeoDataFrame(pd.concat(frames), crs=frames[0].crs)
    outlines = outlines[outlines.index.str.startswith(("E06", "E07", "E08", "E09"))]
    grown = gpd.GeoDataFrame(geometry=outlines.geometry.buffer(NEIGHBOUR_TOLERANCE_M), crs=outlines.crs)
    pairs = gpd.sjoin(grown, outlines[["geometry"]], predicate="intersects")
    right = pairs["index_right"] if "index_right" in pairs else pairs.iloc[:, -1]
    out: dict[str, list[str]] = {}
    for left, other in zip(pairs.index, right):
        if left != other:
            out.setdefault(left, []).append(other)
    return {k: sorted(set(v)) for k, v in out.items()}


def series_meta(catalogue: Catalogue | None = None) -> list[dict]:
    """Metadata of every district-level series (label, units, source, licence ...), for captions."""
    catalogue = catalogue or Catalogue.load()
    return [{"series": s.id, "label": s.label, "title": s.title, "units": s.units, "higher_is": s.higher_is,
             "description": s.description, "publisher": s.publisher, "licence": s.licence,
             "attribution": s.attribution, "url": s.url} for s in catalogue.series.values()]
