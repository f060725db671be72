"""What the fetch modules share: names of its files and folders, limits, its error and short texts."""

from __future__ import annotations

from ..errors import AtlasError

MANIFEST = "fetch-manifest.json"
CACHE = ".fetch-downloads"
STAGING = ".fetch-staging"
USER_AGENT = "health-equity-atlas/0.1 (atlas fetch; official open data)"
#: How many codes one ArcGIS query names in its ``IN (...)`` list.
CODES_PER_QUERY = 100
CHUNK = 1 << 16
SAMPLE_LA = "E06000032"  # any district code, to check per-district file names


class FetchError(AtlasError):
    """A download failed, or the published file is not what the specs expect."""


def short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."
