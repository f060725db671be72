"""District-level series specs (``[[series]]`` tables: one value per district and period)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SeriesSpec:
    """A district-level time series (one value per district and period).

    Attributes
    ----------
    file : str
        Long table: one row per area and period.
    area, area_name, period, value : str
        Columns holding the area code and name, the period and the value.
    where : dict
        Row filters (e.g. sex).
    """

    id: str
    label: str
    title: str
    file: str
    units: str
    higher_is: str
    description: str
    publisher: str
    licence: str
    attribution: str
    spec_file: str
    area: str = "area_code"
    area_name: str = "area_name"
    period: str = "period"
    value: str = "value"
    where: dict = field(default_factory=dict)
    reader: dict = field(default_factory=dict)
    theme: str = "District context"
    url: str = ""
    notes: str = ""
    decimals: int = 1
