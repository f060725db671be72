"""Reading what an ``[estimate]`` spec names and shaping the small-area estimates for a build.

:mod:`atlas.estimates` holds the method (pure functions over tables); this module
reads the patients-by-LSOA file and the practice registers the spec names, runs
the method for a set of areas, and gives the build its table (registers and lists
by area), the benchmarks (the district's summed R over summed L, and England's
national QOF total) and the report: rows without an area, suppressed counts,
practices of one file missing from the other, registers left out, and every
register of the file without an estimate.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from . import estimates
from .caching import fingerprint
from .comparators import Benchmark
from .errors import SourceFileError
from .readers import indicator_frame, member_of, normalise_codes, read_source, read_table, require_columns, resolve
from .specs import Catalogue, EstimateSpec, IndicatorSpec


@dataclass
class EstimateRun:
    """One ``[estimate]`` spec run for a set of areas.

    Attributes
    ----------
    spec : EstimateSpec
    indicators : list of IndicatorSpec
        The estimate indicators, in catalogue order.
    shares : estimates.PatientShares
        Every practice's shares (the whole file).
    registers : dict
        Register indicator id -> practice table (``numerator``, ``denominator``).
    result : estimates.Estimates
        R and L by area (the areas asked for), one column per register indicator id.
    national : pandas.DataFrame
        England's register and list of each register indicator (every practice of the file).
    report : dict
        For the build report.
    """

    spec: EstimateSpec
    indicators: list
    shares: estimates.PatientShares
    registers: dict
    result: estimates.Estimates
    national: pd.DataFrame
    report: dict

    def register_of(self, indicator: IndicatorSpec) -> str:
        """The register indicator id an estimate indicator comes from (``qof_ob_est`` -> ``qof_ob``)."""
        return indicator.id[: -len(self.spec.suffix)] if self.spec.suffix else indicator.id


def run(spec: EstimateSpec, catalogue: Catalogue, source_dir: Path, areas, cache_dir: Path | None = None
        ) -> EstimateRun:
    """Estimate every register of the spec for ``areas`` (a district's LSOAs, or every LSOA: None).

    With ``cache_dir``, a district's rows of the patients file come from its cached
    extract (see :func:`read_shares`); ``shares`` then holds the practices with
    patients in ``areas`` only.

    Raises
    ------
    SourceFileError
        If either file, or a column the spec names, is missing.
    """
    shares = read_shares(spec, Path(source_dir), areas, cache_dir if areas is not None else None)
    indicators = [i for i in catalogue.indicators.values() if i.source.id == spec.id]
    registers, unlisted, ready, national = _prepared(spec, catalogue, Path(source_dir), shares)
    result = estimates.estimate(shares, ready, areas)
    report = {"title": spec.title, "spec": spec.spec_file, "patients_file": spec.file, "period": spec.period,
              "geography": spec.geography,
              "registers_file": catalogue.indicators[next(iter(registers))].source.file,
              "registers": len(registers), "registers_in_file_not_estimated": unlisted,
              "areas_with_patients": int(len(result.register)), "patients": shares.report,
              **{k: v for k, v in result.report.items() if k != "registers"},
              "by_register": result.report["registers"]}
    return EstimateRun(spec, indicators, shares, registers, result, national, report)


#: Checked registers by (spec, files and their dates): one check per file, however many districts are built.
_PREPARED: dict = {}


def _prepared(spec: EstimateSpec, catalogue: Catalogue, source_dir: Path, shares):
    source = next(i.source for i in catalogue.indicators.values() if i.source.id == spec.registers)
    files = [resolve(source_dir, f, spec.spec_file) for f in (spec.file, source.file)]
    key = (spec.id, spec.spec_file, str(source_dir), tuple(i.id for i in catalogue.indicators.values()
                                                            if i.source.id == spec.registers),
           *((f.stat().st_mtime_ns, f.stat().st_size) for f in files))
    if key not in _PREPARED:
        registers, unlisted = read_registers(spec, catalogue, source_dir)
        _PREPARED.clear()
        _PREPARED[key] = (registers, unlisted, estimates.prepare(shares, registers),
                          estimates.national_totals(registers))
    return _PREPARED[key]


def read_shares(spec: EstimateSpec, source_dir: Path, areas=None, cache_dir: Path | None = None
                ) -> estimates.PatientShares:
    """Every practice's shares of its patients by area, from the spec's patients file (cached per file).

    Parameters
    ----------
    spec : EstimateSpec
    source_dir : pathlib.Path
    areas : iterable of str, optional
        A district's areas: only the practices with patients living there are
        needed (with all their rows, so their shares stay shares of their whole
        list; every practice's total and the file's report are kept).
    cache_dir : pathlib.Path, optional
        With ``areas``: the folder of extracts. The first build of these areas
        reads the whole file and writes their extract there, keyed by the file's
        fingerprint and the areas; later builds, in any process, read the extract alone.

    Returns
    -------
    estimates.PatientShares
    """
    if areas is not None and cache_dir is not None:
        return _district_extract(spec, Path(source_dir), sorted(set(areas)), Path(cache_dir))
    path = resolve(source_dir, spec.file, spec.spec_file)
    stat = path.stat()
    reader = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in spec.reader.items()))
    return _shares_cached(str(source_dir), stat.st_mtime_ns, stat.st_size, spec.file, spec.spec_file, reader,
                          (spec.practice, spec.area, spec.patients), tuple(spec.unknown_areas))


@functools.lru_cache(maxsize=4)
def _shares_cached(source_dir: str, _mtime: int, _size: int, file: str, spec_file: str, reader: tuple,
                   columns: tuple, unknown: tuple) -> estimates.PatientShares:
    practice, area, patients = columns
    options = {k: list(v) if isinstance(v, tuple) else v for k, v in reader}
    table = read_table(Path(source_dir), file, options, spec_file, text_columns=(practice, area))
    require_columns(table, list(columns), file, spec_file)
    return estimates.patient_shares(table, practice, area, patients, unknown)


#: Changes when the layout of a district extract changes (older extracts are then ignored).
EXTRACT_VERSION = "1"


def _district_extract(spec: EstimateSpec, source_dir: Path, areas: list[str], cache_dir: Path
                      ) -> estimates.PatientShares:
    """The patients file's rows for ``areas``: from their cached extract, else from the file (and cached)."""
    path = resolve(source_dir, spec.file, spec.spec_file)
    key = fingerprint(EXTRACT_VERSION, spec.file, spec.practice, spec.area, spec.patients,
                      repr(sorted(spec.reader.items())), repr(list(spec.unknown_areas)), "\n".join(areas),
                      files=[path])
    folder = cache_dir / f"patients_by_area_{key}"
    try:
        return _read_extract(folder)
    except (OSError, ValueError, KeyError, pa.ArrowException):  # absent or unreadable: made again
        pass
    found = estimates.practices_in(read_shares(spec, source_dir), areas)
    _write_extract(found, folder, spec.file)
    return found


def _read_extract(folder: Path) -> estimates.PatientShares:
    rows = pd.read_parquet(folder / "rows.parquet")
    totals = pd.read_parquet(folder / "totals.parquet")
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    totals = pd.Series(totals["patients"].to_numpy(dtype=float),
                       index=pd.Index(totals["practice"].to_numpy(dtype=object), dtype=object), name="patients")
    practice_id = totals.index.get_indexer(rows["practice"].to_numpy(dtype=object))
    if (practice_id < 0).any():
        raise ValueError(f"{folder}: a practice of the rows has no total")
    rows["practice_id"] = practice_id
    rows["share"] = rows["patients"].to_numpy(dtype=float) / totals.to_numpy()[practice_id]
    return estimates.PatientShares(rows, totals, report)


def _write_extract(shares: estimates.PatientShares, folder: Path, file: str) -> None:
    """Written to a temporary folder renamed into place: never half-written; a failed write only costs time."""
    temporary = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    try:
        temporary.mkdir(parents=True, exist_ok=True)
        shares.rows[["practice", "area", "patients"]].to_parquet(temporary / "rows.parquet", index=False)
        pd.DataFrame({"practice": shares.totals.index.to_numpy(dtype=object),
                      "patients": shares.totals.to_numpy(dtype=float)}).to_parquet(temporary / "totals.parquet",
                                                                                   index=False)
        (temporary / "report.json").write_text(json.dumps({**shares.report, "extract_of": file}), encoding="utf-8")
        os.replace(temporary, folder)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)


