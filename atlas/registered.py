"""Registered patients against residents: where GP registrations run ahead of or behind the census.

A ``[source]`` with ``computed = "registered_patients"`` names an ``[estimate]``
spec (its patients-by-LSOA file) and a residents indicator. Each area gets

* ``registered_patients``: every practice's registered patients living there
  (the file's rows for the area summed; rows without an area, ``NO2011``, are
  left out and counted);
* ``usual_residents``: the census usual residents; when the census is on another
  LSOA vintage (2021) they are moved to the source's (2011) through the estimate's
  lookup, reversed: a 2021 area split from a 2011 one adds to it, a 2021 area
  merged from several 2011 ones is shared among them by ``weight`` (their population);

and the spec's indicators read these two columns (counts, and registered per
100 residents as a ratio of the two). Larger areas sum both counts.

A ratio above 100 means more registrations than residents: lists keep people
who have moved away or died (list inflation), students are registered both at
home and at university, people register across a border, and the two counts are
two years and two LSOA vintages apart. Below 100, residents are not registered
where they live (or with no practice at all).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import estimates, small_area
from .readers import indicator_frame, read_source
from .specs import Catalogue, EstimateSpec, SourceSpec

#: The computed table's columns.
PATIENTS, RESIDENTS = "registered_patients", "usual_residents"


@dataclass
class RegisteredRun:
    """One registered-patients source computed for a set of areas.

    Attributes
    ----------
    source : SourceSpec
    spec : EstimateSpec
        The estimate whose patients file is counted (and whose lookup moves the census).
    indicators : list of IndicatorSpec
        The source's indicators, in catalogue order.
    table : pandas.DataFrame
        ``code``, ``registered_patients``, ``usual_residents`` for the areas asked for.
    report : dict
        For the build report.
    """

    source: SourceSpec
    spec: EstimateSpec
    indicators: list
    table: pd.DataFrame
    report: dict


def residents_on_old_areas(residents: pd.Series, links: pd.DataFrame, weights: pd.Series | None = None
                           ) -> tuple[pd.Series, list[str]]:
    """Residents of the newer areas moved to the older ones through an old-to-new lookup, conserving totals.

    Parameters
    ----------
    residents : pandas.Series
        Residents by new area code.
    links : pandas.DataFrame
        Columns ``old`` and ``new`` (the lookup from the older vintage to the newer).
    weights : pandas.Series, optional
        Population of the old areas, sharing a new area linked to several of them.

    Returns
    -------
    (pandas.Series, list of str)
        Residents by old area; and the new areas shared equally (linked to several
        old areas without a positive weight).
    """
    reverse = pd.DataFrame({"old": links["new"].to_numpy(), "new": links["old"].to_numpy()})
    moved, unshared = estimates.convert_counts(residents.to_frame(RESIDENTS), reverse, weights)
    return moved[RESIDENTS], unshared


def registered_table(patients: pd.Series, residents: pd.Series, codes) -> pd.DataFrame:
    """The computed table: ``code``, ``registered_patients``, ``usual_residents`` for ``codes``.

    Areas absent from ``patients`` or ``residents`` get no value there (not zero).
    """
    codes = sorted(set(codes))
    return pd.DataFrame({"code": codes, PATIENTS: patients.reindex(codes).to_numpy(dtype=float),
                         RESIDENTS: residents.reindex(codes).to_numpy(dtype=float)})


def run(source: SourceSpec, catalogue: Catalogue, source_dir: Path, areas, links: pd.DataFrame | None = None,
        cache_dir: Path | None = None) -> RegisteredRun:
    """Registered patients and residents of ``areas`` (a district's, or None: every area of the patients file).

    Parameters
    ----------
    source : SourceSpec
        A ``computed = "registered_patients"`` source.
    catalogue : Catalogue
    source_dir : pathlib.Path
    areas : iterable of str or None
    links : pandas.DataFrame, optional
        ``old`` and ``new`` codes linking the source's areas to the residents' (needed
        when the residents indicator is on the estimate's ``convert`` geography).
    cache_dir : pathlib.Path, optional
        Folder of district extracts of the patients file (see :func:`atlas.small_area.read_shares`); None
        reads the whole file (England: an extract of every area would be the file again).

    Returns
    -------
    RegisteredRun

    Raises
    ------
    SourceFileError
        If the patients file, the census file or the lookup (or a column) is missing.
    """
    spec = catalogue.estimates[source.estimate]
    shares = small_area.read_shares(spec, Path(source_dir), areas, cache_dir if areas is not None else None)
    # (without a cache folder the whole file is read once per process, and only ``areas`` are kept)
    patients = estimates.registered_patients(shares, areas)
    population = catalogue.indicators[source.population]
    census = indicator_frame(read_source(population.source, source_dir), population)["value"]
    report: dict = {"patients_file": spec.file, "residents": population.id, "residents_file": population.source.file}
    if population.geography == source.geography:
        residents = census
    else:
        if links is None:
            links = small_area.lsoa_links(spec, Path(source_dir))
        weights = None
        if source.weight:
            weight = catalogue.indicators[source.weight]
            weights = indicator_frame(read_source(weight.source, source_dir), weight)["value"]
        residents, unshared = residents_on_old_areas(census[census.index.isin(set(links["new"]))], links, weights)
        report.update(moved_through=spec.convert.get("file"), shared_equally=unshared)
    codes = set(patients.index) | set(residents.index) if areas is None else set(areas)
    table = registered_table(patients, residents, codes)
    no_patients, no_residents = table.loc[table[PATIENTS].isna(), "code"], table.loc[table[RESIDENTS].isna(), "code"]
    report.update(areas=len(table), no_patients=_short(no_patients), n_no_patients=len(no_patients),
                  no_residents=_short(no_residents), n_no_residents=len(no_residents),
                  registered_patients=float(table[PATIENTS].sum()), usual_residents=float(table[RESIDENTS].sum()),
                  unknown_area_patients=shares.report.get("unknown_area_patients"))
    indicators = [i for i in catalogue.indicators.values() if i.source.id == source.id]
    return RegisteredRun(source, spec, indicators, table, report)


def method_text(run_: RegisteredRun, catalogue: Catalogue) -> str:
    """The metadata's method of a registered-patients layer: what is counted, the dates, how to read the ratio."""
    spec, source = run_.spec, run_.source
    population = catalogue.indicators[source.population]
    moved = ""
    if population.geography != source.geography:
        weight = catalogue.indicators[source.weight].label if source.weight else "equal shares"
        moved = (f", moved from {population.geography} to {source.geography} through the lookup "
                 f"{Path(spec.convert.get('file', '')).name} (a newer area split from an older one adds to it; "
                 f"one merged from several is shared among them by {weight})")
    unknown = run_.report.get("unknown_area_patients") or 0
    return (f"Registered patients: every GP practice's registered patients living in the area, summed from "
            f"{spec.file} (rows without an area, {', '.join(spec.unknown_areas) or 'none'}: {unknown:,.0f} patients, "
            f"left out). Residents: {population.label} ({population.source.period}){moved}. Registered per 100 "
            f"residents = registered patients / residents x 100; larger areas sum both counts. Above 100: more "
            f"registrations than residents (list inflation: people who moved away or died still registered; "
            f"students registered at home and at university; registration across a border; the two counts are "
            f"of different dates and LSOA vintages). Below 100: residents registered elsewhere or not at all.")


def warnings(run_: RegisteredRun) -> list[str]:
    """Build-report warnings: areas without registered patients or without residents."""
    out, report = [], run_.report
    label = run_.source.id
    for key, what in (("no_patients", f"no row in {report['patients_file']}"),
                      ("no_residents", f"no residents from {report['residents_file']}")):
        if report[key]:
            out.append(f"{label}: {report['n_' + key]} area(s) have {what} and no ratio: "
                       f"{', '.join(map(str, report[key][:10]))}")
    if report.get("shared_equally"):
        out.append(f"{label}: {len(report['shared_equally'])} newer area(s) linked to several older ones without "
                   f"a population to share them by were shared equally: {', '.join(report['shared_equally'][:10])}")
    return out


def _short(codes) -> list:
    codes = list(codes)
    limit = estimates.LIST_LIMIT
    return codes if len(codes) <= limit else codes[:limit] + [f"... and {len(codes) - limit} more"]
