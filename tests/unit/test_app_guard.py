"""The app's error guard (issue 15, item 4): a fault during a page is one message on the page, never a traceback.

The real app script (``atlas/ui/app.py``) runs with Streamlit's AppTest; the
map page (the default page) is replaced by one that raises. An error of the
atlas's, an operating-system error and a parser error each become one line on
the page naming the file; a bug (any other exception) is not dressed up.
"""

from __future__ import annotations

import errno
import zipfile

import pytest

from atlas.errors import BuildError
from atlas.plaintext import plain

PATH = "/srv/atlas/out/E06000032.gpkg"


def run_app_with_failing_page(monkeypatch, fault: BaseException):
    from streamlit.testing.v1 import AppTest

    from atlas.ui import app, map_page

    def failing_page():
        import streamlit as st

        st.subheader("Map atlas")
        raise fault

    monkeypatch.setattr(map_page, "page", failing_page)
    at = AppTest.from_file(str(app.APP_SCRIPT), default_timeout=60)
    at.run()
    return at


def shown_text(at) -> str:
    """Every text the page shows (elements of every kind, exception messages and their stack traces)."""
    parts = []
    for node in at.main:
        parts.append(str(getattr(node, "value", "")))
    for exc in at.exception:
        parts += [exc.message, *exc.stack_trace]
    return "\n".join(parts)


@pytest.mark.parametrize("fault, words", [
    (OSError(errno.ENOSPC, "No space left on device", PATH), [PATH, "the disk is full"]),
    (PermissionError(errno.EACCES, "Permission denied", PATH), [PATH, "permission denied"]),
    (IsADirectoryError(errno.EISDIR, "Is a directory", PATH), [PATH, "a folder is where a file was expected"]),
    (BuildError(f"Cannot build from {PATH}: the outline is missing."), [PATH, "the outline is missing"]),
    (zipfile.BadZipFile(f"{PATH}: File is not a zip file"), [PATH, "File is not a zip file"]),
])
def test_a_fault_during_a_page_is_one_line_on_the_page_and_no_traceback(monkeypatch, fault, words):
    at = run_app_with_failing_page(monkeypatch, fault)
    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == 1
    message = at.error[0].value
    assert "\n" not in message
    for word in words:
        assert plain(word) in message, (word, message)
    assert [s.value for s in at.subheader] == ["Map atlas"]  # what the page drew before the fault stays
    text = shown_text(at)
    assert "Traceback" not in text and 'File "' not in text and "raise fault" not in text


def test_a_bug_is_not_dressed_up_as_bad_input(monkeypatch):
    at = run_app_with_failing_page(monkeypatch, KeyError("a bug in the atlas"))
    assert len(at.exception) == 1 and "a bug in the atlas" in at.exception[0].message
    assert not at.error


def test_a_message_of_several_lines_is_shown_on_one(monkeypatch):
    at = run_app_with_failing_page(monkeypatch, BuildError(f"Cannot read {PATH}:\n  line 3: unexpected token\n"))
    assert not at.exception and len(at.error) == 1
    assert "\n" not in at.error[0].value and plain("line 3: unexpected token") in at.error[0].value


def test_naming_names_the_file_of_a_parser_error_and_lets_a_bug_through():
    from atlas.errors import SourceFileError, naming

    with pytest.raises(SourceFileError, match=r"^data\.xlsx could not be read \(BadZipFile: bad\); expected a "
                                              r"workbook\.$"), naming("data.xlsx", expected="a workbook"):
        raise zipfile.BadZipFile("bad\nsecond line")
    with pytest.raises(KeyError), naming("data.xlsx"):
        raise KeyError("a bug")
    with pytest.raises(BuildError, match="^as it was$"), naming("data.xlsx"):
        raise BuildError("as it was")
