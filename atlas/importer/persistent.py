"""The command line's persistent imports: files kept beside the atlas with a manifest, re-applied on rebuild."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from .. import config, store
from .. import kept as kept_files
from ..codes import check_district_code
from ..errors import AtlasError
from ..model import Atlas
from ..specs import Catalogue
from .adding import add_to_atlas, without_layer
from .common import LAYER_PREFIX, MANIFEST, ImportFileError
from .importing import prepare
from .options import ImportOptions, ImportResult
from .reading import check_size, read_upload

# --- the command line's persistent imports -----------------------------------------------------------

def imports_folder(atlas_folder: str | Path, la_code: str) -> Path:
    """Where a district's imported files and their manifest are kept: ``<atlas folder>/imports/<LA>/``."""
    return Path(atlas_folder) / "imports" / la_code


#: The imports' manifest: ``imports.json``, ids ``import_...``.
IMPORTS = kept_files.ManifestKind(MANIFEST, "imports", LAYER_PREFIX, "an imported layer id", ImportFileError)


def read_manifest(folder: Path) -> dict:
    """The manifest of imports kept in ``folder`` (layer id -> entry), checked; empty when there is none.

    Raises
    ------
    ImportFileError
        If the manifest exists but is damaged (:func:`atlas.kept.read_manifest`).
    """
    return kept_files.read_manifest(folder, IMPORTS)


def import_file(path: str | Path, la_code: str, options: ImportOptions | None = None,
                atlas_folder: str | Path | None = None, source_dir: str | Path | None = None,
                save: bool = True) -> tuple[Atlas, ImportResult]:
    """Import an indicator file into a district's built atlas on disk (the command line's ``atlas import``).

    The file is kept as ``<atlas folder>/imports/<LA>/<layer><suffix>`` with an
    entry in ``imports.json`` (the options and date), so :func:`reapply_imports`
    adds it again when the atlas is rebuilt. Every write is atomic.

    Parameters
    ----------
    path : path-like
        The CSV or ``.xlsx`` file.
    la_code : str
        The district.
    options : ImportOptions, optional
    atlas_folder : path-like, optional
        Folder of built atlases (default ``output/atlas``).
    source_dir : path-like, optional
    save : bool
        Write the atlas and keep the file (default); False only reports.

    Returns
    -------
    (Atlas, ImportResult)

    Raises
    ------
    ImportFileError, AtlasError
        If the file cannot be imported, or the district has no built atlas.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFileError(f"No file {path} to import.")
    check_size(path.stat().st_size, path.name)
    folder = config.atlas_dir(atlas_folder)
    data = path.read_bytes()
    upload = read_upload(data, path.name, options.sheet if options else None)
    _load_built(folder, la_code)  # a clear error before the lock when there is no atlas
    today = dt.date.today()
    with store.locked(folder):  # concurrent imports take turns: each adds to the atlas the last one wrote
        built = _load_built(folder, la_code)
        kept = imports_folder(folder, built.la_code)
        manifest = read_manifest(kept)  # a damaged manifest stops the import before anything is written
        result = prepare(upload, built, options, source_dir, today)
        _check_layer_id(manifest, result)
        updated = add_to_atlas(built, result)
        if not save:
            return updated, result
        stored = f"{result.layer}{path.suffix.lower() or '.csv'}"
        updated = _with_import_report(updated, result)
        manifest[result.layer] = {"file": stored, "original_name": path.name, "imported_on": today.isoformat(),
                                  "options": dataclasses.asdict(result.options)}
        kept_files.write_together(folder, kept, IMPORTS, manifest, updated, add=(stored, data))
    return updated, result


def _check_layer_id(manifest: dict, result: ImportResult) -> None:
    """Refuse a name whose layer id is another import's; note when an import of the same name is replaced."""
    earlier = manifest.get(result.layer)
    if earlier is None:
        return
    name = earlier.get("options", {}).get("name")
    if name != result.label:
        raise ImportFileError(
            f"The name {result.label!r} gives the layer id {result.layer}, which the earlier import {name!r} "
            f"(from {earlier.get('original_name', earlier.get('file'))}) already has. Choose another name "
            f"(--name), or remove that layer first (--remove {result.layer}).")
    result.report.notes.append(f"replaces the layer {result.layer} imported from "
                               f"{earlier.get('original_name', earlier.get('file'))} on {earlier.get('imported_on')}")


def remove_import(la_code: str, layer: str, atlas_folder: str | Path | None = None) -> Atlas:
    """Remove an imported layer from a district's atlas on disk, and its kept file.

    Raises
    ------
    ImportFileError
        If no import of that id is kept for the district.
    """
    folder = config.atlas_dir(atlas_folder)
    _load_built(folder, la_code)
    with store.locked(folder):
        built = _load_built(folder, la_code)
        kept = imports_folder(folder, built.la_code)
        manifest = read_manifest(kept)  # checked: every kept file is a plain name inside ``kept``
        if layer not in manifest:
            have = ", ".join(manifest) or "none"
            raise ImportFileError(f"No imported layer {layer!r} in the {built.la_name} atlas; imported layers: "
                                  f"{have}.")
        entry = manifest.pop(layer)
        updated = without_layer(built, layer)
        updated.report = dataclasses.replace(updated.report, imports=[e for e in updated.report.imports
                                                                      if e.get("layer") != layer])
        kept_files.write_together(folder, kept, IMPORTS, manifest, updated, remove=entry["file"])
    return updated


def reapply_imports(built: Atlas, atlas_folder: str | Path, source_dir: str | Path | None = None,
                    catalogue: Catalogue | None = None) -> Atlas:
    """Add again the layers imported on the command line into ``atlas_folder`` (after a rebuild).

    An import that no longer applies (its file is gone or no longer matches)
    is left out with a warning in the build report, never silently.
    """
    kept = imports_folder(atlas_folder, built.la_code)
    try:
        manifest = read_manifest(kept)
    except ImportFileError as exc:
        built.report.warn(str(exc))
        return built
    for layer, entry in manifest.items():
        try:
            data = (kept / entry["file"]).read_bytes()
            options = ImportOptions(**entry["options"])
            upload = read_upload(data, entry.get("original_name", entry["file"]), options.sheet)
            result = prepare(upload, built, options, source_dir, dt.date.fromisoformat(entry["imported_on"]),
                             catalogue)
            built = _with_import_report(add_to_atlas(built, result), result)
        except (AtlasError, OSError, KeyError, TypeError, ValueError) as exc:
            built.report.warn(
                f"Imported layer {layer} ({kept / entry.get('file', '?')}) was not re-applied: {exc}")
    return built


def _with_import_report(built: Atlas, result: ImportResult) -> Atlas:
    entries = [e for e in built.report.imports if e.get("layer") != result.layer]
    entries.append({"layer": result.layer, "label": result.label, "geographies": result.geographies,
                    **result.report.to_dict()})
    return dataclasses.replace(built, report=dataclasses.replace(built.report, imports=entries))


def _load_built(folder: Path, la_code: str) -> Atlas:
    la = check_district_code(la_code)
    path = store.atlas_path(folder, la)
    if not path.is_file():
        raise AtlasError(f"No built atlas for {la} in {folder}: build it first with `atlas build --la {la}`, "
                         f"then import.")
    return store.load(path)
