"""``fetch-manifest.json``: what was written, from where, with its size and checksum."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..store import write_text_atomic
from .common import MANIFEST, FetchError


class Manifest:
    """``fetch-manifest.json``: one entry per written file (address, size, SHA-256, time, spec)."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / MANIFEST
        self.folder = Path(folder)
        self.files: dict[str, dict] = {}
        if self.path.exists():
            try:
                self.files = json.loads(self.path.read_text())["files"]
            except (ValueError, KeyError) as exc:
                raise FetchError(f"{self.path} is not a fetch manifest ({exc}); move it away and run again") from exc

    def complete(self, item: str) -> bool:
        """Whether every file written for ``item`` is in place with its recorded size and checksum."""
        entries = {rel: e for rel, e in self.files.items() if e["item"] == item}
        return bool(entries) and all(_matches(self.folder / rel, e) for rel, e in entries.items())

    def record(self, item: str, written: list[str], entry: dict) -> None:
        """Record the files written for ``item`` and save the manifest atomically."""
        for rel in [r for r, e in self.files.items() if e["item"] == item]:
            del self.files[rel]
        for rel in written:
            path = self.folder / rel
            self.files[rel] = {"item": item, **entry, "bytes": path.stat().st_size, "sha256": sha256(path)}
        write_text_atomic(self.path, json.dumps({"format": 1, "files": dict(sorted(self.files.items()))},
                                                indent=2, ensure_ascii=False))


def _matches(path: Path, entry: dict) -> bool:
    return path.is_file() and path.stat().st_size == entry["bytes"] and sha256(path) == entry["sha256"]


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
