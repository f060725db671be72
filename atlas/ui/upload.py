"""The app's "your own indicator" section: upload a CSV or Excel file and map it.

:func:`upload_section` shows an uploader in the sidebar, what was detected (code
column, geography and vintage) with controls to override it, a one-line
summary of the match and the "Add to the map" button; :func:`report_section`
shows the full match report under the map, at the page's full width. Adding a
layer selects it (its geography and indicator), so the map shows it at once
with no further click. Uploaded layers live in the
user's session only (Streamlit session state), never on disk; the map, table,
statistics and exports see them as ordinary layers of the returned atlas.

Everything taken from the file or typed by the user is shown as text: HTML and
Markdown in it are escaped, so a name like ``<script>alert(1)</script>``
appears as written and runs nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib

import streamlit as st

from atlas.errors import AtlasError
from atlas.importer import (
    CONVERSION_RULE,
    IMPORT_KINDS,
    MAX_UPLOAD_MB,
    ImportOptions,
    ImportResult,
    add_to_atlas,
    detect,
    prepare,
    read_upload,
)
from atlas.model import Atlas
from atlas.plaintext import csv_text, plain

__all__ = ["plain", "report_section", "upload_section", "upload_help", "with_uploads", "show_report"]

#: Session-state key: district code -> {layer id: ImportResult}.
SESSION_KEY = "uploaded_indicators"
#: Session-state key: district code -> the ImportResult checked but not yet added (its report is shown under the map).
PENDING_KEY = "upload_pending"
#: Session-state key: what was read, detected and matched from the files of this session, so an upload is
#: parsed once per file and options, not on every rerun.
READS_KEY = "uploaded_reads"
_READS_KEPT = 8
_KIND_HELP = ("How the values combine when areas are merged, split or grouped into wards: counts are summed "
              "(and shared by population); every other kind is averaged, weighted by population.")
_POLARITY = {"neutral": "Neither (neutral)", "worse": "Higher is worse", "better": "Higher is better"}
def upload_section(built: Atlas, container=None) -> Atlas:
    """Show the upload section and return the atlas with this session's uploaded layers added.

    Parameters
    ----------
    built : Atlas
        The district's atlas, as built.
    container : Streamlit container, optional
        Where to draw the section; the sidebar by default.

    Returns
    -------
    Atlas
        ``built`` with every layer uploaded in this session for its district
        (``built`` itself when there are none).
    """
    box = container if container is not None else st.sidebar
    with box:
        st.subheader("Your own indicator")
        upload = st.file_uploader(
            "Upload a CSV or Excel (.xlsx) file of values by area code", type=["csv", "xlsx"],
            key=f"upload_file_{built.la_code}", help=upload_help())
        _pending().pop(built.la_code, None)
        if upload is not None:
            _check_upload(built, upload.name, upload.getvalue())
        _show_uploaded(built)
    return with_uploads(built)


def upload_help() -> str:
    """The uploader's help text, with the size limit the app, the CLI and the README state."""
    return (f"One row per area: an ONS area code (LSOA, MSOA or ward, 2011 or 2021) and a value. Up to "
            f"{MAX_UPLOAD_MB} MB. The file stays in your session; nothing is saved.")


def report_section(built: Atlas) -> None:
    """The match report of the file being checked (at the page's full width), and those of the layers added."""
    pending = _pending().get(built.la_code)
    stored = _stored(built.la_code)
    if pending is None and not stored:
        return
    st.subheader("Your own indicator: match report")
    if pending is not None:
        show_report(pending, key="pending")
    for layer, result in stored.items():
        if pending is not None and layer == pending.layer:
            continue
        with st.expander(plain(f"Match report of {result.label} (added to the map)")):
            show_report(result, key="added")


def with_uploads(built: Atlas) -> Atlas:
    """``built`` with the layers uploaded in this session for its district."""
    for result in _stored(built.la_code).values():
        built = add_to_atlas(built, result)
    return built


def _stored(la_code: str) -> dict:
    return st.session_state.setdefault(SESSION_KEY, {}).setdefault(la_code, {})


