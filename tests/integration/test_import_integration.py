"""An imported layer works like any other: the statistics panel, static exports and the app's map page."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from atlas import config, importer, stats
from atlas.analysis import summarise
from atlas.importer import ImportOptions, prepare, read_upload
from atlas.ui.app import APP_SCRIPT

SEED = 12345
LUTON = "E06000032"


@pytest.fixture(scope="module")
def quit_csv(luton) -> bytes:
    """Made-up percentages by LSOA 2021, one suppressed."""
    codes = list(luton.table("lsoa21").index)
    rows = [f"{c},{'*' if i == 3 else f'{20 + (i * 7) % 13}%'}" for i, c in enumerate(codes)]
    return ("LSOA21CD,Quit rate\n" + "\n".join(rows) + "\n").encode()


@pytest.fixture(scope="module")
def imported(luton, quit_csv):
    options = ImportOptions(name="Smoking quit rate", higher_is="better", period="2023-24",
                            attribution="Source: made up for a test.")
    result = prepare(read_upload(quit_csv, "quit.csv"), luton, options)
    return importer.add_to_atlas(luton, result), result


def test_the_statistics_panel_works_on_an_imported_layer(imported):
    added, result = imported
    summary = summarise(added, result.layer, "lsoa21", seed=SEED)
    assert summary["label"] == "Smoking quit rate" and summary["n_areas"] == 125 and len(summary["missing"]) == 1
    assert summary["moran"]["available"] and summary["lisa"]["available"]
    weights = stats.spatial_weights(added.table("lsoa21"))
    values = added.values(result.layer, "lsoa21")
    assert summary["moran"]["I"] == pytest.approx(stats.moran(values, weights, seed=SEED).I)
    assert summary["lisa"]["counts"]["No data"] == 1 and sum(summary["lisa"]["counts"].values()) == 125
    lisa = stats.lisa(values, weights, seed=SEED)
    assert set(lisa["cluster"]) <= set(stats.CLUSTERS) and np.isfinite(lisa["local_i"].dropna()).all()


def test_exports_render_the_imported_layer_with_its_source(imported):
    export = pytest.importorskip("atlas.export")
    added, result = imported
    png = export.render_map(added, result.layer, "ward2023", fmt="png", dpi=72)
    assert png.startswith(b"\x89PNG")
    meta = added.layer(result.layer, "ward2023")
    footer = " ".join(export.footer_lines(added, meta, "ward2023", None))
    assert "Source: quit.csv, imported by the user. Source: made up for a test." in footer
    assert "Contains OS data © Crown copyright and database right" in footer


def test_the_map_page_shows_an_uploaded_layer(luton_path, quit_csv, tmp_path, monkeypatch):
    pytest.importorskip("atlas.ui.map_page")
    folder = tmp_path / "atlas"
    folder.mkdir()
    shutil.copy(luton_path, folder / luton_path.name)
    monkeypatch.setenv(config.OUT_ENV, str(tmp_path))
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=300)
    at.run()
    at.file_uploader[0].set_value(("quit.csv", quit_csv, "text/csv"))
    at.run()
    [name] = [t for t in at.text_input if t.label == "Name of the indicator"]
    name.set_value("Smoking quit rate").run()
    [add] = [b for b in at.button if b.label == "Add to the map"]
    add.click().run()
    at.selectbox(key="geography").set_value("lsoa21").run()
    at.selectbox(key="theme").set_value("Imported").run()
    assert at.selectbox(key="layer").value == "import_smoking_quit_rate"
    assert not at.exception and not at.error
    headings = [s.value for s in at.subheader]
    assert "Smoking quit rate" in headings
    assert any("Moran" in c.value for c in at.caption) or any("Moran" in m.value for m in at.markdown)
