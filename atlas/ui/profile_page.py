"""The area profiles page: a neighbourhood profile of a ward, MSOA, Primary Care Network or chosen LSOAs.

The user picks an authority, a kind of area and the area (or LSOAs, or a
network with an optional LSOA-to-PCN lookup file); the page shows the profile
(:func:`atlas.profiles.build_profile`: the same figures as the map's table)
as tables with captions, a map with its description, and offers it as HTML,
PDF and CSV downloads. Every name and value is shown as text, never as markup.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from .. import profiles
from ..catchments import practice_set
from ..errors import AtlasError
from ..plaintext import plain
from ..profiles.tagged import render_tagged_pdf, tagged_pdf_available, why_no_tagged_pdf
from . import common
from .upload import with_uploads

#: Session-state key of the profiles built in this session (by selection).
PROFILES_KEY = "area_profiles"
PCN = "pcn"
LSOAS = "lsoas"


def page() -> None:
    """Draw the area profiles page."""
    built = common.chosen_atlas("profile_la")
    built = with_uploads(built)  # the layers uploaded on the map page in this session
    _from_link(built)
    st.title(plain(f"Area profiles: {built.la_name}"))
    st.caption("A neighbourhood profile: population, deprivation mix, every indicator beside the authority and "
               "England, life expectancy, and the practices and other services in or serving the area.")
    kind = _kind_control(built)
    area, lookup = _area_control(built, kind)
    if not area:
        st.info("Choose an area above to see its profile.")
        return
    try:
        profile = _profile(built, kind, area, lookup)
    except AtlasError as exc:
        st.error(plain(exc))
        return
    _show(profile)


# -- controls ------------------------------------------------------------------------------------------
def _from_link(built) -> None:
    """Open on the area a link names (the map's popups: ``?la=...&kind=lsoas&vintage=lsoa11&area=E01...``).

    Read once per session; an area or kind the authority does not have is ignored.
    """
    if st.session_state.get("_profile_link_read"):
        return
    st.session_state["_profile_link_read"] = True
    kind, area = st.query_params.get("kind"), st.query_params.get("area")
    if not kind or not area:
        return
    if kind == LSOAS:
        vintage = st.query_params.get("vintage")
        if vintage in profiles.lsoa_geographies(built) and area in built.table(vintage).index:
            st.session_state.update({"profile_kind": LSOAS, "profile_lsoa_vintage": vintage,
                                     f"profile_lsoas_{vintage}": [area]})
    elif kind in profiles.named_geographies(built) and area in built.table(kind).index:
        st.session_state.update({"profile_kind": kind, f"profile_{kind}": area})



def _kinds(built) -> dict[str, str]:
    kinds = {g: profiles.kind_label(built, g) for g in profiles.named_geographies(built)}
    if profiles.networks(built):
        kinds[PCN] = "Primary Care Network"
    if profiles.lsoa_geographies(built):
        kinds[LSOAS] = "LSOAs I choose"
    return kinds


def _kind_control(built) -> str:
    kinds = _kinds(built)
    if st.session_state.get("profile_kind") not in kinds:
        st.session_state["profile_kind"] = next(iter(kinds))
    return st.radio("Kind of area", list(kinds), key="profile_kind", format_func=lambda k: plain(kinds[k]),
                    horizontal=True)


def _area_control(built, kind: str) -> tuple[str | list[str] | None, str | None]:
    """The area chosen (a code, or a list of LSOA codes) and the digest of a lookup file, if any."""
    if kind == PCN:
        networks = profiles.networks(built)
        code = st.selectbox("Primary Care Network", sorted(networks, key=networks.get), key="profile_pcn",
                            format_func=lambda c: f"{networks[c]} ({c})")
        upload = st.file_uploader("Optional: an LSOA-to-PCN lookup (CSV or Excel, a column of LSOA codes and a "
                                  "column of network codes or names)", type=["csv", "xlsx"], key="profile_lookup")
        st.caption(plain(profiles.PCN_RULE.format(la=built.la_name, n=len(built.points[practice_set()]))
                         + " A lookup file, when given, defines the footprint instead."))
        return code, _keep_lookup(upload)
    if kind == LSOAS:
        geography = st.radio("LSOA vintage", profiles.lsoa_geographies(built),
                             key="profile_lsoa_vintage", format_func=lambda g: plain(built.geography_labels.get(g, g)),
                             horizontal=True)
        frame = built.table(geography)
        chosen = st.multiselect("LSOAs", list(frame.index), key=f"profile_lsoas_{geography}",
                                format_func=lambda c: f"{frame.at[c, 'name']} ({c})",
                                placeholder="Type a name or code")
        return (chosen or None), None
    frame = built.table(kind)
    order = frame["name"].astype(str).sort_values().index
    code = st.selectbox(plain(profiles.kind_label(built, kind)), list(order), key=f"profile_{kind}",
                        format_func=lambda c: f"{frame.at[c, 'name']} ({c})")
    return code, None


def _keep_lookup(upload) -> str | None:
    """Write an uploaded lookup to a private temporary file (kept for the session); its digest."""
    if upload is None:
        return None
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()[:16]
    files = st.session_state.setdefault("profile_lookup_files", {})
    if digest not in files:
        folder = Path(tempfile.mkdtemp(prefix="atlas-lookup-"))
        path = folder / f"lookup{Path(upload.name).suffix.lower()}"
        path.write_bytes(data)
        files[digest] = str(path)
    return digest


# -- the profile -----------------------------------------------------------------------------------------
def _profile(built, kind: str, area, lookup: str | None) -> profiles.Profile:
    """The profile of the selection: computed once per build and kept on disk (:func:`atlas.profiles.cached_profile`).

    An atlas with this session's uploads is computed afresh (its layers live in
    the session only) and kept for the session.
    """
    uploads = built is not common.load_atlas(built.la_code)
    key = (built.la_code, str(built.path), built.report.built, hashlib.sha256(
        built.layers[["layer", "geography"]].to_csv(index=False).encode()).hexdigest(), kind,
        tuple(area) if isinstance(area, list) else area, lookup)
    cache = st.session_state.setdefault(PROFILES_KEY, {})
    if key not in cache:
        path = st.session_state.get("profile_lookup_files", {}).get(lookup) if lookup else None
        with st.spinner("Putting the profile together ..."):
            cache.clear()  # keep one: profiles hold a map image each
            cache[key] = profiles.cached_profile(built, area, pcn_lookup=path, keep=not uploads,
                                                 geography=kind if kind in built.geographies else None)
    return cache[key]


def first_selection(built) -> tuple[str, str] | None:
    """The kind of area and the area the page opens on without a link (None when it opens on LSOAs to choose)."""
    kind = next(iter(_kinds(built)), None)
    if kind == PCN:
        networks = profiles.networks(built)
        return kind, sorted(networks, key=networks.get)[0]
    if kind is None or kind == LSOAS:
        return None
    frame = built.table(kind)
    return (kind, str(frame["name"].astype(str).sort_values().index[0])) if len(frame) else None


def warm_first_profile(built) -> None:
    """Compute the profile the page opens on in the background, once per build (the map page calls this)."""
    try:
        first = first_selection(built)
    except AtlasError:
        return
    if first is not None:
        kind, area = first
        profiles.warm(built, area, geography=kind if kind in built.geographies else None)


def _show(profile: profiles.Profile) -> None:
    st.header(plain(profile.title))
    st.caption(plain(f"{profile.area.kind_label}{'' if profile.area.kind == LSOAS else ' ' + profile.area.code}, "
                     f"{profile.la_name}. Produced {profile.produced:%d %B %Y}."))
    _downloads(profile)
    _summary(profile)
    st.subheader("The full tables")
    st.caption("Each table at the page's full width: scroll a wide table sideways, select a heading to sort.")
    for table in profile.tables:
        st.markdown(f"#### {plain(table.title)}")
        if table.intro:
            st.markdown(plain(table.intro))
        if table.image and table.key != "spine":
            st.image(table.image, caption=table.image_alt, width="stretch", alt=plain(table.image_alt))
        st.caption(plain(table.caption))
        st.dataframe(table.shown, hide_index=True, width="stretch")
        for note in table.notes:
            st.caption(plain(note))
    with st.expander("Method: about these figures, sources and licences"):
        for line in [*profile.notes, *profile.sources]:
            st.markdown(f"- {plain(line)}")


def _summary(profile: profiles.Profile) -> None:
    """The summary, as the PDF's first two pages: at a glance and the map; key indicators and services."""
    glance, picture = st.columns([2, 3], gap="medium")
    with glance:
        st.subheader("At a glance")
        st.table(pd.DataFrame(profile.summary, columns=["Measure", "Figure"]).set_index("Measure"))  # text wraps
        st.caption(plain(profile.area.rule))
    with picture:
        st.image(profile.map_png, caption=profile.map_alt, width="stretch", alt=plain(profile.map_alt))
    tables = {t.key: t for t in profile.tables}
    spine, assets = tables.get("spine"), tables.get("assets")
    if spine is not None and spine.image:
        st.subheader("Key indicators")
        st.image(spine.image, caption=spine.image_alt, width="stretch", alt=plain(spine.image_alt))
    if assets is not None:
        st.subheader("Services")
        st.markdown(plain(assets.intro))