def read_registers(spec: EstimateSpec, catalogue: Catalogue, source_dir: Path) -> tuple[dict, list[str]]:
    """Each register indicator's practice table, and the registers of the file that have no indicator.

    Returns
    -------
    (dict, list of str)
        Register indicator id -> table indexed by practice code (``numerator``,
        ``denominator``); the values of ``register_column`` without an indicator.
    """
    wanted = [i for i in catalogue.indicators.values()
              if i.source.id == spec.registers and i.numerator and i.denominator]
    source = wanted[0].source
    table = read_source(source, source_dir)
    require_columns(table, [spec.register_column], source.file, spec.spec_file)
    registers = {ind.id: indicator_frame(table, ind) for ind in wanted}
    covered = {str(v) for ind in wanted for v in np.atleast_1d(ind.where.get(spec.register_column, []))}
    in_file = set(table[spec.register_column].astype(str).str.strip())
    return registers, sorted(in_file - covered)


def table_for(run_: EstimateRun, codes) -> pd.DataFrame:
    """The computed source table of the estimate indicators: ``code`` and ``<register>_register`` /
    ``<register>_list`` columns for the areas of ``codes`` that have registered patients."""
    keep = member_of(run_.result.register.index.to_series(), list(codes))
    out = pd.DataFrame({"code": run_.result.register.index[keep]})
    for rid in run_.registers:
        out[f"{rid}_register"] = run_.result.register.loc[keep, rid].to_numpy()
        out[f"{rid}_list"] = run_.result.list.loc[keep, rid].to_numpy()
    return out


