"""Kept area sets: ``atlas areas add/list/remove`` and their re-application when an atlas is rebuilt.

A set added with :func:`add_area_set` is checked (:func:`atlas.areas.resolve`),
its file kept as ``<atlas folder>/areas/<LA>/<geography id><suffix>`` with an
entry in ``areas.json`` (like ``atlas import``'s ``imports/<LA>/``), and, when
the authority's atlas is built, added to it as a geography
(:func:`atlas.area_geography.add_to_atlas`). :func:`reapply_area_sets`, called
by :func:`atlas.build.build`, adds every kept set again after a rebuild.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd

from . import config, store
from . import kept as kept_files
from .area_geography import add_to_atlas, without_area_set
from .areas import GEOGRAPHY_PREFIX, AreaOptions, AreaSet, AreaSetError, resolve
from .codes import check_district_code
from .errors import AtlasError
from .importer import check_size
from .model import Atlas
from .specs import Catalogue

#: Folder of kept area sets inside the atlas folder, and the manifest in each authority's folder.
AREAS_FOLDER = "areas"
MANIFEST = "areas.json"


def areas_folder(atlas_folder: str | Path, la_code: str) -> Path:
    """Where an authority's area sets are kept: ``<atlas folder>/areas/<LA>/``."""
    return Path(atlas_folder) / AREAS_FOLDER / la_code


#: The area sets' manifest: ``areas.json``, ids ``areas_...``.
AREA_SETS = kept_files.ManifestKind(MANIFEST, "area sets", GEOGRAPHY_PREFIX, "an area set's geography id",
                                    AreaSetError)


def read_manifest(folder: Path) -> dict:
    """The manifest of area sets kept in ``folder`` (geography id -> entry), checked; empty when there is none.

    Raises
    ------
    AreaSetError
        If the manifest exists but is damaged (:func:`atlas.kept.read_manifest`).
    """
    return kept_files.read_manifest(folder, AREA_SETS)


def add_area_set(path: str | Path, name: str, la: str | None = None, options: AreaOptions | None = None,
                 atlas_folder: str | Path | None = None, source_dir: str | Path | None = None,
                 save: bool = True) -> tuple[AreaSet, Atlas | None]:
    """Add an area set (the command line's ``atlas areas add``): check it, keep it, apply it.

    The file is kept as ``<atlas folder>/areas/<LA>/<geography id><suffix>``
    with an entry in ``areas.json``; when the authority's atlas is built, the
    set is added to it as a geography (and written) at once, else when it is
    built. The kept file, the manifest and the atlas change together or not at
    all (:func:`atlas.kept.write_together`), under the atlas folder's lock
    (:func:`atlas.store.locked`, as ``atlas import``), so concurrent additions
    are all kept; a file that fails any check, or a damaged manifest, writes nothing.

    Returns
    -------
    (AreaSet, Atlas or None)
        The set, and the atlas it was added to (None when the authority has no built atlas yet).

    Raises
    ------
    AreaSetError, AtlasError
    """
    path = Path(path)
    if not path.is_file():
        raise AreaSetError(f"No file {path} to add as an area set.")
    check_size(path.stat().st_size, path.name)
    folder = Path(atlas_folder) if atlas_folder else config.out_dir() / "atlas"
    data = path.read_bytes()
    source = config.source_dir(source_dir)
    catalogue = Catalogue.load()
    area_set = resolve(data, path.name, name, la, options, source, catalogue)
    if save:
        folder.mkdir(parents=True, exist_ok=True)
    with store.locked(folder) if folder.is_dir() else contextlib.nullcontext():  # writers take turns
        kept = areas_folder(folder, area_set.la)
        manifest = read_manifest(kept)  # a damaged manifest stops here, before anything is written
        atlas_file = store.atlas_path(folder, area_set.la)
        updated = add_to_atlas(store.load(atlas_file), area_set, source, catalogue) if atlas_file.is_file() else None
        if not save:
            return area_set, updated
        stored = f"{area_set.geography}{path.suffix.lower() or '.csv'}"
        manifest[area_set.geography] = {
            "name": area_set.name, "file": stored, "original_name": path.name,
            "added_on": dt.date.today().isoformat(), "options": dataclasses.asdict(options or AreaOptions()),
            "areas": area_set.report.areas, "lsoas": area_set.report.assigned, "vintage": area_set.report.vintage}
        kept_files.write_together(folder, kept, AREA_SETS, manifest, updated, add=(stored, data))
    return area_set, updated


