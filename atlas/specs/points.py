"""Point-set and postcode-lookup specs (``[points]`` and ``[postcodes]`` tables)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from .reading import check_table

#: Geography ids of point sets start with this prefix (``points:gp_practices``).
POINTS_PREFIX = "points:"


@dataclass(frozen=True)
class PointJoin:
    """Attributes of a point set taken from another table keyed by the same code.

    Attributes
    ----------
    file : str
        Table in the source directory.
    key : str
        Its column holding the organisation code.
    columns : dict
        Attribute name in the atlas -> column of the table.
    title : str
        Title of the publication (cited in the metadata).
    """

    file: str
    key: str
    columns: dict
    title: str = ""
    reader: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PointSetSpec:
    """A set of point locations (organisations placed by postcode).

    Attributes
    ----------
    id : str
        Identifier: the atlas holds the set as ``Atlas.points[id]`` and its
        metadata under geography ``points:<id>``.
    label : str
        Plain-English name ("GP practices").
    file : str
        The organisation table in the source directory.
    key, name, postcode : str
        Columns holding the organisation code, its name and its postcode.
    where : dict
        Row filters (column -> allowed value or list), e.g. prescribing setting 4.
    status : dict
        ``{column = ..., active = [...]}``: rows with another status are closed.
    close_date : str or None
        Column of close dates (``YYYYMMDD``); rows closed on or before the data's
        date (the latest date in ``dates``, e.g. the latest open date) are excluded and counted.
    dates : list of str
        Date columns whose latest value is taken as the data's date.
    locate : str
        Id of the ``[postcodes]`` spec that places the points.
    attributes : list of str
        Further columns kept as attributes of each point.
    joins : list of PointJoin
        Attributes from other tables keyed by the same code.
    colour_by : str or None
        Attribute colouring the points by category (e.g. ``pcn_name``).
    colour_label : str
        What that attribute is, for the legend title ("Primary Care Network").
    marker, colour : str
        How the set is drawn where all sets share one map (the profiles' map): a
        matplotlib marker (``o``, ``^``, ``s``, ``P`` ...) and a colour of the
        Okabe-Ito colour-blind-safe palette; blank takes the next of
        :data:`atlas.classify.POINT_MARKERS`.
    order : int
        Where the set comes in lists of services (lowest first).
    """

    id: str
    label: str
    title: str
    file: str
    key: str
    name: str
    postcode: str
    locate: str
    period: str
    publisher: str
    licence: str
    attribution: str
    description: str
    spec_file: str
    reader: dict = field(default_factory=dict)
    where: dict = field(default_factory=dict)
    status: dict = field(default_factory=dict)
    close_date: str | None = None
    dates: list = field(default_factory=list)
    attributes: list = field(default_factory=list)
    joins: tuple = ()
    colour_by: str | None = None
    colour_label: str = ""
    marker: str = ""
    colour: str = ""
    order: int = 100
    theme: str = "Assets"
    url: str = ""
    notes: str = ""

    @property
    def geography(self) -> str:
        """The geography id of the set's metadata rows (``points:<id>``)."""
        return POINTS_PREFIX + self.id

    @classmethod
    def from_table(cls, table: dict, where: str) -> "PointSetSpec":
        """Validate a ``[points]`` table."""
        check_table(f"{where} [points]", table, cls, filled=("joins",), extra=("join",))
        if table.get("status") and not {"column", "active"} <= set(table["status"]):
            raise SpecError(f"{where} [points]: status needs column and active (the active status values)")
        joins = []
        for i, join in enumerate(table.get("join", [])):
            check_table(f"{where} [[points.join]] #{i + 1}", join, PointJoin)
            joins.append(PointJoin(**join))
        fields = {k: v for k, v in table.items() if k != "join"}
        return cls(spec_file=where, joins=tuple(joins), **fields)


@dataclass(frozen=True)
class PostcodeSpec:
    """A postcode lookup placing postcodes on the map (OS Code-Point Open).

    Attributes
    ----------
    files : str
        Glob of the lookup files, relative to the source directory.
    postcode, x, y : str
        Columns holding the postcode and its easting and northing.
    crs : str
        CRS of the coordinates.
    district, country : str or None
        Columns holding the district and country code of each postcode.
    """

    id: str
    title: str
    files: str
    postcode: str
    x: str
    y: str
    crs: str
    publisher: str
    licence: str
    attribution: str
    spec_file: str
    district: str | None = None
    country: str | None = None
    reader: dict = field(default_factory=dict)
    period: str = ""
    url: str = ""
    notes: str = ""
