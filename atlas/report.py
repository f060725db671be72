"""The build report: what an atlas was built from and what the build found.

A :class:`BuildReport` travels with every :class:`~atlas.model.Atlas`. It is written
beside the GeoPackage as ``<LA>.report.json`` (and inside it), so an analyst can see
which files fed each layer, how many areas matched, and every warning. The sections
are typed here; the entries inside them (one per geography, layer, aggregation ...)
stay plain JSON objects because their fields depend on the kind of data.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from .errors import AtlasError
from .specs import POINTS_PREFIX


def vintage_year(vintage) -> int:
    """The first year a vintage names (``"May 2023"`` -> 2023; 0 when it names none).

    Examples
    --------
    >>> vintage_year("2013 (in use to May 2023)"), vintage_year("December 2022"), vintage_year(None)
    (2013, 2022, 0)
    """
    found = re.search(r"(?<!\d)(1[89]|20)\d\d(?!\d)", str(vintage or ""))
    return int(found.group(0)) if found else 0


@dataclass
class BuildReport:
    """The report of one atlas build.

    Attributes
    ----------
    la, la_name : str
        The authority's code and name.
    source_dir : str
        The source directory the atlas was built from.
    built : str
        When (ISO 8601, UTC).
    authority : dict
        The resolved authority (:meth:`atlas.authorities.Authority.describe`): kind,
        districts, former codes and notes.
    geographies : dict of str to dict
        By boundary-set id: ``label``, ``level``, ``vintage``, ``status``, ``areas``,
        files and missing boundaries (or why it was not built).
    geography_order : list of str
        The geographies in the order the app and exports offer them.
    layers : list of dict
        One entry per layer and geography: source file, matches, unmatched codes.
    aggregations : list of dict
        One entry per (smaller geography, larger geography) assignment: method and counts.
    warnings : list of str
        Everything the build noticed that an analyst should know.
    outline : str
        Where the district outline came from.
    points : dict of str to dict
        By point-set id: files, matched and unmatched postcodes, joins, layers.
    benchmarks : list of dict
        By layer: the district and England values the areas are compared with.
    estimates : dict of str to dict
        Small-area estimates by spec id: registers, patients and their method.
    registered : dict of str to dict
        Registered patients against residents by source id.
    imports : list of dict
        The user's imported layers re-applied to this atlas.
    area_sets : list of dict
        The user's area sets added to this atlas as geographies.
    seconds : float or None
        How long the build took.
    """

    la: str
    la_name: str
    source_dir: str = ""
    built: str = ""
    authority: dict = field(default_factory=dict)
    geographies: dict[str, dict] = field(default_factory=dict)
    geography_order: list[str] = field(default_factory=list)
    layers: list[dict] = field(default_factory=list)
    aggregations: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outline: str = ""
    points: dict[str, dict] = field(default_factory=dict)
    benchmarks: list[dict] = field(default_factory=list)
    estimates: dict[str, dict] = field(default_factory=dict)
    registered: dict[str, dict] = field(default_factory=dict)
    imports: list[dict] = field(default_factory=list)
    area_sets: list[dict] = field(default_factory=list)
    seconds: float | None = None

    def to_dict(self) -> dict:
        """The report as JSON-ready data (what ``<LA>.report.json`` holds)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, where: str = "the atlas") -> BuildReport:
        """Read a report written by :meth:`to_dict`.

        Parameters
        ----------
        data : dict
            The JSON object.
        where : str
            What it was read from, for the error message.

        Raises
        ------
        AtlasError
            If it is not an object with ``la`` and ``la_name``, or has fields this
            version does not know (an atlas built by another version: rebuild it).

        Examples
        --------
        >>> BuildReport.from_dict({"la": "E06000032", "la_name": "Luton"}).la_name
        'Luton'
        """
        if not isinstance(data, dict) or not {"la", "la_name"} <= set(data):
            raise AtlasError(f"The build report in {where} is not a report of this atlas (expected an object with "
                             f"'la' and 'la_name'); rebuild the atlas with `atlas build`.")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise AtlasError(f"The build report in {where} has fields this version of the atlas does not know "
                             f"({', '.join(unknown)}); rebuild the atlas with `atlas build`.")
        return cls(**data)

    def warn(self, text: str) -> None:
        """Add a warning."""
        self.warnings.append(text)

    def geography_labels(self) -> dict[str, str]:
        """Label of every geography in the report, by id."""
        return {g: info.get("label", g) for g, info in self.geographies.items()}

    def geography_levels(self) -> dict[str, str | None]:
        """Level (``lsoa``, ``msoa``, ``ward`` ...) of every geography in the report, by id."""
        return {g: info.get("level") for g, info in self.geographies.items()}

    def geographies_at(self, level: str) -> list[str]:
        """The geographies of one level (``lsoa``, ``msoa``, ``ward``, ``district`` ...), newest vintage first.

        Examples
        --------
        >>> report = BuildReport("E06000032", "Luton", geographies={
        ...     "lsoa11": {"level": "lsoa", "vintage": "2011"}, "lsoa21": {"level": "lsoa", "vintage": "2021"},
        ...     "ward2023": {"level": "ward", "vintage": "May 2023"}})
        >>> report.geographies_at("lsoa")
        ['lsoa21', 'lsoa11']
        """
        found = [g for g, info in self.geographies.items() if info.get("level") == level]
        return sorted(found, key=lambda g: vintage_year(self.geographies[g].get("vintage")), reverse=True)

    def point_set(self, point_set: str) -> dict:
        """The report of one point set (empty if the build placed none)."""
        return self.points.get(point_set, {})

    def benchmarks_of(self, layer: str, geography: str) -> list[dict]:
        """The benchmarks (district, England ...) the build computed for one layer on one geography.

        Parameters
        ----------
        layer : str
            Layer id.
        geography : str
            Boundary-set id, or ``points:<id>`` for a point set's layer.

        Returns
        -------
        list of dict
            ``area`` (``district`` or ``england``), ``label``, ``value`` and, where the
            data have them, ``numerator``, ``denominator`` and ``method``; empty when the
            layer has no benchmarks.
        """
        if geography.startswith(POINTS_PREFIX):
            entries = self.point_set(geography[len(POINTS_PREFIX):]).get("layers", [])
        else:
            entries = [e for e in self.benchmarks if e.get("geography") == geography]
        entry = next((e for e in entries if isinstance(e, dict) and e.get("layer") == layer), None)
        return list(entry.get("benchmarks", [])) if entry else []
