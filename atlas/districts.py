"""The districts the source directory knows: their names, and which boundary sets hold their areas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import config
from .codes import ENGLAND
from .errors import UnknownAreaError
from .geography import glob_files, member_table, read_boundary_file
from .specs import BoundarySpec, Catalogue


def district_name(catalogue: Catalogue, source_dir: Path, la: str) -> str:
    """The name of district ``la`` from the member tables or outlines of the catalogue.

    Raises
    ------
    UnknownAreaError
        If no member table or outline file of the source directory has the code.
    """
    if la == ENGLAND:
        return "England"
    looked = []
    for name, code, where in _district_names(catalogue, source_dir):
        looked.append(where)
        if code == la:
            return name
    raise UnknownAreaError(
        f"No district {la} in the source data: it is not in {', '.join(sorted(set(looked)))}. "
        f"Run `atlas districts` to list the districts with data (LSOA 2011 data use 2019 district codes)."
    )


def list_districts(catalogue: Catalogue | None = None, source_dir: str | Path | None = None) -> pd.DataFrame:
    """Every English district the source directory knows, with what it has.

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``name`` and one boolean column per boundary set
        saying whether the district has member areas of it.
    """
    catalogue = catalogue or Catalogue.load()
    source = config.source_dir(source_dir)
    names: dict[str, str] = {}
    for name, code, _ in _district_names(catalogue, source):
        if code.startswith(("E06", "E07", "E08", "E09")):
            names.setdefault(code, name)
    out = pd.DataFrame({"code": list(names), "name": list(names.values())})
    for spec in catalogue.area_boundaries():
        if spec.members is not None:
            out[spec.id] = out["code"].isin(set(member_table(spec, source)["district"]))
    return out.sort_values("code").reset_index(drop=True)


def _district_names(catalogue: Catalogue, source_dir: Path):
    for spec in catalogue.area_boundaries():
        if spec.members is None or not spec.members.district_name:
            continue
        table = member_table(spec, source_dir).drop_duplicates("district")
        for code, name in zip(table["district"], table["district_name"]):
            yield str(name), code, spec.members.file
    outline = catalogue.district_outline()
    if outline is not None:
        frames = [b for b in outline_frames(outline, source_dir)]
        for frame, relative in frames:
            for code, name in zip(frame.index, frame["name"]):
                yield str(name), code, relative


def outline_frames(spec: BoundarySpec, source_dir: Path):
    for pattern in spec.files:
        for relative in glob_files(source_dir, pattern):
            yield read_boundary_file(spec, Path(source_dir) / relative, relative), relative
