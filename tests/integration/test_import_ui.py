"""The app's upload section, driven with Streamlit's AppTest (no browser)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from atlas.ui.upload import plain

SCRIPT_TIMEOUT = 180


def page(path: str) -> None:
    """A page that shows the upload section and lists the layers of the atlas it returns."""
    import streamlit as st

    import atlas
    from atlas.ui.upload import report_section, upload_section

    built = atlas.load(path)
    returned = upload_section(built)
    report_section(returned)  # the map page draws it under the map
    imported = sorted({layer for layer in returned.layers["layer"] if layer.startswith("import_")})
    st.text("imported layers: " + (", ".join(imported) or "none"))


@pytest.fixture
def app(luton_path) -> AppTest:
    at = AppTest.from_function(page, args=(str(luton_path),), default_timeout=SCRIPT_TIMEOUT)
    at.run()
    assert not at.exception
    return at


@pytest.fixture
def rates_csv(luton) -> bytes:
    codes = list(luton.table("ward2023").index)
    return ("Ward code,Uptake\n" + "".join(f"{c},{40 + i}%\n" for i, c in enumerate(codes))).encode()


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.sidebar.file_uploader[0].set_value((name, data, "text/csv"))
    at.run()
    assert not at.exception
    return at


def shown_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "error", "success", "warning", "text")
    parts = [e.value for kind in kinds for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def test_upload_detects_reports_and_adds_the_layer(app, rates_csv):
    assert app.text[0].value == "imported layers: none"
    upload(app, "uptake.csv", rates_csv)
    assert app.sidebar.selectbox(key="upload_code_column_uptake.csv:" + str(len(rates_csv))).value == "Ward code"
    geography = [s for s in app.sidebar.selectbox if s.label == "Geography of the codes"][0]
    assert geography.value == "ward2023"
    text = shown_text(app)
    assert "Wards \\(from May 2023\\)\\: 20 of the 20 area codes" in text  # the detection, escaped for Markdown
    assert not app.sidebar.dataframe  # the report is not squeezed into the sidebar: it is in the page's body
    counts = app.main.dataframe[0].value.set_index("item")["count"]
    assert counts["Rows read"] == 20 and counts["Duplicate codes"] == 0
    assert "20 of 20 areas of Luton get a value" in shown_text(app)  # the sidebar's one line
    assert app.text[0].value == "imported layers: none"  # nothing is mapped before the user adds it

    [add] = [b for b in app.sidebar.button if b.label == "Add to the map"]
    add.click().run()
    assert app.text[0].value == "imported layers: import_uptake"
    assert "Your uploaded layers" in shown_text(app)
    # the new layer is selected, so the map page draws it on this very rerun
    assert (app.session_state["geography"], app.session_state["theme"], app.session_state["layer"]) == (
        "ward2023", "Imported", "import_uptake")
    stored = app.session_state["uploaded_indicators"]["E06000032"]["import_uptake"]
    assert stored.meta["ward2023"]["units"] == "%" and stored.meta["ward2023"]["higher_is"] == "neutral"

    [remove] = [b for b in app.sidebar.button if b.label == "Remove from the map"]
    remove.click().run()
    assert app.text[0].value == "imported layers: none"


def test_a_hostile_name_is_shown_as_text(app, rates_csv):
    upload(app, "uptake.csv", rates_csv)
    [name] = [t for t in app.sidebar.text_input if t.label == "Name of the indicator"]
    name.set_value("<script>alert(1)</script>").run()
    text = shown_text(app)
    assert "<script>" not in text and "&lt;script&gt;alert\\(1\\)&lt;/script&gt;" in text
    assert not app.get("html")  # nothing is rendered as raw HTML
    [add] = [b for b in app.sidebar.button if b.label == "Add to the map"]
    add.click().run()
    assert app.text[0].value == "imported layers: import_script_alert_1_script"
    stored = app.session_state["uploaded_indicators"]["E06000032"]["import_script_alert_1_script"]
    assert stored.label == "<script>alert(1)</script>"  # kept as written; escaped only where shown


def test_bad_files_give_a_clear_error_and_no_layer(app, luton):
    code = luton.table("lsoa11").index[0]
    upload(app, "dupes.csv", f"code,value\n{code},1\n{code},2\n".encode())
    [error] = app.sidebar.error
    assert "appear more than once" in error.value and plain(code) in error.value
    assert app.text[0].value == "imported layers: none"


def test_size_limit_in_the_app(app, monkeypatch):
    monkeypatch.setattr("atlas.importer.reading.MAX_UPLOAD_BYTES", 100)
    upload(app, "big.csv", b"code,value\n" + b"E01015693,1\n" * 20)
    [error] = app.sidebar.error
    assert "the atlas imports files up to" in error.value


def test_plain_escapes_html_and_markdown():
    assert plain("<b>*x*</b> & $1") == "&lt;b&gt;\\*x\\*&lt;/b&gt; &amp; \\$1"
