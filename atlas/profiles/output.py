"""Writing a profile to a file: HTML, PDF (the print layout, or the tagged PDF) or CSV, by the file's suffix."""

from __future__ import annotations

import os
from pathlib import Path

from .. import store
from ..errors import AtlasError
from .common import FORMATS
from .profile import Profile
from .render import render_csv, render_html, render_pdf
from .tagged import render_tagged_pdf


def write_profile(profile: Profile, out: str | os.PathLike, tagged: bool = False) -> Path:
    """Write the profile as HTML, PDF or CSV (from the suffix of ``out``), atomically.

    Parameters
    ----------
    profile : Profile
    out : path-like
        A file ending .html, .pdf or .csv.
    tagged : bool
        With a .pdf: the accessible, tagged PDF printed from the HTML page by chromium
        (:func:`atlas.profiles.tagged.render_tagged_pdf`) in place of reportlab's print layout.

    Raises
    ------
    AtlasError
        If the suffix is not .html, .pdf or .csv (or ``tagged`` without .pdf), chromium is
        missing for a tagged PDF, or the file cannot be written (nothing is left behind).
    """
    out = Path(out)
    if tagged and profile_format(out) != "pdf":
        raise AtlasError(f"A tagged profile is a PDF: {out} does not end .pdf.")
    renderers = {"html": lambda: render_html(profile).encode("utf-8"),
                 "pdf": (lambda: render_tagged_pdf(profile)) if tagged else (lambda: render_pdf(profile)),
                 "csv": lambda: render_csv(profile).encode("utf-8-sig")}
    store.write_bytes_atomic(out, renderers[profile_format(out)]())
    return out


def profile_format(out: Path) -> str:
    """The format a profile file's suffix asks for (``FORMATS``)."""
    kind = out.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise AtlasError(f"Cannot write a profile to {out}: use a file ending .html, .pdf or .csv.")
    return kind