def _downloads(profile: profiles.Profile) -> None:
    stem = "profile-" + "".join(c if c.isalnum() else "-" for c in profile.area.name.lower()).strip("-")
    html_column, pdf_column, csv_column = st.columns(3)
    html_column.download_button("Download the profile (HTML)", lambda: profiles.render_html(profile),
                                file_name=f"{stem}.html", mime="text/html", on_click="ignore")
    pdf_column.download_button("Download the profile (PDF)", lambda: profiles.render_pdf(profile),
                               file_name=f"{stem}.pdf", mime="application/pdf", on_click="ignore")
    csv_column.download_button("Download the figures (CSV)",
                               lambda: profiles.render_csv(profile).encode("utf-8-sig"),
                               file_name=f"{stem}.csv", mime="text/csv", on_click="ignore")
    if tagged_pdf_available():
        pdf_column.download_button("Download the accessible PDF (tagged)", lambda: render_tagged_pdf(profile),
                                   file_name=f"{stem}-accessible.pdf", mime="application/pdf", on_click="ignore",
                                   help="For screen readers: headings, tables and figures tagged in reading order, "
                                        "with the document's language and title (printed from the HTML profile).")
    else:
        pdf_column.caption(plain(f"The PDF above is laid out for print and is not tagged for screen readers; the "
                                 f"HTML profile is. {why_no_tagged_pdf()}"))
