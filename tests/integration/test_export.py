"""Static map exports (issue 6): A4 PNG/SVG/PDF with title, legend, scale bar, attribution; the batch."""

from __future__ import annotations

import dataclasses
import io
import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from atlas import carto, export
from atlas.classify import MISSING_LABEL, classify
from atlas.cli import main
from atlas.errors import AtlasError

SVG_TEXT = "{http://www.w3.org/2000/svg}text"


def svg_text(content: bytes) -> str:
    root = ET.fromstring(content)
    return squash(" ".join("".join(e.itertext()) for e in root.iter(SVG_TEXT)))


def pdf_text(content: bytes) -> str:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(content))
    return squash(" ".join(page.extract_text() for page in reader.pages))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def with_gaps(luton):
    """Luton with an extra LSOA layer whose first ten areas have no value (and a hostile name)."""
    values = luton.values("income19_score", "lsoa11").copy()
    values.iloc[:10] = np.nan
    meta = dict(luton.layer("income19_score", "lsoa11"), label="Gappy <b>income</b>", attribution="Test & co")
    return luton.with_layer("lsoa11", "gappy", pd.DataFrame({"value": values}), meta)


def test_values_read_the_same_in_legends_tables_and_tooltips():
    from atlas.classify import format_value, layer_decimals

    assert format_value(12345.678, 1) == "12,345.7" and format_value(4.25, 2, "%") == "4.25%"
    assert format_value(float("nan")) == "no data" and format_value(None, missing=None) is None
    assert layer_decimals({"decimals": 2}) == 2 and layer_decimals({"decimals": "x"}) == 1
    assert classify(pd.Series([1000.0] * 3), decimals=0).labels == ["all areas: 1,000"]


def test_png_is_a4_at_the_requested_dpi_and_not_blank(luton):
    content = export.render_map(luton, "income19_score", "lsoa11", dpi=300)
    image = Image.open(io.BytesIO(content))
    assert image.format == "PNG"
    assert image.size == (3508, 2480)  # 297 x 210 mm at 300 dpi
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.05)
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    assert (pixels != 255).any(axis=1).mean() > 0.2  # a fifth of the page at least is drawn
    # every class colour of the legend is on the map, as the fill of some areas
    classes = export.layer_classes(luton, "income19_score", "lsoa11")
    present = {tuple(p) for p in np.unique(pixels, axis=0)}
    for label, colour in classes.legend():
        assert rgb(colour) in present, label


def test_portrait_and_other_dpi(luton):
    image = Image.open(io.BytesIO(export.render_map(luton, "imd19_decile", "lsoa11", paper="a4-portrait", dpi=150)))
    assert image.size == (1240, 1754)
    assert image.info["dpi"] == pytest.approx((150, 150), abs=0.05)  # PNG stores whole pixels per metre


def test_legend_classes_are_the_apps(luton):
    meta = luton.layer("income19_score", "lsoa11")
    mine = export.layer_classes(luton, "income19_score", "lsoa11", scheme="natural_breaks", k=6)
    same = classify(luton.values("income19_score", "lsoa11"), kind=meta["kind"], scheme="natural_breaks", k=6,
                    palette=meta["palette"] or None, higher_is=meta["higher_is"], decimals=int(meta["decimals"]))
    assert mine.legend() == same.legend()
    assert (mine.index == same.index).all()
    webmap = pytest.importorskip("atlas.webmap")
    for layer, geography in [("income19_score", "lsoa11"), ("imd19_decile", "lsoa11"), ("imd25_score", "ward2023")]:
        app = webmap.map_view(luton, layer, geography).classes
        assert export.layer_classes(luton, layer, geography).legend() == app.legend()