def _check_upload(built: Atlas, filename: str, data: bytes) -> None:
    """Read, detect, let the user adjust, check, and offer to add the layer."""
    token = f"{filename}:{len(data)}"  # widget keys follow the file, so a new file starts afresh
    try:
        upload = read_once(data, filename)  # refuses a file over the size limit first
        if len(upload.sheets) > 1:
            sheet = st.selectbox("Sheet", upload.sheets, index=upload.sheets.index(upload.sheet),
                                 key=f"upload_sheet_{token}")
            if sheet != upload.sheet:
                upload = read_once(data, filename, sheet)
        options = _options_form(built, upload, token)
        if options is None:
            return
        result = prepare_once(upload, built, options)
    except AtlasError as exc:
        st.error(plain(exc))
        return
    _pending()[built.la_code] = result
    report = result.report
    st.caption(plain(f"{report.with_values} of {report.district_areas} areas of {built.la_name} get a value; "
                     f"the full match report is under the map."))
    replaces = result.layer in _stored(built.la_code)
    label = "Replace the earlier upload and map it" if replaces else "Add to the map"
    st.button(label, key=f"upload_add_{result.layer}", type="primary", on_click=_add, args=(built.la_code, result))


def _pending() -> dict:
    return st.session_state.setdefault(PENDING_KEY, {})


def _add(la_code: str, result: ImportResult) -> None:
    """Keep the layer for the session and select it, so the map shows it on this very rerun."""
    _stored(la_code)[result.layer] = result
    geography = result.geographies[0]
    theme = result.meta[geography].get("theme") or "Other"
    st.session_state.update({"geography": geography, "theme": theme, "layer": result.layer})
    st.toast(plain(f"Added {result.label} to the map."))


def read_once(data: bytes, filename: str, sheet: str | None = None):
    """:func:`atlas.importer.read_upload`, once per file content and sheet in this session (reruns reuse it).

    Raises
    ------
    ImportFileError
        As ``read_upload`` (an error is not kept: the next rerun reads again).
    """
    return _once(("read", hashlib.sha256(data).hexdigest(), filename, sheet), lambda: read_upload(data, filename, sheet))


def detect_once(upload, built: Atlas, code_column: str | None = None):
    """:func:`atlas.importer.detect` for a file read by :func:`read_once`, once per column and atlas."""
    return _once_for(upload, ("detect", code_column, _atlas_token(built)),
                     lambda: detect(upload, built, code_column=code_column))


def prepare_once(upload, built: Atlas, options: ImportOptions):
    """:func:`atlas.importer.prepare` for a file read by :func:`read_once`, once per options and atlas.

    A rerun with the same file, sheet and options (any click elsewhere on the
    page) reuses the match; changing an option matches again.

    Raises
    ------
    ImportFileError, AtlasError
        As ``prepare`` (an error is not kept: the next rerun matches again).
    """
    return _once_for(upload, ("prepare", repr(dataclasses.astuple(options)), _atlas_token(built)),
                     lambda: prepare(upload, built, options))


def _once(key: tuple, compute):
    """``compute()``, kept in this session under ``key`` (the oldest dropped beyond a few)."""
    kept = st.session_state.setdefault(READS_KEY, {})
    if key not in kept:
        while len(kept) >= _READS_KEPT:
            kept.pop(next(iter(kept)))
        kept[key] = compute()
    return kept[key]


def _once_for(upload, key: tuple, compute):
    """``compute()`` about the read file ``upload``, kept with it (the entry holds the file, so its id is its own)."""
    return _once((id(upload), *key), lambda: (upload, compute()))[1]


def _atlas_token(built: Atlas) -> tuple:
    """What a match against ``built`` depends on: its district, file and build time."""
    return built.la_code, str(built.path), str(built.report.built)


