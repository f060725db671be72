"""The profile as data: its tables, map and sources, as the renderers write them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .areas import Area


# -- the profile -------------------------------------------------------------------------------------------
@dataclass
class Table:
    """One table of a profile.

    Attributes
    ----------
    key : str
        Short id (the ``section`` column of the CSV).
    title : str
        The section heading.
    caption : str
        The table's caption (what it shows, for whom).
    data : pandas.DataFrame
        The figures as numbers (written to the CSV).
    shown : pandas.DataFrame
        The same rows as text, as the HTML and PDF show them.
    intro : str
        A sentence above the table.
    notes : list of str
        Notes below it (methods, rules).
    """

    key: str
    title: str
    caption: str
    data: pd.DataFrame
    shown: pd.DataFrame
    intro: str = ""
    notes: list[str] = field(default_factory=list)
    image: bytes | None = None
    image_alt: str = ""


@dataclass
class Profile:
    """A neighbourhood profile: the area, its tables, a map and the sources.

    Attributes
    ----------
    la_code, la_name : str
    area : Area
    produced : datetime.date
    summary : list of (str, str)
        Key figures, label and text.
    tables : list of Table
    map_png : bytes
        A small map of the area in the district.
    map_alt : str
        The map's text alternative.
    sources : list of str
        Sources, licences and attributions of every figure and boundary used.
    notes : list of str
        How the area and its figures were made.
    """

    la_code: str
    la_name: str
    area: Area
    produced: dt.date
    summary: list[tuple[str, str]]
    tables: list[Table]
    map_png: bytes
    map_alt: str
    sources: list[str]
    notes: list[str]

    @property
    def title(self) -> str:
        """The profile's title."""
        return f"Neighbourhood profile: {self.area.name}"

    def table(self, key: str) -> Table:
        """The table with ``key`` (``indicators``, ``population``, ``deprivation_imd19_decile`` ...)."""
        for table in self.tables:
            if table.key == key:
                return table
        raise KeyError(f"No table {key!r} in this profile; it has: {', '.join(t.key for t in self.tables)}")