def test_svg_keeps_title_legend_and_attribution_as_text(luton, monkeypatch):
    monkeypatch.setenv("ATLAS_OS_LICENCE", "100023935")
    built = with_gaps(luton)
    content = export.render_map(built, "gappy", "lsoa11", fmt="svg", ward_names=True)
    text = svg_text(content)
    classes = export.layer_classes(built, "gappy", "lsoa11")
    assert "Gappy <b>income</b>: Luton" in text  # the title, as text (escaped by the SVG writer)
    assert "LSOA (2011), 121 areas" in text and "Period: IoD2019" in text  # the subtitle
    for label, _ in classes.legend():
        assert label in text
    assert f"{MISSING_LABEL} 10 areas" in text  # ten areas without a value, counted on the "No data" row
    assert "Contains OS data © Crown copyright and database right 2016" in text  # LSOA 2011 boundaries
    assert "Contains OS data © Crown copyright and database right 2025" in text  # the ward outlines
    assert "Test & co" in text  # the source's own attribution
    assert "Luton OS licence number 100023935" in text
    assert "Biscot" in text and "South" in text  # ward names
    assert re.search(r"Produced \d{1,2} \w+ \d{4}", text)
    assert b"<b>" not in content  # the name is escaped, not markup


def test_pdf_text_can_be_extracted(luton, monkeypatch):
    monkeypatch.delenv("ATLAS_OS_LICENCE", raising=False)
    content = export.render_map(luton, "imd19_decile", "lsoa11", fmt="pdf")
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "Index of Multiple Deprivation 2019: national decile: Luton" in text
    for label in ["1: most deprived 10% nationally", "10: least deprived 10% nationally", "Ward boundaries"]:
        assert label in text
    assert "Contains OS data © Crown copyright and database right 2016" in text
    assert "Contains public sector information licensed under the Open Government Licence v3.0" in text
    assert "OS licence number" not in text  # none configured
    import pypdf
    box = pypdf.PdfReader(io.BytesIO(content)).pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((841.9, 595.3), abs=0.5)  # A4 landscape in points


def test_ward_names_only_when_asked(luton):
    assert "Biscot" not in svg_text(export.render_map(luton, "imd25_score", "lsoa21", fmt="svg"))


def test_scale_bar_is_true_to_the_map(luton):
    canvas = export.MapCanvas(luton, "lsoa11", dpi=100)
    try:
        ax = canvas.map_ax
        segments = [p for p in ax.patches if (p.get_gid() or "").startswith("scale-bar-")]
        assert len(segments) == 4
        assert sum(p.get_width() for p in segments) == pytest.approx(canvas.scale_length_m)
        labels = [t.get_text() for t in ax.texts]
        assert carto._distance_label(canvas.scale_length_m) in labels
        # one metre is as long across as up: the map's aspect is equal, so the bar is true in any direction
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        width_in, height_in = export.box_inches(canvas.figure, canvas.layout.map_rect)
        assert (x1 - x0) / width_in == pytest.approx((y1 - y0) / height_in, rel=1e-6)
        assert 0.1 < canvas.scale_length_m / (x1 - x0) <= 0.2
    finally:
        canvas.close()


@pytest.mark.parametrize("width, expected", [(10_800, 2000), (4_000, 500), (60_000, 10_000), (900, 100)])
def test_nice_scale_length(width, expected):
    assert carto.nice_scale_length(width) == expected


