"""Bring your own indicator: read a CSV or Excel file of values by area and add it to an atlas.

The steps, each reported rather than silent:

1. **Read** (:func:`read_upload`): CSV (UTF-8 with or without a byte-order mark,
   or Windows-1252; comma, semicolon, tab or bar separated) or Excel ``.xlsx``
   (openpyxl reads the values Excel saved: formulas are never evaluated, macros
   never run). Files over :data:`MAX_UPLOAD_BYTES` are refused.
2. **Detect** (:func:`detect`): the column holding area codes and the geography
   and vintage they are (LSOA 2011 or 2021, MSOA, old or new wards ...), from the
   codes themselves against the district's areas and the national member lists.
   Codes that exist in both LSOA vintages decide nothing; the codes that exist
   in only one vintage decide.
3. **Clean** (:func:`prepare`): thousands separators, values written with
   ``%``, suppression markers (``*``, ``c``, ``..``, ``-``, ``x``, ``[c]``,
   ``<5``, blank ...) read as suppressed (no data, never zero); duplicate codes
   are an error naming them; codes of another district, of another kind of
   area or not codes at all are listed and left out.
4. **Convert** between LSOA 2011 and LSOA 2021 (both directions) through the
   ONS lookup (:data:`LSOA_LOOKUP`) by the rule in :data:`CONVERSION_RULE`, and
   aggregate to wards and MSOAs as the build does for its own layers.
5. **Add** the layer to the atlas with full metadata (:func:`add_to_atlas`);
   on the command line (:func:`import_file`) the file is kept in
   ``<atlas folder>/imports/<LA>/`` with a manifest, so a rebuild re-applies it
   (:func:`reapply_imports`, called by :func:`atlas.build.build`).
"""

from __future__ import annotations

from .adding import add_to_atlas, without_layer
from .common import (
    CONVERSION_RULE,
    COUNT_KINDS,
    IMPORT_KINDS,
    LAYER_PREFIX,
    LAYER_SUFFIXES,
    LOOKUP_NEW,
    LOOKUP_OLD,
    LSOA_LOOKUP,
    MANIFEST,
    SINGLE_VALUE_KINDS,
    ImportFileError,
)
from .conversion import lsoa_links
from .detection import code_columns, detect
from .importing import layer_id, prepare
from .options import Detection, ImportOptions, ImportResult, MatchReport, Upload
from .persistent import import_file, imports_folder, read_manifest, reapply_imports, remove_import
from .reading import MAX_CELLS, MAX_ROWS, MAX_UNPACKED_BYTES, MAX_UPLOAD_BYTES, MAX_UPLOAD_MB, check_size, read_upload

__all__ = [
    "CONVERSION_RULE", "COUNT_KINDS", "Detection", "IMPORT_KINDS", "ImportFileError", "ImportOptions", "ImportResult",
    "LAYER_PREFIX", "LAYER_SUFFIXES", "LOOKUP_NEW", "LOOKUP_OLD", "LSOA_LOOKUP", "MANIFEST", "MAX_CELLS", "MAX_ROWS",
    "MAX_UNPACKED_BYTES", "MAX_UPLOAD_BYTES", "MAX_UPLOAD_MB", "MatchReport", "SINGLE_VALUE_KINDS", "Upload", "add_to_atlas",
    "check_size", "code_columns", "detect", "import_file", "imports_folder", "layer_id", "lsoa_links", "prepare",
    "read_manifest", "read_upload", "reapply_imports", "remove_import", "without_layer",
]
