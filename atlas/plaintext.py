"""Text from data is text: one escape for each place the atlas shows or writes it.

Names, units, labels, headers and cells come from files and from users. Shown
as they are, a ``$`` starts mathematics (Streamlit's Markdown and matplotlib's
mathtext), Markdown image syntax makes the page fetch an outside address, and a
CSV cell starting with ``=`` is a formula to a spreadsheet. This module is the
one place that makes such text inert:

* :func:`plain` for every Streamlit element that renders Markdown (titles,
  headers, captions, messages, labels);
* :func:`figure_text` around every matplotlib figure (maps, legends, their SVG
  and PDF): mathtext off, so a ``$`` is a dollar sign (matplotlib escapes the
  text of an SVG as XML itself);
* :func:`csv_safe` and :func:`csv_text` for every CSV the atlas writes or offers
  for download: cells a spreadsheet would run as a formula start with ``'``.

HTML (Jinja2 autoescape) and PDF (reportlab, XML-escaped) profiles escape on
their own.
"""

from __future__ import annotations

import contextlib
import html
import re
import string
import threading

import pandas as pd

#: Markdown, math and Streamlit-directive characters, each escaped with a backslash wherever it is.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:])")
#: Characters that make a spreadsheet read a cell as a formula (or a command) when they start it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: matplotlib's settings are global: one figure at a time is drawn under :func:`figure_text` (the app draws
#: profiles in a background thread too), so one thread's restored settings never reach another's texts.
_FIGURE_LOCK = threading.RLock()
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d[\d,]*)?(\.\d+)?([eE][+-]?\d+)?%?$")


def plain(text) -> str:
    """``text`` made safe to show through any Streamlit element that renders Markdown.

    HTML is escaped and every Markdown (and math) special character is
    backslash-escaped, so the text appears exactly as written: a name like
    ``![x](http://host/p.png)`` shows those characters and fetches nothing, and
    ``$x^2$`` is not typeset.

    Parameters
    ----------
    text : object
        Anything; it is shown as ``str(text)``.

    Returns
    -------
    str
    """
    return html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", str(text)), quote=True)


@contextlib.contextmanager
def figure_text():
    """A context in which matplotlib draws every text as written (no mathtext, no LaTeX).

    Use it around the creation and drawing of a figure: matplotlib reads the
    setting when each text is made. Figures drawn in other threads wait their turn.
    """
    import matplotlib

    with _FIGURE_LOCK, matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        yield


def display_name(name) -> str:
    """A name as the atlas shows it: one written all in capitals in the data ("BELL HOUSE MEDICAL CENTRE") in
    title case ("Bell House Medical Centre"); any other name as written (blank when missing).

    >>> display_name("PETRIE TUCKER & PARTNERS LTD"), display_name("Luton 007A")
    ('Petrie Tucker & Partners Ltd', 'Luton 007A')
    """
    text = "" if name is None or (not isinstance(name, str) and pd.isna(name)) else str(name)
    return string.capwords(text) if text.isupper() else text


def neutralise(value):
    """One CSV cell made inert: text a spreadsheet would run as a formula gets a leading ``'``.

    Numbers, and text that is only a number (``-3.5``, ``+12%``), are left as they are.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if _PLAIN_NUMBER.match(value.strip()) and any(ch.isdigit() for ch in value):
        return value
    return "'" + value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are neutralised (:func:`neutralise`)."""
    out = frame.copy()
    for column in out.columns:
        if not (pd.api.types.is_numeric_dtype(out[column]) or pd.api.types.is_bool_dtype(out[column])):
            out[column] = out[column].map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame, **options) -> str:
    """``frame`` as CSV text with every cell neutralised; ``options`` go to ``DataFrame.to_csv``."""
    return csv_safe(frame).to_csv(**{"index": False, **options})
