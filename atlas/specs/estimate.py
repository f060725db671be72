"""Small-area estimate specs (``[estimate]``): practice registers shared among the areas their patients live in."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SpecError
from .layer import IndicatorSpec, SourceSpec


@dataclass(frozen=True)
class EstimateSpec:
    """Small-area estimates of the registers of a practice-keyed source (``[estimate]``).

    Attributes
    ----------
    registers : str
        The ``[source]`` id of the practice registers (its ratio indicators are estimated).
    register_column : str
        The registers file's column naming the register (every value in the file
        should have an indicator; those without are reported).
    file : str
        The patients-by-area file: one row per practice and area of residence.
    practice, area, patients : str
        Its columns: practice code, area code, number of patients.
    unknown_areas : list of str
        Area codes meaning "no area" (``NO2011``), left out and counted.
    geography : str
        The boundary set of the file's area codes (``lsoa11``).
    suffix : str
        Added to a register indicator's id to make the estimate's (``qof_ob`` -> ``qof_ob_est``).
    convert : dict
        Optional conversion of the counts to another LSOA vintage: ``geography``,
        ``file`` (lookup), ``old`` and ``new`` columns, ``weight`` (population
        indicator on the target sharing a split area).
    catchments : str or None
        A point set (``gp_practices``) whose district members' catchments (where
        their patients live) the atlas keeps.
    """

    id: str
    title: str
    registers: str
    register_column: str
    file: str
    practice: str
    area: str
    patients: str
    geography: str
    period: str
    publisher: str
    licence: str
    attribution: str
    spec_file: str
    unknown_areas: list = field(default_factory=list)
    reader: dict = field(default_factory=dict)
    suffix: str = "_est"
    convert: dict = field(default_factory=dict)
    catchments: str | None = None
    theme: str = "Small-area health estimates"
    url: str = ""
    notes: str = ""

    #: The ``computed`` method of the sources it makes.
    METHOD = "small_area_estimate"

    def source(self) -> SourceSpec:
        """The computed source its indicators share (keyed by area code)."""
        return SourceSpec(id=self.id, title=self.title, file=self.file, key="code", geography=self.geography,
                          period=self.period, publisher=self.publisher, licence=self.licence,
                          attribution=self.attribution, spec_file=self.spec_file, theme=self.theme, url=self.url,
                          notes=self.notes, computed=self.METHOD)

    def indicator_for(self, register: IndicatorSpec, source: SourceSpec) -> IndicatorSpec:
        """The estimate indicator of one register indicator (same units, polarity and palette)."""
        label = register.label.replace("recorded prevalence", "estimated prevalence by area")
        if label == register.label:
            label = f"{register.label} (estimated by area)"
        description = (f"Estimate (not a count): the practices' registers (the GP practice layer "
                       f"\"{register.label}\") shared among the areas where their registered patients live. "
                       f"{register.description}")
        return IndicatorSpec(id=register.id + self.suffix, label=label, kind="percentage", units=register.units,
                             higher_is=register.higher_is, description=description, source=source,
                             numerator=(f"{register.id}_register",), denominator=f"{register.id}_list",
                             scale=register.scale, palette=register.palette, decimals=register.decimals)


def estimate_indicators(spec: EstimateSpec, indicators: dict) -> list[IndicatorSpec]:
    """The estimate indicators of an ``[estimate]`` spec: one per ratio indicator of its registers source."""
    registers = [i for i in indicators.values() if i.source.id == spec.registers and i.numerator and i.denominator]
    if not registers:
        raise SpecError(f"{spec.spec_file}: registers {spec.registers!r} names no [source] with ratio indicators "
                        f"(numerator and denominator)")
    source = spec.source()
    return [spec.indicator_for(register, source) for register in registers]