def test_export_map_writes_atomically_and_errors_leave_nothing(luton, tmp_path):
    out = export.export_map(luton, "imd19_score", "ward2013", tmp_path / "maps" / "imd.pdf")
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(AtlasError, match="Did you mean: income19_score"):
        export.export_map(luton, "income19_scor", "lsoa11", tmp_path / "bad.png")
    with pytest.raises(AtlasError, match="no geography 'lsoa99'"):
        export.export_map(luton, "income19_score", "lsoa99", tmp_path / "bad.png")
    with pytest.raises(AtlasError, match="use .png, .svg or .pdf"):
        export.export_map(luton, "income19_score", "lsoa11", tmp_path / "bad.jpg")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(AtlasError, match="Cannot write"):
        export.export_map(luton, "income19_score", "lsoa11", blocker / "map.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "maps"]
    assert [p.name for p in (tmp_path / "maps").iterdir()] == ["imd.pdf"]


def test_options_are_checked(luton):
    with pytest.raises(AtlasError, match="between 72 and 600 dpi"):
        export.render_map(luton, "income19_score", "lsoa11", dpi=5000)
    with pytest.raises(AtlasError, match="Unknown paper"):
        export.render_map(luton, "income19_score", "lsoa11", paper="a3")
    with pytest.raises(AtlasError, match="between 2 and 9"):
        export.render_map(luton, "income19_score", "lsoa11", k=12)


def test_batch_writes_every_area_layer_and_an_index(luton, tmp_path):
    wards = dataclasses.replace(luton, geographies={g: luton.geographies[g] for g in ("lsoa11", "ward2023")},
                                layers=luton.layers[luton.layers["geography"].isin(["lsoa11", "ward2023"])])
    index = export.export_all(wards, tmp_path / "all", dpi=72, workers=2)
    expected = wards.layers[["geography", "layer"]].apply(tuple, axis=1).tolist()
    assert list(index[["geography", "layer"]].apply(tuple, axis=1)) == expected
    ranks = index["kind"] == "rank"
    assert ranks.any() and index.loc[ranks, "status"].str.startswith("skipped: national ranks").all()
    written = index[index["status"] == "written"]
    assert len(written) == (~ranks).sum()
    for row in written.itertuples():
        assert (tmp_path / "all" / row.file).stat().st_size > 10_000
        assert row.file == f"{row.geography}_{row.layer}.png"
    assert written.set_index("layer").loc["imd19_decile", "legend"].startswith("1: most deprived 10% nationally")
    csv = pd.read_csv(tmp_path / "all" / "index.csv")
    assert len(csv) == len(index) and {"period", "source_title", "licence", "legend"} <= set(csv.columns)
    page = (tmp_path / "all" / "index.html").read_text()
    assert '<a href="ward2023_imd25_score.png">' in page and "<caption>" in page
    assert not [p for p in (tmp_path / "all").iterdir() if p.name.startswith(".")]  # no temporary files left


def test_command_line(luton, luton_path, tmp_path, capsys):
    folder = str(luton_path.parent)
    out = tmp_path / "biscot.svg"
    status = main(["export", "--la", "E06000032", "--atlas-dir", folder, "--layer", "income19_score",
                   "--geography", "ward2023", "--out", str(out), "--scheme", "equal_interval", "--classes", "4",
                   "--ward-names"])
    assert status == 0 and "Wrote" in capsys.readouterr().out
    classes = export.layer_classes(luton, "income19_score", "ward2023", scheme="equal_interval", k=4)
    text = svg_text(out.read_bytes())
    assert all(label in text for label in classes.labels) and "Equal interval" in text
    status = main(["export", "--la", "E06000032", "--atlas-dir", folder, "--layer", "nope", "--geography",
                   "lsoa11", "--out", str(tmp_path / "nope.png")])
    assert status == 2
    assert "No layer 'nope' on 'lsoa11'" in capsys.readouterr().err
    assert not (tmp_path / "nope.png").exists()
    assert main(["export", "--la", "E06000032", "--atlas-dir", folder, "--out", str(tmp_path / "x.png")]) == 2
    assert "Give --layer and --geography" in capsys.readouterr().err


def test_batch_with_a_failing_geography_writes_the_others_and_lists_it(luton, tmp_path, monkeypatch):
    """One geography's task fails (on every retry): its layers say why in the index; the other is written."""
    two = dataclasses.replace(luton, geographies={g: luton.geographies[g] for g in ("lsoa11", "ward2023")},
                              layers=luton.layers[luton.layers["geography"].isin(["lsoa11", "ward2023"])])
    draw = export.MapCanvas.draw

    def broken(self, layer, classes):
        if self.geography == "ward2023":
            raise OSError("disk full while drawing wards")
        return draw(self, layer, classes)

    monkeypatch.setattr(export.MapCanvas, "draw", broken)  # one worker thread in this process sees it
    index = export.export_all(two, tmp_path / "all", dpi=72, workers=1, retries=1)
    wards = index[index["geography"] == "ward2023"]
    mapped = wards[~wards["status"].str.startswith("skipped")]
    assert len(mapped) and (mapped["status"] == "failed: OSError: disk full while drawing wards").all()
    lsoas = index[(index["geography"] == "lsoa11") & ~index["status"].str.startswith("skipped")]
    assert len(lsoas) and (lsoas["status"] == "written").all()
    assert not list((tmp_path / "all").glob("ward2023_*.png")) and list((tmp_path / "all").glob("lsoa11_*.png"))
    assert "failed: OSError" in (tmp_path / "all" / "index.html").read_text()
