"""HTTP: downloads that resume and report progress, and ONS Open Geography Portal (ArcGIS) queries."""

from __future__ import annotations

import http.client
import json
import os
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .common import CHUNK, USER_AGENT, FetchError, short


class Progress:
    """A plain-text progress bar on stderr (redrawn in place on a terminal)."""

    def __init__(self, label: str, total: int | None, stream=None):
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._shown = -1

    def update(self, done: int) -> None:
        self.done = done
        if not self.tty:
            return
        if self.total:
            percent = min(100, int(100 * done / self.total))
            if percent == self._shown:
                return
            self._shown = percent
            bar = "#" * (percent // 4) + "." * (25 - percent // 4)
            text = f"\r  [{bar}] {percent:3d}% {_size(done)} of {_size(self.total)}  {self.label}"
        else:
            text = f"\r  {_size(done)}  {self.label}"
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
        self.stream.write(f"  downloaded {self.label}: {_size(self.done)}\n")
        self.stream.flush()


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"


def _open(url: str, timeout: float, data: bytes | None = None, headers: dict | None = None):
    """Open ``url``; raise FetchError naming the URL, the HTTP status or the timeout."""
    request = urllib.request.Request(url, data=data, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        return urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url} answered HTTP {exc.code} {exc.reason}: the publisher may have moved or "
                         f"withdrawn the file; check the address in the spec") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"No answer from {url} within {timeout:g} s (timed out); try again later "
                             f"or raise --timeout") from exc
        raise FetchError(f"Cannot reach {url}: {exc.reason}") from exc
    except (TimeoutError, socket.timeout) as exc:
        raise FetchError(f"No answer from {url} within {timeout:g} s (timed out); try again later "
                         f"or raise --timeout") from exc
    except (http.client.HTTPException, OSError) as exc:
        raise FetchError(f"Download of {url} failed: {exc}") from exc


def download_file(url: str, dest: Path, timeout: float = 60, stream=None) -> Path:
    """Download ``url`` to ``dest``, resuming a partial download left by an earlier run.

    The bytes go to ``dest.part`` first; when the server supports HTTP ``Range``
    a second call continues where the first stopped (``If-Range`` makes the
    server send the whole file again if it changed meanwhile); otherwise the
    download restarts. ``dest`` appears only once every byte announced by the
    server has arrived.

    Raises
    ------
    FetchError
        On an HTTP error, a timeout, or a download that broke off or is shorter
        than announced (the partial file is kept for the next run).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    meta = dest.with_name(dest.name + ".part.json")
    have = part.stat().st_size if part.exists() else 0
    validator = json.loads(meta.read_text()).get("validator") if meta.exists() and have else None
    headers = {"Range": f"bytes={have}-", "If-Range": validator} if validator else {}
    try:
        response = _open(url, timeout, headers=headers)
    except FetchError as exc:
        if isinstance(exc.__cause__, urllib.error.HTTPError) and exc.__cause__.code == 416:
            part.unlink(missing_ok=True)  # the partial file no longer fits: start again
            return download_file(url, dest, timeout, stream)
        raise
    with response:
        resumed = response.status == 206
        total = _total_length(response, have if resumed else 0)
        if not resumed:
            have = 0
        tag = response.headers.get("ETag") or response.headers.get("Last-Modified")
        meta.write_text(json.dumps({"url": url, "validator": tag}))
        progress = Progress(dest.name, total, stream)
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    have += len(chunk)
                    progress.update(have)
        except (http.client.IncompleteRead, TimeoutError, socket.timeout, OSError) as exc:
            progress.close()
            raise FetchError(f"Download of {url} broke off after {_size(have)}"
                             f"{f' of {_size(total)}' if total else ''} ({exc.__class__.__name__}); "
                             f"run the same command again to resume") from exc
        progress.close()
    if total is not None and have != total:
        raise FetchError(f"Download of {url} is incomplete: {have} of the {total} bytes the server "
                         f"announced arrived; run the same command again to resume")
    os.replace(part, dest)
    meta.unlink(missing_ok=True)
    return dest


def _total_length(response, offset: int) -> int | None:
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("*"):
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def arcgis_query(layer: str, where: str, geometry: bool, timeout: float = 60) -> list[dict]:
    """Every feature of an ArcGIS feature layer matching ``where``, page by page.

    Parameters
    ----------
    layer : str
        The layer URL (``.../FeatureServer/0``).
    where : str
        SQL where clause.
    geometry : bool
        GeoJSON features in WGS84 (True) or attribute rows (False).

    Returns
    -------
    list of dict
        GeoJSON features, or ``{"attributes": {...}}`` rows.

    Raises
    ------
    FetchError
        On an HTTP error, a timeout, or an error the service reports in its answer.
    """
    features: list[dict] = []
    url = layer.rstrip("/") + "/query"
    while True:
        params = {"where": where, "outFields": "*", "returnGeometry": "true" if geometry else "false",
                  "outSR": "4326", "f": "geojson" if geometry else "json", "resultOffset": str(len(features))}
        with _open(url, timeout, data=urllib.parse.urlencode(params).encode()) as response:
            try:
                body = json.loads(response.read())
            except (ValueError, OSError, http.client.HTTPException) as exc:
                raise FetchError(f"{url} did not answer the query with JSON ({exc})") from exc
        if "error" in body:
            error = body["error"]
            details = "; ".join(error.get("details") or [])
            raise FetchError(f"{url} refused the query where {short(where)}: {error.get('message')} "
                             f"{details}".strip())
        page = body.get("features") or []
        features += page
        exceeded = body.get("exceededTransferLimit") or (body.get("properties") or {}).get("exceededTransferLimit")
        if not exceeded or not page:
            return features
