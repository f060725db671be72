"""One way to name cached things: a fingerprint of what they were made from.

>>> fingerprint("lsoa11", b"\\x00\\x01")
'fd05b847801975ea'
>>> fingerprint("lsoa11", b"\\x00\\x01") == fingerprint("lsoa11", b"\\x00\\x02")
False
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path


def fingerprint(*parts: str | bytes, files: Iterable[str | Path] = (), root: str | Path | None = None,
                length: int = 16) -> str:
    """A short hexadecimal digest of ``parts`` and of the state of ``files``.

    Parameters
    ----------
    *parts : str or bytes
        What the cached thing depends on (settings, codes, geometry as WKB ...), in order.
    files : iterable of path-like
        Files it was made from: each contributes its name, size and modification time
        (a missing file counts as size 0), so a changed file gives another fingerprint.
    root : path-like, optional
        Folder the ``files`` are relative to (their names are hashed as given).
    length : int
        Hexadecimal digits kept (default 16).

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode("utf-8"))
        digest.update(b"\x1f")
    for name in files:
        path = Path(root) / name if root is not None else Path(name)
        stat = path.stat() if path.is_file() else None
        digest.update(f"{name}|{stat.st_size if stat else 0}|{stat.st_mtime_ns if stat else 0}\n".encode())
    return digest.hexdigest()[:length]
