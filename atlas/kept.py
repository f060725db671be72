"""Files kept beside a built atlas with a JSON manifest: ``atlas import``'s imports and ``atlas areas``' area sets.

Both keep each added file in ``<atlas folder>/<kind>/<LA>/`` under a plain file
name, with a manifest (id -> entry with at least ``file`` and ``options``) that
a rebuild reads to add them again. This module is the one place that:

* reads a manifest and refuses a damaged one before anything is written
  (:func:`read_manifest`): not JSON, not a table, an id without the kind's
  prefix, an entry without options, or a ``file`` that is not a plain file
  name inside the folder (so removing an entry deletes nothing elsewhere,
  whatever the manifest says);
* writes the atlas, the kept file and the manifest together or not at all
  (:func:`write_together`, one :func:`atlas.store.transaction`).

Callers hold :func:`atlas.store.locked` on the atlas folder around reading the
manifest and writing, so concurrent writers take turns and none is lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import store
from .errors import AtlasError
from .model import Atlas


@dataclass(frozen=True)
class ManifestKind:
    """What a manifest holds, for its checks and messages.

    Attributes
    ----------
    filename : str
        The manifest's file name (``imports.json``).
    what : str
        Its name in messages (``imports``).
    prefix : str
        How every id in it starts (``import_``).
    id_name : str
        An id, in words (``an imported layer id``).
    error : type
        The :class:`AtlasError` subclass raised.
    """

    filename: str
    what: str
    prefix: str
    id_name: str
    error: type = AtlasError


def read_manifest(folder: Path, kind: ManifestKind) -> dict:
    """The manifest kept in ``folder`` (id -> entry), checked; empty when there is none.

    Parameters
    ----------
    folder : path-like
        The authority's folder of kept files.
    kind : ManifestKind

    Returns
    -------
    dict

    Raises
    ------
    AtlasError
        (``kind.error``) If the manifest exists but is damaged: the message names it and what is wrong.
    """
    path = Path(folder) / kind.filename
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise kind.error(f"The {kind.what} manifest {path} is damaged ({exc}); fix or delete it.") from exc
    problem = manifest_problem(manifest, kind)
    if problem:
        raise kind.error(f"The {kind.what} manifest {path} is damaged: {problem}. Nothing was changed; fix or "
                         f"delete it.")
    return manifest


def manifest_problem(manifest, kind: ManifestKind) -> str | None:
    """What is wrong with a manifest read from disk (None when nothing is)."""
    if not isinstance(manifest, dict):
        return f"it holds a {type(manifest).__name__}, not a table of entries"
    for key, entry in manifest.items():
        if not str(key).startswith(kind.prefix):
            return f"{key!r} is not {kind.id_name} (they start with {kind.prefix!r})"
        if not isinstance(entry, dict) or not isinstance(entry.get("options"), dict):
            return f"the entry of {key} is not a table with its options"
        stored = entry.get("file")
        if not isinstance(stored, str) or stored in ("", ".", "..", kind.filename) or Path(stored).name != stored \
                or "\\" in stored or stored.startswith("."):
            return (f"the entry of {key} names the file {stored!r}; a kept file is a plain file name inside "
                    f"the {kind.what} folder")
    return None


def write_together(folder: Path, kept: Path, kind: ManifestKind, manifest: dict, updated: Atlas | None = None,
                   add: tuple[str, bytes] | None = None, remove: str | None = None) -> None:
    """Write the manifest, a kept file and the atlas together: all change, or none does.

    Parameters
    ----------
    folder : path-like
        The atlas folder (the atlas is written there as ``<LA>.gpkg``).
    kept : path-like
        The authority's folder of kept files.
    kind : ManifestKind
    manifest : dict
        The new manifest (checked: every file a plain name inside ``kept``).
    updated : Atlas, optional
        The atlas to write (None when the authority has no built atlas).
    add : (str, bytes), optional
        A file to keep: its plain name in ``kept`` and its content.
    remove : str, optional
        A kept file to delete (a plain name in ``kept``).
    """
    problem = manifest_problem(manifest, kind) or next(
        (f"{name!r} is not a plain file name" for name in (add[0] if add else None, remove)
         if name is not None and Path(name).name != name), None)
    if problem:
        raise kind.error(f"Refusing to write the {kind.what} manifest in {kept}: {problem}.")
    with store.transaction() as tx:
        if add is not None:
            tx.write_bytes(Path(kept) / add[0], add[1])
        if updated is not None:
            store.save(updated, folder, tx)
        tx.write_text(Path(kept) / kind.filename, json.dumps(manifest, indent=2))
        if remove is not None:
            tx.remove(Path(kept) / remove)
