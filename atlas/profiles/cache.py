"""Profiles computed once per build: kept on disk under ``<output>/cache/profiles`` and read back after.

A profile's expensive parts (the spine chart, the map, the funnel plot, the
aggregations over the area's LSOAs and the district's) depend only on the
atlas as built, the area chosen and the source directory (England's figures).
:func:`cached_profile` names the profile by a fingerprint of those
(:func:`atlas.caching.fingerprint`: the atlas file's name, size and time, its
build time and layers, the area, the lookup file, the footprint rule), so a
rebuild or a changed lookup gives another name, and every later visit, in any
session or process, reads the profile back instead of computing it. Its
"produced" date is the day it is read. :func:`warm` computes one in a
background thread (the app warms the profile page's first area).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import pickle
import threading
from pathlib import Path

from .. import config, store
from ..caching import fingerprint
from ..errors import AtlasError
from ..model import Atlas
from .areas import find_area
from .builder import build_profile
from .profile import Profile

#: Bumped when the Profile's fields change, so older files are not read.
CACHE_VERSION = "1"
_WARMING: set[str] = set()
_LOCK = threading.Lock()


def profile_key(built: Atlas, area: str | list[str], pcn_lookup: str | os.PathLike | None = None,
                geography: str | None = None, footprint: str = "patients",
                source_dir: str | os.PathLike | None = None) -> str:
    """The fingerprint a profile is kept under (see the module's description).

    Returns
    -------
    str
        40 hexadecimal digits.
    """
    layers = built.layers[["layer", "geography", "label"]].to_csv(index=False)
    selection = ",".join(area) if isinstance(area, list) else str(area)
    lookup = hashlib.sha256(Path(pcn_lookup).read_bytes()).hexdigest() if pcn_lookup else ""
    files = [built.path] if built.path else []
    return fingerprint(CACHE_VERSION, built.la_code, str(built.report.built), layers, selection, str(geography),
                       footprint, lookup, str(config.source_dir(source_dir)), files=files, length=40)


def cached_profile(built: Atlas, area: str | list[str], pcn_lookup: str | os.PathLike | None = None,
                   geography: str | None = None, footprint: str = "patients",
                   source_dir: str | os.PathLike | None = None, keep: bool = True) -> Profile:
    """The profile of ``area`` (:func:`atlas.profiles.build_profile`), computed once per build.

    Parameters
    ----------
    built : Atlas
    area : str or list of str
        What :func:`atlas.profiles.find_area` accepts.
    pcn_lookup, geography, footprint, source_dir
        As :func:`find_area` and :func:`build_profile`.
    keep : bool
        Read and write the disk cache (False for an atlas with layers that live
        in a session only, such as the app's uploads).

    Returns
    -------
    Profile

    Raises
    ------
    UnknownAreaError, AtlasError
        As :func:`find_area` (nothing is kept).
    """
    path = _cache_file(profile_key(built, area, pcn_lookup, geography, footprint, source_dir)) if keep else None
    found = _read(path) if path else None
    if found is None:
        chosen = find_area(built, area, pcn_lookup, source_dir, geography=geography, footprint=footprint)
        found = build_profile(built, chosen, source_dir=source_dir)
        if path:
            _write(path, found)
    return dataclasses.replace(found, produced=dt.date.today())


def warm(built: Atlas, area: str, geography: str | None = None) -> bool:
    """Compute and keep the profile of ``area`` in a background thread, once per build; whether one started.

    An error is not raised (the page computing the profile later reports it).
    """
    key = profile_key(built, area, geography=geography)
    with _LOCK:
        if key in _WARMING or _cache_file(key).is_file():
            return False
        _WARMING.add(key)

    def run():
        try:
            cached_profile(built, area, geography=geography)
        except (AtlasError, OSError, ValueError):
            pass

    threading.Thread(target=run, name=f"profile-warm-{built.la_code}", daemon=True).start()
    return True


def _cache_file(key: str) -> Path:
    return config.out_dir() / "cache" / "profiles" / f"{key}.pickle"


def _read(path: Path) -> Profile | None:
    """A kept profile; None when there is none or it cannot be read (it is then computed again)."""
    try:
        with open(path, "rb") as handle:
            found = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
        return None
    return found if isinstance(found, Profile) else None


def _write(path: Path, profile: Profile) -> None:
    """Keep a profile (atomically); a folder that cannot be written only means it is computed again."""
    try:
        store.write_bytes_atomic(path, pickle.dumps(profile, protocol=pickle.HIGHEST_PROTOCOL))
    except AtlasError:
        return
