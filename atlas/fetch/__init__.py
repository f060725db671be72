"""Downloading the official files: ``atlas fetch --out DIR [--la CODE]``.

A council analyst without the project's source directory gets one: every file a
spec names is fetched from its publisher and written under the same relative
path, name and format the specs read, so ``atlas build --source DIR`` (or
``ATLAS_SOURCE_DIR=DIR make run``) works on it.

Where a file comes from is written in the specs themselves: any table naming a
``file`` (or ``files``) may carry a ``download`` table (the engine ignores it)::

    [members]
    file = "deprivation/iod2019_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
    ...
    [members.download]
    url = "https://assets.publishing.service.gov.uk/.../File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx"
    sheet = "IMD2019"

Keys of a ``download`` table (see :class:`Download`): ``url`` (a published
file) or ``arcgis`` (an ONS Open Geography Portal feature layer, queried with
``where``: ``{lad}`` is the district code, ``{codes}`` the codes of the
district's areas, ``{names}`` their names); ``member`` (a zip member, or a glob
of members); ``sheet`` (a worksheet, written as CSV); ``rename`` (published
column -> column the spec reads); ``file`` (the name to write when the spec's
pattern has wildcards); ``third_party`` (why only a third-party copy is named);
``notes``. A target ending ``.gz`` is gzip-compressed.

Every download goes to a temporary file, is converted, checked (the columns the
specs read, the CRS of boundaries) and only then renamed into place; a manifest
(``fetch-manifest.json``) records each file's address, size, SHA-256, time and
spec, so a second run skips what is complete and resumes a broken download
(HTTP ``Range``) where it stopped.
"""

from .common import CACHE, MANIFEST, STAGING, FetchError
from .fetcher import Fetcher, FetchResult, fetch
from .manifest import Manifest, sha256
from .refs import FileRef, file_refs
from .transfer import arcgis_query, download_file

__all__ = ["CACHE", "MANIFEST", "STAGING", "FetchError", "FetchResult", "Fetcher", "FileRef", "Manifest",
           "arcgis_query", "download_file", "fetch", "file_refs", "sha256"]