def _options_form(built: Atlas, upload, token: str) -> ImportOptions | None:
    """Controls prefilled with what was detected; the options the user settles on."""
    found = detect_once(upload, built)
    st.caption(f"Detected: {plain(found.explanation)}.")
    if found.ambiguous:
        st.warning("The codes exist in both vintages: check the geography below.")
    columns = list(upload.table.columns)
    geographies = list(built.geographies)
    code_column = st.selectbox("Column of area codes", columns, index=columns.index(found.code_column),
                               key=f"upload_code_column_{token}")
    if code_column != found.code_column:
        found = detect_once(upload, built, code_column)
    geography = st.selectbox("Geography of the codes", geographies, index=geographies.index(found.geography),
                             format_func=lambda g: built.geography_labels.get(g, g), key=f"upload_geography_{token}")
    values = found.value_columns or [c for c in columns if c != code_column]
    if not values:
        st.error("The file has no column of values besides the codes.")
        return None
    value_column = st.selectbox("Column of values", values, key=f"upload_value_column_{token}")
    name = st.text_input("Name of the indicator", value=value_column, max_chars=120, key=f"upload_name_{token}")
    kind = st.selectbox("Kind of values", [None, *IMPORT_KINDS], key=f"upload_kind_{token}", help=_KIND_HELP,
                        format_func=lambda k: "as the file suggests (percentage if written with %, else value)"
                        if k is None else k)
    higher_is = st.radio("Is a higher value worse or better?", list(_POLARITY), format_func=_POLARITY.get,
                         key=f"upload_polarity_{token}", help="Sets the colours: the darker end means worse.")
    units = st.text_input("Units (optional)", max_chars=40, key=f"upload_units_{token}",
                          placeholder="e.g. %, per 1,000")
    period = st.text_input("Period (optional)", max_chars=40, key=f"upload_period_{token}", placeholder="e.g. 2023-24")
    attribution = st.text_input("Source and licence, for maps and exports (optional)", max_chars=200,
                                key=f"upload_attribution_{token}", placeholder="e.g. Source: NHS England, OGL v3.0")
    return ImportOptions(name=name, code_column=code_column, value_column=value_column,
                         geography=None if geography == found.geography else geography,  # detected: keep its reasons
                         kind=kind, units=units or None, higher_is=higher_is, period=period,
                         attribution=attribution, sheet=upload.sheet)


def show_report(result: ImportResult, key: str = "") -> None:
    """The match report of an import: headline counts, notes, what was left out, conversions.

    ``key`` tells apart two reports of the same layer on one page.
    """
    report = result.report
    st.markdown(f"**Match report: {plain(result.label)}**")
    st.caption(plain(report.detection))
    st.dataframe(report.counts(), hide_index=True, width="stretch",
                 column_config={"item": "What", "count": "Number"})
    for note in report.notes:
        st.caption(f"• {plain(note)}")
    left_out = report.left_out()
    if len(left_out):
        with st.expander(f"Rows left out and areas with no data ({len(left_out)})"):
            st.dataframe(left_out, hide_index=True, width="stretch")
            st.download_button("Download this list (CSV)", csv_text(left_out).encode("utf-8"),
                               file_name=f"{result.layer}_match_report.csv", mime="text/csv",
                               key=f"upload_report_csv_{key}_{result.layer}")
    for conversion in report.conversions:
        st.caption(plain(
            f"Also shown on {conversion['geography_label']}: {conversion['converted']} areas with a value "
            f"({conversion['unchanged']} unchanged, {conversion['combined']} made of several, "
            f"{conversion['divided']} parts of one); {len(conversion['not_converted'])} not converted. "
            f"{conversion['inferred']}"))
    if report.conversions:
        st.caption(plain(f"Conversion rule: {CONVERSION_RULE}"))
    for entry in report.aggregations:
        st.caption(plain(f"Also shown on {entry['geography_label']}: {entry['method']}."))


def _show_uploaded(built: Atlas) -> None:
    stored = _stored(built.la_code)
    if not stored:
        return
    st.markdown("**Your uploaded layers** (this session only; their match reports are under the map)")
    for layer, result in list(stored.items()):
        st.caption(plain(result.label))
        if st.button("Remove from the map", key=f"upload_remove_{layer}"):
            stored.pop(layer, None)
            st.rerun()
