"""The app against bad input and reruns (issue 15): an upload is parsed and matched once, not on every rerun.

The page runs with Streamlit's AppTest on the tiny made-up atlas of
tests/integration/bad_input_support.py; the importer's reader, detector and
matcher are wrapped to count their calls.
"""

from __future__ import annotations

import pytest

from .bad_input_support import CODES, tiny_atlas

DATA = ("code,rate\n" + "".join(f"{c},{i + 0.5}\n" for i, c in enumerate(CODES))).encode()
TOKEN = f"v.csv:{len(DATA)}"


def upload_page(gpkg: str, data: bytes) -> None:
    """The app's upload check of ``data`` (as if uploaded) against the atlas at ``gpkg``, and the match report the
    map page shows under its map."""
    from atlas import store
    from atlas.ui import upload

    built = store.load(gpkg)
    upload._check_upload(built, "v.csv", data)
    upload.report_section(built)


@pytest.fixture
def counted(monkeypatch):
    """Calls of the importer's read_upload, detect and prepare made by the app's upload section."""
    from atlas.ui import upload

    calls = {"read_upload": 0, "detect": 0, "prepare": 0}
    for name in calls:
        real = getattr(upload, name)

        def counting(*args, _real=real, _name=name, **kwargs):
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(upload, name, counting)
    return calls


def test_an_upload_is_read_detected_and_matched_once_per_file_and_options(tmp_path, counted):
    from streamlit.testing.v1 import AppTest

    gpkg = tiny_atlas(tmp_path / "atlas")
    at = AppTest.from_function(upload_page, args=(str(gpkg), DATA), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    assert [m.value for m in at.markdown if "Match report" in m.value], [m.value for m in at.markdown]
    assert counted == {"read_upload": 1, "detect": 1, "prepare": 1}
    for _ in range(3):  # reruns with nothing changed (a click elsewhere on the page)
        at.run()
    assert counted == {"read_upload": 1, "detect": 1, "prepare": 1}
    at.text_input(key=f"upload_name_{TOKEN}").set_value("Another name").run()  # an option changed: match again
    assert not at.exception, at.exception
    assert counted == {"read_upload": 1, "detect": 1, "prepare": 2}
    assert any("Another name" in m.value for m in at.markdown)
    at.run()
    assert counted == {"read_upload": 1, "detect": 1, "prepare": 2}
