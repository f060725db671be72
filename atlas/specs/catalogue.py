"""The catalogue: every spec of a spec folder, parsed once and validated together."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .boundary import BoundarySpec
from .downloads import FileDownload, collect_downloads
from .estimate import EstimateSpec, estimate_indicators
from .layer import POLARITIES, IndicatorSpec, SourceSpec, layer_indicators
from .points import POINTS_PREFIX, PointSetSpec, PostcodeSpec
from .reading import ROLES_FILE, SPEC_ROOT, check_keys, check_table, read_toml, relative_name, spec_files, without_downloads
from .series import SeriesSpec


def _roles(data: dict, where: str) -> dict[str, str]:
    """The ``[roles]`` table: role -> id."""
    check_keys(where, data, {"roles"}, {"roles"})
    roles = data["roles"]
    bad = sorted(k for k, v in roles.items() if not isinstance(v, str) or not v)
    if bad:
        raise SpecError(f"{where} [roles]: {', '.join(bad)} must name an indicator or point-set id")
    return dict(roles)


def _load_other_specs(data: dict, where: str) -> dict:
    """Point sets, postcode lookups and series from a layer file without ``[source]``."""
    out: dict[str, list] = {"points": [], "postcodes": [], "series": [], "estimates": []}
    check_keys(where, data, {"points", "postcodes", "series", "estimate"}, set())
    if not data:
        raise SpecError(f"{where}: empty spec; expected [source] with [[indicator]], [points], [postcodes], "
                        f"[[series]] or [estimate]")
    if "estimate" in data:
        check_table(f"{where} [estimate]", data["estimate"], EstimateSpec)
        out["estimates"].append(EstimateSpec(spec_file=where, **data["estimate"]))
    if "points" in data:
        out["points"].append(PointSetSpec.from_table(data["points"], where))
    if "postcodes" in data:
        check_table(f"{where} [postcodes]", data["postcodes"], PostcodeSpec)
        out["postcodes"].append(PostcodeSpec(spec_file=where, **data["postcodes"]))
    for i, series in enumerate(data.get("series", [])):
        check_table(f"{where} [[series]] #{i + 1}", series, SeriesSpec)
        if series["higher_is"] not in POLARITIES:
            raise SpecError(f"{where} [[series]] #{i + 1}: higher_is {series['higher_is']!r} is not one of "
                            f"{', '.join(POLARITIES)}")
        out["series"].append(SeriesSpec(spec_file=where, **series))
    return out


#: The catalogue last loaded, by its folder and the state (time, size) of its files.
_LOADED: dict[tuple, "Catalogue"] = {}


@dataclass
class Catalogue:
    """Every boundary set and indicator the atlas knows about.

    Parameters
    ----------
    boundaries : dict
        Boundary specs by id.
    indicators : dict
        Indicator specs by id.
    """

    boundaries: dict[str, BoundarySpec]
    indicators: dict[str, IndicatorSpec]
    points: dict[str, PointSetSpec] = field(default_factory=dict)
    postcodes: dict[str, PostcodeSpec] = field(default_factory=dict)
    series: dict[str, SeriesSpec] = field(default_factory=dict)
    estimates: dict[str, EstimateSpec] = field(default_factory=dict)
    #: Every file the specs name, by pattern, with the specs naming it and its download (``atlas fetch``).
    downloads: dict[str, FileDownload] = field(default_factory=dict)
    #: Which indicator or point set plays each role of the fixed analyses (``roles.toml``), by role.
    roles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, root: str | Path | None = None) -> "Catalogue":
        """Load the specs under ``root/boundaries`` and ``root/layers``.

        The catalogue is parsed once and shared while no spec file changes
        (treat it as read-only).

        Parameters
        ----------
        root : path-like, optional
            Folder holding ``boundaries/`` and ``layers/``; the packaged specs (``SPEC_ROOT``) by default.

        Returns
        -------
        Catalogue

        Raises
        ------
        SpecError
            On a malformed spec, a duplicated id, or an indicator whose geography
            or weight is unknown.
        """
        root = Path(root) if root else SPEC_ROOT
        files = spec_files(root)
        key = (str(root.resolve()), tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files))
        if key not in _LOADED:
            _LOADED.clear()  # one catalogue kept: the specs' latest state
            _LOADED[key] = cls._parse(root, files)
        return _LOADED[key]

    @classmethod
    def _parse(cls, root: Path, files: list[Path]) -> "Catalogue":
        downloads: dict[str, FileDownload] = {}

        def parse(path: Path) -> tuple[dict, str]:  # each file parsed once: its downloads, then the spec
            raw, where = read_toml(path), relative_name(path, root)
            collect_downloads(raw, where, downloads)
            return without_downloads(raw), where

        boundaries: dict[str, BoundarySpec] = {}
        for path in (p for p in files if p.parent == root / "boundaries"):
            spec = BoundarySpec.from_table(*parse(path))
            if spec.id in boundaries:
                raise SpecError(f"{spec.spec_file}: boundary id {spec.id!r} is also used by "
                                f"{boundaries[spec.id].spec_file}")
            boundaries[spec.id] = spec
        indicators: dict[str, IndicatorSpec] = {}
        others: dict[str, dict] = {"points": {}, "postcodes": {}, "series": {}, "estimates": {}}
        for path in (p for p in files if p.is_relative_to(root / "layers")):
            data, where = parse(path)
            if "source" not in data and "indicator" not in data:
                for kind, specs in _load_other_specs(data, where).items():
                    for spec in specs:
                        if spec.id in others[kind]:
                            raise SpecError(f"{spec.spec_file}: {kind} id {spec.id!r} is also used by "
                                            f"{others[kind][spec.id].spec_file}")
                        others[kind][spec.id] = spec
                continue
            for ind in layer_indicators(data, where):
                if ind.id in indicators:
                    raise SpecError(f"{ind.source.spec_file}: indicator id {ind.id!r} is also used by "
                                    f"{indicators[ind.id].source.spec_file}")
                indicators[ind.id] = ind
        for spec in others["estimates"].values():
            for ind in estimate_indicators(spec, indicators):
                if ind.id in indicators:
                    raise SpecError(f"{spec.spec_file}: estimate {ind.id!r} is also an indicator of "
                                    f"{indicators[ind.id].source.spec_file}")
                indicators[ind.id] = ind
        roles = _roles(*parse(root / ROLES_FILE)) if root / ROLES_FILE in files else {}
        catalogue = cls(boundaries, indicators, others["points"], others["postcodes"], others["series"],
                        estimates=others["estimates"], downloads=downloads, roles=roles)
        catalogue._validate()
        return catalogue

    def _validate(self) -> None:
        unknown = sorted(f"{role} = {ident!r}" for role, ident in self.roles.items()
                         if ident not in self.indicators and ident not in self.points)
        if unknown:
            raise SpecError(f"{ROLES_FILE}: {', '.join(unknown)} name(s) no indicator or point set of the catalogue")
        for spec in self.points.values():
            if spec.locate not in self.postcodes:
                raise SpecError(f"{spec.spec_file}: locate {spec.locate!r} is not a [postcodes] spec; "
                                f"known: {', '.join(sorted(self.postcodes)) or 'none'}")
        for ind in self.indicators.values():
            point_set = ind.source.point_set
            if point_set is not None:
                if point_set not in self.points:
                    raise SpecError(f"{ind.source.spec_file}: geography {ind.geography!r} names no point set; "
                                    f"known: {', '.join(POINTS_PREFIX + p for p in sorted(self.points)) or 'none'}")
                continue
            if ind.geography not in self.boundaries:
                raise SpecError(f"{ind.source.spec_file}: geography {ind.geography!r} is not a boundary set; "
                                f"known: {', '.join(sorted(self.boundaries))}")
            if ind.source.computed == EstimateSpec.METHOD:
                continue
            if ind.source.computed == SourceSpec.REGISTERED:
                self._validate_registered(ind.source)
                continue
            unknown = [p for p in ind.source.point_sets if p not in self.points]
            if ind.source.computed and (unknown or not ind.source.point_sets):
                raise SpecError(f"{ind.source.spec_file}: points {ind.source.points!r} names no point set; "
                                f"known: {', '.join(sorted(self.points)) or 'none'}")
            if ind.source.computed == "nearest_point" and len(ind.source.point_sets) != 1:
                raise SpecError(f"{ind.source.spec_file}: nearest_point takes one point set (points = \"...\")")
            weight = ind.source.weight
            if weight and (weight not in self.indicators or self.indicators[weight].geography != ind.geography):
                raise SpecError(f"{ind.source.spec_file}: weight {weight!r} must be an indicator on "
                                f"the same geography ({ind.geography})")
        self._validate_coverage()
        for spec in self.estimates.values():
            if spec.catchments and spec.catchments not in self.points:
                raise SpecError(f"{spec.spec_file}: catchments {spec.catchments!r} names no point set; "
                                f"known: {', '.join(sorted(self.points)) or 'none'}")

    def _validate_coverage(self) -> None:
        """A rule's ``coverage`` names summed residents of its children and residents the parent gets otherwise.

        A name the catalogue lacks is let through (a spec folder without those layers): the build then
        reports the coverage as not computed.
        """
        for boundary in self.boundaries.values():
            for child, rule in boundary.aggregate_from.items():
                if not rule.coverage:
                    continue
                where = f"{boundary.spec_file} [aggregate_from.{child}] coverage"
                people = self.indicators.get(rule.coverage["population"])
                if people is not None and (people.geography != child or people.aggregation != "sum"):
                    raise SpecError(f"{where}: population {rule.coverage['population']!r} must be a population "
                                    f"indicator on {child} (summed to {boundary.id})")
                residents = self.indicators.get(rule.coverage["reference"])
                others = set(boundary.aggregate_from) - {child} | {boundary.id}
                if residents is not None and (residents.geography not in others or residents.kind != "population"):
                    raise SpecError(f"{where}: reference {rule.coverage['reference']!r} must be a population "
                                    f"indicator on {' or '.join(sorted(others))} (the area's own residents)")

    def _validate_registered(self, source: SourceSpec) -> None:
        """A registered-patients source names an ``[estimate]`` on its geography and residents it can reach."""
        where = f"{source.spec_file} [source]"
        spec = self.estimates.get(source.estimate)
        if spec is None:
            raise SpecError(f"{where}: estimate {source.estimate!r} names no [estimate] spec; "
                            f"known: {', '.join(sorted(self.estimates)) or 'none'}")
        if source.geography != spec.geography:
            raise SpecError(f"{where}: geography {source.geography!r} must be the estimate's ({spec.geography})")
        residents = self.indicators.get(source.population)
        reachable = {spec.geography, spec.convert.get("geography")} - {None}
        if residents is None or residents.geography not in reachable:
            raise SpecError(f"{where}: population {source.population!r} must be an indicator on "
                            f"{' or '.join(sorted(reachable))} (the residents)")
        weight = self.indicators.get(source.weight) if source.weight else None
        if source.weight and (weight is None or weight.geography != source.geography):
            raise SpecError(f"{where}: weight {source.weight!r} must be an indicator on {source.geography}")

    def role(self, name: str) -> str:
        """The id of the indicator or point set that plays a role of the fixed analyses (``roles.toml``).

        Raises
        ------
        SpecError
            If ``roles.toml`` gives no id for the role.
        """
        if name not in self.roles:
            raise SpecError(f"{ROLES_FILE}: no layer or point set is given the role {name!r} (the analysis "
                            f"that needs it cannot run); roles given: {', '.join(sorted(self.roles)) or 'none'}.")
        return self.roles[name]

    def indicators_on(self, geography: str) -> list[IndicatorSpec]:
        """Indicators whose values are keyed by ``geography``."""
        return [i for i in self.indicators.values() if i.geography == geography]

    def sources_on(self, geography: str) -> list[SourceSpec]:
        """Distinct source datasets keyed by ``geography``, in catalogue order."""
        seen: dict[str, SourceSpec] = {}
        for ind in self.indicators_on(geography):
            seen.setdefault(ind.source.id, ind.source)
        return list(seen.values())

    def area_boundaries(self) -> list[BoundarySpec]:
        """Boundary sets other than district outlines, in display order."""
        return sorted((b for b in self.boundaries.values() if b.level != "district"), key=lambda b: b.order)

    def district_outline(self) -> BoundarySpec | None:
        """The boundary set of district outlines, if the catalogue has one."""
        return next((b for b in self.boundaries.values() if b.level == "district"), None)


def as_dict(obj: Any) -> dict:
    """A spec as a plain dict (for metadata tables and JSON)."""
    return dataclasses.asdict(obj)
