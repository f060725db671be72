"""Every district of England at once: the 20:20 index and Moran's I of an LSOA indicator.

An indicator on LSOA 2011 (by default the IoD2019 Income score) is computed for
the 317 districts of IoD2019 (2019 codes): each LSOA 2011 belongs to the
district the IoD2019 files give it, whatever boundary file holds its polygon
(the files are cut by older district codes); its 20:20 index is that of the
IoD2019 Income deciles. An indicator on LSOA 2021 (IoD2025, Census 2021) is
computed for the English districts of the LSOA 2021 member lookup (2023 codes)
from the per-district LSOA 2021 files, with the 20:20 index of the IoD2025
Income deciles (:func:`income_deciles`). The figures are those of the
plain per-district path, :func:`district_statistics` (the engine's boundaries,
libpysal weights, :func:`atlas.stats.moran`), organised for speed:

* each boundary file is read once, as tasks of a Dask batch (:mod:`atlas.batch`), with the engine's
  reader (checked CRS, British National Grid, made valid); the districts
  whose LSOAs are all in that file are computed there and then, and the few
  split across files (districts merged since 2011) are put together and
  computed after;
* per district: neighbour pairs from one STRtree query
  (:func:`atlas.stats.weights.neighbour_pairs`, the same pairs as libpysal's
  buffered fuzzy contiguity), row-standardised weights, Moran's I (esda's
  formula) and :func:`atlas.stats.moran.permutation_test` with the same seed
  and the same code order as :func:`atlas.stats.moran`;
* optionally, the reprojected polygons are cached in ``output/cache`` (a
  Parquet file keyed by the boundary files' names, sizes and modification
  times), so a second run skips reading the GeoJSON.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import shapely

from .. import batch, config, store
from ..caching import fingerprint
from ..codes import DISTRICT_PREFIXES
from ..errors import SourceFileError, StatisticError
from ..geography import glob_files, member_table, read_boundaries, read_boundary_file
from ..plaintext import csv_safe
from ..readers import indicator_frame, read_source
from ..specs import Catalogue
from ..stats.inequality import twenty_twenty
from ..stats.moran import (
    DEFAULT_PERMUTATIONS,
    DEFAULT_SEED,
    MIN_AREAS,
    check_computable,
    moran,
    moran_i,
    permutation_test,
)
from ..stats.weights import DEFAULT_SNAP_TOLERANCE_M, neighbour_pairs, row_standardised_matrix, spatial_weights

#: The roles (``roles.toml``) of the Income decile layers of the 20:20 index: one per LSOA geography.
DECILE_ROLES = ("income_decile", "income_decile_new")
#: The columns of ``atlas stats --all-districts`` (the issue's), then how each row was computed.
COLUMNS = ["lad_code", "lad_name", "n_lsoa", "least_20", "most_20", "share_20_20", "moran_i", "moran_p"]
EXTRA_COLUMNS = ["islands", "layer", "snap_tolerance_m", "permutations", "seed", "note"]
CACHE_VERSION = "1"


@dataclass
class NationalRun:
    """The all-districts table and how long each part took.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per district, ``COLUMNS + EXTRA_COLUMNS``, by district code.
    timings : dict
        Wall-clock seconds: ``inputs`` (the IoD2019 tables), ``districts``
        (reading the boundaries and computing every district, in parallel),
        ``total``; CPU seconds summed over the processes: ``read_cpu``
        (reading, reprojecting, validating polygons), ``weights_cpu``,
        ``statistics_cpu``.
    workers : int
        Dask workers used.
    cache : str
        ``off``, ``cold`` (read from the files, then cached) or ``warm`` (read from the cache).
    missing_boundaries : list of str
        LSOAs of IoD2019 with no polygon in any file (left out of Moran's I, named in the notes).
    failed : dict
        District code -> error, for districts whose task failed after its retries (no row in ``table``).
    geography, deciles : str
        The LSOA geography computed on, and the decile layer of the 20:20 index.
    """

    table: pd.DataFrame
    timings: dict = field(default_factory=dict)
    workers: int = 1
    cache: str = "off"
    missing_boundaries: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    geography: str = ""
    deciles: str = ""


def income_deciles(catalogue: Catalogue) -> dict[str, str]:
    """The LSOA geographies every district can be computed on, and the Income decile layer of each (the roles)."""
    layers = [catalogue.role(role) for role in DECILE_ROLES]
    return {catalogue.indicators[layer].source.geography: layer for layer in layers}


def default_layer(catalogue: Catalogue) -> str:
    """The layer of the published figures (the ``income_score`` role: the IoD2019 Income score)."""
    return catalogue.role("income_score")


def default_geography(catalogue: Catalogue) -> str:
    """The LSOAs of the published figures: the geography of :func:`default_layer` (LSOA 2011)."""
    return catalogue.indicators[default_layer(catalogue)].source.geography


def national_inputs(source_dir: Path, catalogue: Catalogue, layer: str | None = None,
                    geographies: tuple | None = None) -> pd.DataFrame:
    """Every English LSOA of the layer's geography: district, district name, Income decile and the layer's value.

    Read through the catalogue's own specs (the geography's members, its Income
    decile layer of :func:`income_deciles`, and ``layer``, by default :func:`default_layer`),
    so the figures are those of every built atlas.

    Parameters
    ----------
    source_dir : pathlib.Path
    catalogue : Catalogue
    layer : str
        The area indicator Moran's I is computed on; it must be published on one of ``geographies``.
    geographies : tuple of str
        The LSOA geographies accepted (default every one of :func:`income_deciles`).

    Returns
    -------
    pandas.DataFrame
        Indexed by LSOA code (sorted): ``district``, ``district_name``, ``decile``, ``score`` (the layer's value).
        ``attrs["geography"]`` is the layer's geography.

    Raises
    ------
    StatisticError
        If ``layer`` is not an area indicator on one of ``geographies``.
    """
    layer = layer or default_layer(catalogue)
    geography = check_layer(catalogue, layer, geographies)
    members = member_table(catalogue.boundaries[geography], source_dir)
    members = members[members["district"].str.startswith(DISTRICT_PREFIXES)].drop_duplicates("code")
    table = members.set_index("code")[["district", "district_name"]]
    for column, layer_id in (("decile", income_deciles(catalogue)[geography]), ("score", layer)):
        indicator = catalogue.indicators[layer_id]
        values = indicator_frame(read_source(indicator.source, source_dir), indicator)["value"]
        table[column] = values.reindex(table.index).to_numpy()
    table = table.sort_index()
    table.attrs["geography"] = geography
    table.attrs["layer"] = layer
    return table


def check_layer(catalogue: Catalogue, layer: str, geographies: tuple | None = None) -> str:
    """Check that ``layer`` is an area indicator published on one of ``geographies`` (LSOAs); return which.

    Raises
    ------
    StatisticError
        Naming the layer and what was expected (with the ids that would do when it is unknown).
    """
    geographies = geographies or tuple(income_deciles(catalogue))
    indicator = catalogue.indicators.get(layer)
    where = " or ".join(geographies)
    if indicator is None:
        on_lsoa = sorted(i for i, spec in catalogue.indicators.items() if spec.source.geography in geographies)
        raise StatisticError(f"No layer {layer!r} in the specs; --all-districts takes an area indicator on "
                             f"{where}, e.g. {', '.join(on_lsoa[:6])} ({len(on_lsoa)} in all).")
    if indicator.source.geography not in geographies:
        raise StatisticError(f"--all-districts computes on {where} (every LSOA of England); layer "
                             f"{layer} is published on {indicator.source.geography}.")
    return indicator.source.geography


def all_districts(source_dir: str | Path | None = None, permutations: int = DEFAULT_PERMUTATIONS,
                  seed: int = DEFAULT_SEED, snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
                  workers: int | None = None, catalogue: Catalogue | None = None,
                  cache_dir: str | Path | None = None, use_cache: bool = False,
                  scheduler: str | None = None, retries: int = batch.DEFAULT_RETRIES,
                  layer: str | None = None) -> NationalRun:
    """The 20:20 index and Moran's I of an LSOA 2011 indicator for every IoD2019 district.

    Parameters
    ----------
    source_dir : path-like, optional
        Source directory (see :func:`atlas.config.source_dir`).
    permutations, seed : int
        Permutations of each district's Moran test and their seed.
    snap_tolerance_m : float
        Snapping tolerance of the contiguity weights (metres; above 0).
    workers : int, optional
        Dask workers of the local cluster (default :func:`atlas.batch.default_workers`);
        1 runs one worker thread in this process.
    catalogue : Catalogue, optional
    cache_dir : path-like, optional
        Folder of the boundary cache (default ``output/cache``).
    use_cache : bool
        Read the reprojected boundaries from the cache when it matches the
        files' names, sizes and modification times; else read the files and
        write the cache.
    scheduler : str, optional
        Address of an existing Dask scheduler to run the tasks on instead of a local cluster.
    retries : int
        Retries of a failed task.
    layer : str
        The area indicator of Moran's I (default the IoD2019 Income score), on
        LSOA 2011 or 2021; the 20:20 index is that of the Income deciles of
        the same LSOAs (IoD2019 or IoD2025, :func:`income_deciles`).

    Returns
    -------
    NationalRun

    Raises
    ------
    SourceFileError
        If the boundary or IoD2019 files are missing or malformed.
    StatisticError
        If the snapping tolerance is not above 0.
    """
    started = time.perf_counter()
    if scheduler:
        batch.check_scheduler(scheduler)  # before any reading: an unreachable cluster fails at once
    source = config.source_dir(source_dir)
    catalogue = catalogue or Catalogue.load()
    workers = batch.default_workers() if workers is None else int(workers)
    if snap_tolerance_m <= 0:
        raise StatisticError("The all-districts computation needs a snapping tolerance above 0 m "
                             "(the LSOA polygons do not touch).")
    inputs = national_inputs(source, catalogue, layer)
    spec = catalogue.boundaries[inputs.attrs["geography"]]
    files = every_file(spec, source)
    cache_file = _cache_file(cache_dir, source, files, spec) if use_cache else None
    timings = {"inputs": time.perf_counter() - started}
    clock = time.perf_counter()
    settings = {"permutations": int(permutations), "seed": int(seed), "tolerance": float(snap_tolerance_m),
                "keep_wkb": cache_file is not None}
    pool = _Pool(worker_context(inputs, settings), workers, scheduler, retries)
    cached = _read_cache(cache_file) if cache_file is not None else None
    if cached is not None:
        rows, found, cpu = _from_cache(cached, inputs, pool)
        state = "warm"
    else:
        by_size = sorted(files, key=lambda f: -(source / f).stat().st_size)  # big files first: even load
        rows, found, cpu = _from_files(spec, source, by_size, inputs, pool, cache_file)
        state = "cold" if cache_file is not None else "off"
    timings["districts"] = time.perf_counter() - clock
    timings.update(cpu)
    table = pd.DataFrame(rows, columns=COLUMNS + EXTRA_COLUMNS).sort_values("lad_code").reset_index(drop=True)
    timings["total"] = time.perf_counter() - started
    geography = inputs.attrs["geography"]
    return NationalRun(table, timings, pool.workers or workers, state, sorted(set(inputs.index) - found), pool.failed,
                       geography, income_deciles(catalogue)[geography])


def district_statistics(la_code: str, source_dir: str | Path | None = None,
                        permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED,
                        snap_tolerance_m: float = DEFAULT_SNAP_TOLERANCE_M,
                        catalogue: Catalogue | None = None, inputs: pd.DataFrame | None = None,
                        layer: str | None = None) -> dict:
    """One district's row by the plain path: the engine's boundaries, libpysal weights, esda Moran.

    The reference the fast :func:`all_districts` is tested against.

    Returns
    -------
    dict
        The row's columns (``COLUMNS + EXTRA_COLUMNS``).
    """
    source = config.source_dir(source_dir)
    catalogue = catalogue or Catalogue.load()
    inputs = inputs if inputs is not None else national_inputs(source, catalogue, layer)
    layer = layer or inputs.attrs.get("layer") or default_layer(catalogue)
    rows = inputs[inputs["district"] == la_code]
    geography = inputs.attrs.get("geography") or default_geography(catalogue)
    if rows.empty:
        raise StatisticError(f"No district {la_code} among the {geography} members: use a district code of "
                             f"{catalogue.boundaries[geography].members.file}.")
    found = read_boundaries(catalogue.boundaries[geography], source, la_code)
    frame = found.frame if found is not None else None
    row = _base_row(la_code, str(rows["district_name"].iloc[0]), rows["decile"].to_numpy(dtype=float),
                    permutations, seed, snap_tolerance_m, layer)
    scores = rows["score"].reindex(frame.index) if frame is not None else pd.Series(dtype=float)
    with_value = int(np.isfinite(scores).sum())  # LSOAs with a boundary and a score, as the fast path counts
    if with_value < MIN_AREAS:
        row["note"] = _too_few(la_code, with_value)
        return row
    try:
        weights = spatial_weights(frame, snap_tolerance_m, name=la_code)
        result = moran(scores, weights, permutations, seed, name=la_code)
    except StatisticError as exc:
        row["note"] = str(exc)
        return row
    row.update(moran_i=result.I, moran_p=result.p_sim, islands=len(result.islands),
               note=_notes(result.islands, sorted(set(rows.index) - set(frame.index)), result.left_out))
    return row


def lsoa11_polygons(source_dir: str | Path | None = None, catalogue: Catalogue | None = None,
                    cache_dir: str | Path | None = None, use_cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Every LSOA (2011) polygon of the national boundary files, in British National Grid.

    Read with the engine's reader; with ``use_cache`` from the same cache as
    :func:`all_districts` (written when absent or stale, so each feeds the other).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Codes (sorted, unique) and their polygons.

    Raises
    ------
    SourceFileError
        If there are no LSOA 2011 boundary files.
    """
    source = config.source_dir(source_dir)
    catalogue = catalogue or Catalogue.load()
    spec = catalogue.boundaries[default_geography(catalogue)]
    files = every_file(spec, source)
    cache_file = _cache_file(cache_dir, source, files, spec) if use_cache else None
    cached = _read_cache(cache_file) if cache_file is not None else None
    if cached is not None:
        codes, wkb = cached[0], cached[1]
    else:
        frames = [read_boundary_file(spec, source / f, f) for f in files]
        codes = np.concatenate([np.asarray(f.index.to_numpy(), dtype=object) for f in frames])
        wkb = np.concatenate([shapely.to_wkb(f.geometry.to_numpy()) for f in frames])
        if cache_file is not None:
            _write_cache(cache_file, codes, wkb)
    codes, first = np.unique(codes.astype(str), return_index=True)
    return codes.astype(object), shapely.from_wkb(wkb[first])


def every_file(spec, source: Path) -> list[str]:
    """Every file of an LSOA set: its national files, else every district's file of its first pattern that
    finds any.

    Raises
    ------
    SourceFileError
        If the source directory holds none.
    """
    patterns = [spec.national_files] if spec.national_files else [p.replace("{lad}", "*") for p in spec.files]
    for pattern in patterns:
        files = glob_files(source, pattern)
        if files:
            return files
    raise SourceFileError(f"No {spec.label} boundary files match {' or '.join(patterns)} in {source} "
                          f"(wanted by {spec.spec_file}).")


def write_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write the all-districts table atomically (nothing half-written on failure)."""
    path = Path(path)
    buffer = io.StringIO()
    csv_safe(table).to_csv(buffer, index=False, float_format="%.6g")
    store.write_text_atomic(path, buffer.getvalue())
    return path


# -- the tasks on Dask ------------------------------------------------------------------------------

class _Pool:
    """Maps a task function over tasks as one Dask batch each, with the shared context sent once."""

    def __init__(self, context: dict, workers: int, scheduler: str | None, retries: int):
        self.context, self.workers_asked, self.scheduler, self.retries = context, workers, scheduler, retries
        self.workers = 0
        self.failed: dict = {}

    def map(self, function, tasks: dict, label: str) -> list:
        """Results of the tasks that succeeded (in order); the others are kept in ``failed``."""
        done = batch.run_batch(function, {key: (task,) for key, task in tasks.items()}, {"context": self.context},
                               self.workers_asked, self.scheduler, self.retries,
                               processes=self.workers_asked > 1, label=label)
        self.workers = max(self.workers, done.workers)
        self.failed.update(done.failed)
        return list(done.results.values())


def worker_context(inputs: pd.DataFrame, settings: dict) -> dict:
    """What every task needs: the IoD2019 inputs as arrays, each district's members, the settings.

    Parameters
    ----------
    inputs : pandas.DataFrame
        As :func:`national_inputs`.
    settings : dict
        ``permutations``, ``seed``, ``tolerance`` (metres) and ``keep_wkb`` (hand the polygons back for the cache).

    Returns
    -------
    dict
    """
    context = dict(settings)
    context["layer"] = inputs.attrs.get("layer", "")
    context["index"] = pd.Index(np.asarray(inputs.index.to_numpy(), dtype=object))
    context["district"] = np.asarray(inputs["district"].to_numpy(), dtype=object)
    context["name"] = np.asarray(inputs["district_name"].to_numpy(), dtype=object)
    context["decile"] = inputs["decile"].to_numpy(dtype=float)
    context["score"] = inputs["score"].to_numpy(dtype=float)
    order = np.argsort(context["district"].astype(str), kind="stable")  # keeps code order within each
    districts, starts = np.unique(context["district"][order].astype(str), return_index=True)
    context["members"] = dict(zip(districts, np.split(order, starts[1:])))
    return context


# -- the two ways in: boundary files, or the cache ----------------------------------------------------

def _from_files(spec, source: Path, files: list[str], inputs: pd.DataFrame, pool, cache_file):
    """Read every file (in the pool); districts whole in one file are computed there."""
    results = pool.map(_file_task, {f: (spec, source, f) for f in files}, "boundary files")
    if pool.failed:  # a file not read would leave its districts without polygons: stop, naming it
        name, error = next(iter(pool.failed.items()))
        raise SourceFileError(f"Could not read the boundary file {name}: {error}")
    whole = {row["lad_code"]: row for result in results for row in result["rows"]}  # one row per district
    partial: dict = {}
    for result in results:
        for la, (codes, wkb) in result["partial"].items():
            if la not in whole:  # (polygons repeated in another file do not make a second row)
                partial.setdefault(la, []).append((codes, wkb))
    found = set().union(*(result["found"] for result in results))
    merged = [(la, np.concatenate([c for c, _ in parts]), np.concatenate([w for _, w in parts]))
              for la, parts in partial.items()]
    rows = list(whole.values())
    done = set(whole) | set(partial)
    merged += [(la, np.array([], dtype=object), np.array([], dtype=object))
               for la in sorted(set(inputs["district"]) - done)]  # districts with no polygon at all
    rows += pool.map(_district_task, {task[0]: task for task in merged}, "districts")
    if cache_file is not None:
        codes = np.concatenate([r["wkb"][0] for r in results])
        wkb = np.concatenate([r["wkb"][1] for r in results])
        _write_cache(cache_file, codes, wkb)
    return rows, found, _cpu(rows, sum(r["read_cpu"] for r in results))


def _read_cache(cache_file: Path):
    """The cached codes and polygons (WKB) with the CPU seconds taken, or None if absent or unreadable."""
    clock = time.process_time()
    try:
        table = pq.read_table(cache_file)
        codes = table.column("code").to_numpy(zero_copy_only=False).astype(object)
        wkb = table.column("wkb").to_numpy(zero_copy_only=False).astype(object)
    except (OSError, KeyError, pa.ArrowException):
        return None  # absent or damaged: read the boundary files (and cache them again)
    return codes, wkb, time.process_time() - clock


def _write_cache(cache_file: Path, codes: np.ndarray, wkb: np.ndarray) -> None:
    with store.atomic_path(cache_file, ".parquet") as tmp:
        pq.write_table(pa.table({"code": pa.array(codes.astype(str)), "wkb": pa.array(list(wkb), pa.binary())}), tmp)
    prefix = cache_file.name.split("_bng_")[0]  # the set's own older caches
    for old in cache_file.parent.glob(f"{prefix}_bng_*.parquet"):
        if old != cache_file:
            old.unlink(missing_ok=True)  # caches of files since changed


def _from_cache(cached, inputs: pd.DataFrame, pool):
    codes, wkb, read_cpu = cached
    district = pd.Series(inputs["district"].to_numpy(dtype=object), index=inputs.index).reindex(codes)
    tasks = [(la, codes[rows], wkb[rows]) for la, rows in district.groupby(district.to_numpy()).indices.items()]
    tasks += [(la, codes[:0], wkb[:0]) for la in sorted(set(inputs["district"]) - set(district.dropna()))]
    tasks.sort(key=lambda t: -len(t[1]))  # big districts first: even load
    rows = pool.map(_district_task, {task[0]: task for task in tasks}, "districts")
    return rows, set(codes) & set(inputs.index), _cpu(rows, read_cpu)


def _cpu(rows: list[dict], read_cpu: float) -> dict:
    return {"read_cpu": read_cpu, "weights_cpu": sum(r.pop("_weights_s") for r in rows),
            "statistics_cpu": sum(r.pop("_statistics_s") for r in rows)}


def _cache_file(cache_dir, source: Path, files: list[str], spec) -> Path:
    key = fingerprint(CACHE_VERSION, spec.crs, spec.code, str(source), files=files, root=source)
    folder = Path(cache_dir) if cache_dir else config.out_dir() / "cache"
    return folder / f"{spec.id}_bng_{key}.parquet"


# -- work done in the worker processes ----------------------------------------------------------------

def _file_task(task, context: dict) -> dict:
    """Read one boundary file; compute the districts it holds whole; hand back the rest."""
    clock = time.process_time()
    spec, source, relative = task
    frame = read_boundary_file(spec, Path(source) / relative, relative)
    codes = np.asarray(frame.index.to_numpy(), dtype=object)
    geometries = frame.geometry.to_numpy()
    out = {"rows": [], "partial": {}, "found": set(codes),
           "wkb": (codes, shapely.to_wkb(geometries)) if context["keep_wkb"] else None}
    position = context["index"].get_indexer(codes)
    known = position >= 0
    district = np.full(len(codes), None, dtype=object)
    district[known] = context["district"][position[known]]
    out["read_cpu"] = time.process_time() - clock
    for la in sorted(set(district[known])):
        mine = district == la
        if mine.sum() == len(context["members"][la]):
            out["rows"].append(_district_row(la, codes[mine], geometries[mine], context))
        else:
            out["partial"][la] = (codes[mine], shapely.to_wkb(geometries[mine]))
    return out


def _district_task(task, context: dict) -> dict:
    """One district's row from its LSOAs with a polygon: ``(district, codes, polygons as WKB)``."""
    la, codes, wkb = task
    return _district_row(la, codes, shapely.from_wkb(wkb), context)


def _district_row(la: str, codes: np.ndarray, geometries: np.ndarray, context: dict) -> dict:
    """One district's row: 20:20 of all its LSOAs, Moran's I of those with a polygon and a score."""
    mine = context["members"][la]  # every LSOA of the district, in code order
    row = _base_row(la, str(context["name"][mine[0]]), context["decile"][mine], context["permutations"],
                    context["seed"], context["tolerance"], context["layer"])
    codes, first = np.unique(codes.astype(str), return_index=True)  # code order, as atlas.stats.moran permutes
    codes, geometries = codes.astype(object), geometries[first]  # (a code repeated across files: its first polygon)
    scores = context["score"][context["index"].get_indexer(codes)]
    no_boundary = sorted(set(context["index"][mine]) - set(codes))
    row.update(group_moran(la, codes, geometries, scores, no_boundary, context["permutations"], context["seed"],
                           context["tolerance"]))
    return row


def group_moran(name: str, codes: np.ndarray, geometries: np.ndarray, scores: np.ndarray, no_boundary: list,
                permutations: int, seed: int, tolerance: float) -> dict:
    """Moran's I of one group of LSOAs (a district, or an area of an area set), as every row computes it.

    Neighbour pairs from :func:`atlas.stats.weights.neighbour_pairs`, row-standardised
    weights, esda's formula (:func:`atlas.stats.moran.moran_i`) and
    :func:`atlas.stats.moran.permutation_test` with the seed given.

    Parameters
    ----------
    name : str
        The group's code, for messages.
    codes : numpy.ndarray
        The group's LSOA codes with a polygon, unique and sorted (the order Moran's test permutes in).
    geometries : numpy.ndarray
        Their polygons (British National Grid).
    scores : numpy.ndarray
        Their values (NaN: left out and named in the note).
    no_boundary : list of str
        The group's LSOAs with no polygon (named in the note).
    permutations, seed : int
    tolerance : float
        Snapping tolerance in metres (above 0).

    Returns
    -------
    dict
        ``moran_i``, ``moran_p``, ``islands`` and ``note`` (NaN and a reason when
        Moran's I cannot be computed), and the CPU seconds ``_weights_s`` and ``_statistics_s``.
    """
    out = {"_weights_s": 0.0, "_statistics_s": 0.0}
    has_value = np.isfinite(scores)
    left_out = list(codes[~has_value])
    geometries, codes, scores = geometries[has_value], codes[has_value], scores[has_value]
    if len(codes) < MIN_AREAS:
        out["note"] = _too_few(name, len(codes))
        return out
    clock = time.process_time()
    left, right = neighbour_pairs(geometries, tolerance)
    matrix = row_standardised_matrix(len(codes), left, right)
    islands = list(codes[np.diff(matrix.indptr) == 0])
    out["_weights_s"] = time.process_time() - clock
    clock = time.process_time()
    try:
        check_computable(scores, len(islands), tolerance, name, "Moran's I")  # as atlas.stats.moran
    except StatisticError as exc:
        out["note"] = str(exc)
    else:
        observed = moran_i(scores, matrix)
        test = permutation_test(scores, matrix, observed, permutations, seed)
        out.update(moran_i=observed, moran_p=test.p_sim, islands=len(islands),
                   note=_notes(islands, no_boundary, left_out))
    out["_statistics_s"] = time.process_time() - clock
    return out


def _base_row(la: str, la_name: str, deciles, permutations: int, seed: int, tolerance: float,
              layer: str) -> dict:
    index = twenty_twenty(deciles, name=la)
    return {"lad_code": la, "lad_name": la_name, "n_lsoa": len(deciles), "least_20": index["least"],
            "most_20": index["most"], "share_20_20": index["share"], "moran_i": np.nan, "moran_p": np.nan,
            "islands": np.nan, "layer": layer, "snap_tolerance_m": tolerance, "permutations": permutations, "seed": seed,
            "note": ""}


def _too_few(la: str, n: int) -> str:
    return f"{la}: Moran's I needs at least {MIN_AREAS} LSOAs with a value and a boundary; it has {n}."


def _notes(islands, no_boundary, left_out) -> str:
    notes = []
    if islands:
        notes.append(f"{len(islands)} LSOA(s) with no neighbour: {' '.join(islands[:10])}")
    if no_boundary:
        notes.append(f"{len(no_boundary)} LSOA(s) with no boundary left out: {' '.join(no_boundary[:10])}")
    if left_out:
        notes.append(f"{len(left_out)} LSOA(s) with no score left out: {' '.join(left_out[:10])}")
    return "; ".join(notes)
