"""The accessible PDF of a profile: its HTML page printed by chromium into a tagged PDF.

The reportlab PDF (:func:`atlas.profiles.render.render_pdf`) is laid out for
print but has no structure tree: reportlab's open edition cannot write one. A
screen reader needs the tags (headings, lists, tables with header cells,
figures with their alternative text) and the reading order they give. The
HTML profile already has all of these, so this module prints it with
chromium's tagged-PDF output (``page.pdf(tagged=True)`` through the
``playwright`` package), which writes a structure tree in document order,
the document's language (``/Lang`` from ``<html lang>``) and title, and a
bookmark per heading (``outline=True``). The page's print stylesheet lays it out
on A4 landscape with the two-page summary first.

Chromium is found at :data:`CHROMIUM_ENV` (``ATLAS_CHROMIUM``), else
``/usr/bin/chromium`` (Debian's package); :func:`tagged_pdf_available` says
whether it is there, and :func:`render_tagged_pdf` says plainly when it is not.
"""

from __future__ import annotations

import html
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import AtlasError
from .profile import Profile
from .render import render_html

#: Environment variable naming the chromium executable.
CHROMIUM_ENV = "ATLAS_CHROMIUM"
#: Where Debian's chromium package puts it.
DEFAULT_CHROMIUM = "/usr/bin/chromium"
#: Headless, no sandbox (containers), no GPU, and no calls home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> Path:
    """The chromium executable the tagged PDF is printed with (it may not exist)."""
    return Path(os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM)


def tagged_pdf_available() -> bool:
    """Whether a tagged PDF can be printed here (chromium and the playwright package are installed)."""
    return why_no_tagged_pdf() is None


def why_no_tagged_pdf() -> str | None:
    """Why a tagged PDF cannot be printed here (what is missing and how to add it), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "The accessible (tagged) PDF needs the playwright package (pip install playwright)."
    if not chromium_path().is_file():
        return (f"The accessible (tagged) PDF is printed by chromium, not found at {chromium_path()} (install "
                f"Debian's chromium, or set {CHROMIUM_ENV} to its path).")
    return None


def render_tagged_pdf(profile: Profile) -> bytes:
    """The profile as a tagged A4 landscape PDF, printed from its HTML page by chromium.

    Parameters
    ----------
    profile : Profile

    Returns
    -------
    bytes
        A PDF whose catalogue is marked (``/MarkInfo``), with a structure tree,
        ``/Lang`` ``en-GB``, the profile's title, bookmarks, and a footer giving the
        title, date and page on every page.

    Raises
    ------
    AtlasError
        If chromium or the playwright package is missing, or chromium fails.
    """
    missing = why_no_tagged_pdf()
    if missing:
        raise AtlasError(f"{missing} The HTML profile is accessible as it is.")
    page_html = render_html(profile)
    footer = html.escape(f"{profile.title}, {profile.la_name}. Produced {profile.produced:%d %B %Y}. Page ")
    with ThreadPoolExecutor(max_workers=1) as pool:  # playwright's sync API wants a thread without an event loop
        return pool.submit(_print, page_html, footer).result()


def _print(page_html: str, footer: str) -> bytes:
    from playwright.sync_api import Error, sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(chromium_path()), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.set_content(page_html, wait_until="load")
                page.emulate_media(media="print")
                return page.pdf(format="A4", landscape=True, print_background=True, tagged=True, outline=True,
                                prefer_css_page_size=True, display_header_footer=True,
                                header_template="<span></span>",
                                footer_template=f'<div style="font-size:7pt;width:100%;margin:0 12mm;">{footer}'
                                                f'<span class="pageNumber"></span></div>')
            finally:
                browser.close()
    except Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AtlasError(f"Chromium ({chromium_path()}) could not print the tagged PDF: {first_line}") from None