def benchmarks(run_: EstimateRun, indicator: IndicatorSpec, district_codes, la_name: str) -> list[Benchmark]:
    """The district's estimate (summed R over summed L of its areas) and England's national QOF total."""
    rid = run_.register_of(indicator)
    codes = list(district_codes)
    totals = estimates.area_totals(run_.result, codes).loc[rid]
    out = [_ratio("district", la_name, totals["register"], totals["list"], int(totals["areas"]), indicator,
                  f"summed estimated register over summed estimated list of {int(totals['areas'])} areas")]
    national = run_.national.loc[rid]
    out.append(_ratio("england", "England", national["register"], national["list"], int(national["practices"]),
                      indicator, f"national QOF total: register over list summed over all "
                                 f"{int(national['practices']):,} practices in the file"))
    return out


def _ratio(area, label, register, size, n, indicator, method) -> Benchmark:
    value = float(register) / float(size) * indicator.scale if size > 0 else np.nan
    return Benchmark(area, label, value, float(register), float(size), n, method)


def method_text(run_: EstimateRun) -> str:
    """The metadata's method of an estimate layer: the method, the dates, and why there is no comparison."""
    spec, patients = run_.spec, run_.shares.report
    return (f"{estimates.METHOD_LINE} Registers: {run_.report['registers_file']}; patients by LSOA: {spec.file} "
            f"({spec.period}). Rows without an LSOA ({', '.join(spec.unknown_areas) or 'none'}: "
            f"{patients['unknown_area_rows']:,} rows, {patients['unknown_area_patients']:,.0f} patients) are left "
            f"out of the shares. Assumes each practice's prevalence is the same wherever its patients live. "
            f"No Better/Similar/Worse: an apportioned estimate has no sampling interval to judge it by.")


def warnings(run_: EstimateRun) -> list[str]:
    """Build-report warnings: practices of one file missing from the other, registers left out, suppression."""
    out, report = [], run_.report
    if report["n_registers_without_patients"]:
        codes = ", ".join(p["code"] for p in report["registers_without_patients"][:10] if isinstance(p, dict))
        out.append(f"Small-area estimates: {report['n_registers_without_patients']} practice(s) with QOF registers "
                   f"have no patients by LSOA in {run_.spec.file}, so their registers are not apportioned: {codes}")
    if report["n_patients_without_registers"]:
        out.append(f"Small-area estimates: {report['n_patients_without_registers']} practice(s) in {run_.spec.file} "
                   f"({report['patients_without_registers_total']:,.0f} patients) have no QOF registers; their "
                   f"patients add nothing to the estimates")
    patients = report["patients"]
    if patients["suppressed_rows"]:
        out.append(f"Small-area estimates: {patients['suppressed_rows']} row(s) of {run_.spec.file} have a "
                   f"suppressed or non-numeric patient count and were left out of the shares")
    for rid, entry in report["by_register"].items():
        if entry["n_left_out"]:
            why = "; ".join(f"{p['code']} ({p['why']})" for p in entry["left_out"][:5] if isinstance(p, dict))
            out.append(f"Small-area estimates, {rid}: {entry['n_left_out']} practice(s) left out: {why}")
    if report["registers_in_file_not_estimated"]:
        out.append(f"Small-area estimates: registers in the file without an indicator, not estimated: "
                   f"{', '.join(report['registers_in_file_not_estimated'])}")
    return out


def lsoa_links(spec: EstimateSpec, source_dir: Path) -> pd.DataFrame:
    """The spec's LSOA conversion lookup as ``old`` and ``new`` codes.

    Raises
    ------
    SourceFileError
        If the lookup or one of its columns is missing.
    """
    convert = spec.convert
    missing = [k for k in ("geography", "file", "old", "new") if not convert.get(k)]
    if missing:
        raise SourceFileError(f"{spec.spec_file} [estimate.convert]: missing {', '.join(missing)}")
    wanted_by = f"{spec.spec_file} [estimate.convert]"
    table = read_table(source_dir, convert["file"], {}, wanted_by, text_columns=(convert["old"], convert["new"]))
    require_columns(table, [convert["old"], convert["new"]], convert["file"], wanted_by)
    return pd.DataFrame({"old": normalise_codes(table[convert["old"]]).to_numpy(dtype=object),
                         "new": normalise_codes(table[convert["new"]]).to_numpy(dtype=object)}).dropna()
