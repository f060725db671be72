"""The district's areas by geography, with the national member lists an import is matched against."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SourceFileError
from ..geography import member_table
from ..model import Atlas
from ..specs import Catalogue


@dataclass
class DistrictAreas:
    """The district's areas by geography, and the national member lists the catalogue has."""

    atlas: Atlas
    catalogue: Catalogue
    source: Path | None
    local: dict
    level: dict
    order: dict
    national: dict  # geography -> {code: district name} (only where a member list exists)
    known_codes: dict = field(default_factory=dict)  # geography -> the district's codes and the national ones

    @classmethod
    def of(cls, built: Atlas, source: Path | None, catalogue: Catalogue | None = None) -> "DistrictAreas":
        catalogue = catalogue or Catalogue.load()
        local, level, order, national = {}, {}, {}, {}
        for g, frame in built.geographies.items():
            spec = catalogue.boundaries.get(g)
            if spec is None:
                continue
            local[g], level[g], order[g] = set(frame.index), spec.level, spec.order
            if spec.members is not None and source is not None:
                national[g] = _national_members(spec, source)
        known = {g: local[g] | set(national.get(g, ())) for g in local}
        return cls(built, catalogue, source, local, level, order, national, known)

    def label(self, g: str) -> str:
        return self.atlas.geography_labels.get(g) or self.catalogue.boundaries[g].label

    def known(self, g: str) -> set:
        return self.known_codes[g]

    def siblings(self, g: str) -> list[str]:
        """Other geographies of the same level (other vintages)."""
        return [o for o in self.local if o != g and self.level[o] == self.level[g]]


def _national_members(spec, source: Path) -> dict:
    try:
        table = member_table(spec, source).drop_duplicates("code")
    except SourceFileError:
        return {}
    names = table["district_name"].astype(object).where(table["district_name"].notna(), table["district"])
    return dict(zip(table["code"].astype(object), names))