def list_area_sets(atlas_folder: str | Path | None = None, la: str | None = None) -> pd.DataFrame:
    """The kept area sets (of one authority, or of every authority).

    Returns
    -------
    pandas.DataFrame
        ``la, geography, name, areas, lsoas, vintage, file, added_on``.
    """
    folder = Path(atlas_folder) if atlas_folder else config.out_dir() / "atlas"
    roots = [areas_folder(folder, check_district_code(la))] if la else sorted((folder / AREAS_FOLDER).glob("*"))
    rows = []
    for root in roots:
        for geography, entry in read_manifest(root).items():
            rows.append({"la": root.name, "geography": geography, "name": entry.get("name"),
                         "areas": entry.get("areas"), "lsoas": entry.get("lsoas"), "vintage": entry.get("vintage"),
                         "file": entry.get("original_name"), "added_on": entry.get("added_on")})
    return pd.DataFrame(rows, columns=["la", "geography", "name", "areas", "lsoas", "vintage", "file", "added_on"])


def find_area_set(name: str, la: str | None = None, atlas_folder: str | Path | None = None) -> tuple[str, str]:
    """The authority and geography id of a kept set, by its name or id.

    Raises
    ------
    AreaSetError
        If no kept set has that name, or sets of several authorities do (give ``la``).
    """
    table = list_area_sets(atlas_folder, la)
    wanted = str(name).strip()
    hits = table[(table["name"].astype(str).str.lower() == wanted.lower()) | (table["geography"] == wanted)]
    if hits.empty:
        have = ", ".join(f"{n} ({a})" for n, a in zip(table["name"], table["la"])) or "none"
        raise AreaSetError(f"No area set {wanted!r}" + (f" for {la}" if la else "") + f"; kept sets: {have}.")
    if hits["la"].nunique() > 1:
        raise AreaSetError(f"Area sets named {wanted!r} are kept for {', '.join(hits['la'])}; give --la.")
    return str(hits["la"].iloc[0]), str(hits["geography"].iloc[0])


def load_area_set(name: str, la: str | None = None, atlas_folder: str | Path | None = None,
                  source_dir: str | Path | None = None, catalogue: Catalogue | None = None) -> AreaSet:
    """A kept set, resolved again from its kept file (as a rebuild does)."""
    folder = Path(atlas_folder) if atlas_folder else config.out_dir() / "atlas"
    la_code, geography = find_area_set(name, la, folder)
    kept = areas_folder(folder, la_code)
    entry = read_manifest(kept)[geography]
    data = (kept / entry["file"]).read_bytes()
    return resolve(data, entry["original_name"], entry["name"], la_code, AreaOptions(**entry["options"]),
                   source_dir, catalogue)


def remove_area_set(name: str, la: str | None = None, atlas_folder: str | Path | None = None) -> Atlas | None:
    """Remove a kept set, its file and its geography from the authority's atlas (when built), together.

    Only a plain file name inside the authority's area sets folder is ever
    deleted, whatever the manifest says (a manifest naming another path is
    refused as damaged).

    Returns
    -------
    Atlas or None
        The atlas without the set (None when the authority has no built atlas).
    """
    folder = Path(atlas_folder) if atlas_folder else config.out_dir() / "atlas"
    find_area_set(name, la, folder)  # a clear error before the lock when there is no such set
    with store.locked(folder):
        la_code, geography = find_area_set(name, la, folder)
        kept = areas_folder(folder, la_code)
        manifest = read_manifest(kept)  # checked: every kept file is a plain name inside ``kept``
        entry = manifest.pop(geography)
        atlas_file = store.atlas_path(folder, la_code)
        updated = without_area_set(store.load(atlas_file), geography) if atlas_file.is_file() else None
        kept_files.write_together(folder, kept, AREA_SETS, manifest, updated, remove=entry["file"])
    return updated


def reapply_area_sets(built: Atlas, atlas_folder: str | Path, source_dir: str | Path | None = None,
                      catalogue: Catalogue | None = None) -> Atlas:
    """Add again the area sets kept for ``built``'s authority (after a rebuild).

    A set that no longer applies (its file is gone or no longer matches) is
    left out with a warning in the build report, never silently.
    """
    kept = areas_folder(atlas_folder, built.la_code)
    try:
        manifest = read_manifest(kept)
    except AreaSetError as exc:
        built.report.warn(str(exc))
        return built
    if not manifest:
        return built
    catalogue = catalogue or Catalogue.load()
    for geography, entry in manifest.items():
        try:
            data = (kept / entry["file"]).read_bytes()
            area_set = resolve(data, entry["original_name"], entry["name"], built.la_code,
                               AreaOptions(**entry["options"]), source_dir, catalogue)
            built = add_to_atlas(built, area_set, config.source_dir(source_dir), catalogue)
        except (AtlasError, OSError, KeyError, TypeError, ValueError) as exc:
            built.report.warn(
                f"Area set {entry.get('name', geography)} ({kept / entry.get('file', '?')}) was not re-applied: {exc}")
    return built
