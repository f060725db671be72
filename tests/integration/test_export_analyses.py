"""Report-ready A4 exports of the analysis maps (issue 17): hot/cold spots, LISA, bivariate LISA, the 3x3
bivariate choropleth and the IMD decile change, with their titles, legends, method, sources and alt text."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from atlas import export
from atlas.analysis.maps import analysis_map
from atlas.classify import BIVARIATE_COLOURS, HOTSPOT_COLOURS
from atlas.cli import main
from atlas.errors import StatisticError

from .test_export import pdf_text, rgb, svg_text

SVG = "{http://www.w3.org/2000/svg}"


def test_hot_spot_png_is_a4_with_its_colours_and_alt_text_in_the_file(luton):
    analysis = analysis_map(luton, "hotspots", "income19_score", "lsoa11")
    content, alt = export.render_analysis_map(luton, analysis, "png", dpi=100)
    image = Image.open(io.BytesIO(content))
    assert image.size == (1169, 827)  # A4 landscape at 100 dpi
    assert image.info["Description"] == alt and "Hot spot (99% confidence): high values (worse)" in alt
    present = {tuple(p) for p in np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)}
    shown = {label for label, n in analysis.counts().items() if n and label != "No neighbours"}
    # income deprivation: high is worse, so hot spots keep the red end of HOTSPOT_COLOURS
    colour_of = {label.split(":")[0]: HOTSPOT_COLOURS[label.split(":")[0]] for label in shown}
    for label in shown:
        assert rgb(colour_of[label.split(":")[0]]) in present, label


def test_hot_spot_svg_says_indicator_geography_period_method_source_and_licence(luton):
    analysis = analysis_map(luton, "hotspots", "income19_score", "lsoa11")
    content, _ = export.render_analysis_map(luton, analysis, "svg")
    text = svg_text(content)
    meta = luton.layer("income19_score", "lsoa11")
    for expected in ("Hot and cold spots of", meta["label"], "Luton", "LSOA (2011)", "121 areas",
                     f"Period: {meta['period']}", "Getis-Ord Gi*, 999 permutations, queen contiguity",
                     "Hot spot (95% confidence)", "Cold spot (99% confidence)", meta["source_title"],
                     "Open Government Licence", "Contains OS data", "km", "N"):
        assert expected in text, expected
    # each legend count is the number of areas in that bin (counted here from the analysis' own labels)
    for label, n in analysis.counts().items():
        if label != "No data":
            assert f"{label} {n} area" in text, label


def bivariate_thirds(values: pd.Series) -> pd.Series:
    """Terciles worked out here: upper bounds at the 33.3rd and 66.7th percentiles (a value on a bound is below)."""
    bounds = np.percentile(values, [100 / 3, 200 / 3])
    return pd.Series(np.searchsorted(bounds, values.to_numpy(), side="left") + 1, index=values.index)


def test_bivariate_export_has_a_three_by_three_grid_legend_with_the_areas_per_class(luton):
    x = luton.values("income25_score", "lsoa21")
    y = luton.values("qof_ob_est", "lsoa21")
    both = x.notna() & y.notna()
    expected = (bivariate_thirds(x[both]).astype(str) + "-" + bivariate_thirds(y[both]).astype(str)).value_counts()
    analysis = analysis_map(luton, "bivariate", "income25_score", "lsoa21", partner="qof_ob_est")
    content, alt = export.render_analysis_map(luton, analysis, "svg")
    root = ET.fromstring(content)
    cells = {}
    for group in root.iter(f"{SVG}g"):
        gid = group.get("id") or ""
        if gid.startswith("bivariate-"):
            cells[gid.removeprefix("bivariate-")] = group
    assert set(cells) == set(BIVARIATE_COLOURS)
    text = svg_text(content)
    assert "Income 2025: low → high" in text and "Obesity: low → high" in text
    assert "Areas in each class" in text
    assert "Terciles of each indicator" in text
    for key, n in expected.items():
        label = analysis.labels[list(BIVARIATE_COLOURS).index(key)]
        assert f"{label}: {n}" in alt, key
    # both layers' sources are credited
    for layer in ("income25_score", "qof_ob_est"):
        assert luton.layer(layer, "lsoa21")["source_title"][:40] in text


def test_lisa_bivariate_lisa_and_change_exports_as_pdf(luton, tmp_path):
    import pypdf

    for kind, layer, geography, partner, words in (
            ("lisa", "imd25_score", "lsoa21", None, "Local Moran's I (LISA), 999 permutations, queen contiguity"),
            ("bivariate-lisa", "income25_score", "lsoa21", "qof_ob_est", "Bivariate local Moran's I"),
            ("change", "imd", None, None, "IoD2019 converted to LSOA 2021 by the ONS lookup")):
        analysis = analysis_map(luton, kind, layer, geography, partner=partner)
        out, alt = export.export_analysis_map(luton, analysis, tmp_path / f"{kind}.pdf")
        content = out.read_bytes()
        text = pdf_text(content)
        assert words in text and "Luton" in text and "Contains OS data" in text, kind
        assert pypdf.PdfReader(io.BytesIO(content)).metadata["/Subject"] == alt
    assert "Decile went down (more deprived relative to England)" in text and "IoD2019" in text


def test_constant_or_all_missing_layers_and_wrong_pairs_are_refused(luton):
    codes = luton.table("lsoa21").index
    constant = luton.with_layer("lsoa21", "flat", pd.DataFrame({"value": np.full(len(codes), 3.0)}, index=codes),
                                dict(luton.layer("income25_score", "lsoa21"), label="Flat"))
    for kind in ("hotspots", "lisa"):
        with pytest.raises(StatisticError):
            analysis_map(constant, kind, "flat", "lsoa21")
    with pytest.raises(StatisticError, match="every area has the same value"):
        analysis_map(constant, "bivariate", "income25_score", "lsoa21", partner="flat")
    empty = luton.with_layer("lsoa21", "empty", pd.DataFrame({"value": np.full(len(codes), np.nan)}, index=codes),
                             dict(luton.layer("income25_score", "lsoa21"), label="Empty"))
    with pytest.raises(StatisticError, match="no value in any area"):
        analysis_map(empty, "hotspots", "empty", "lsoa21")
    with pytest.raises(StatisticError, match="different geographies"):
        analysis_map(luton, "bivariate", "income25_score", "lsoa21", partner="income19_score")
    with pytest.raises(StatisticError, match="drawn on lsoa21"):
        analysis_map(luton, "change", "imd", "lsoa11")


def test_cli_writes_an_analysis_map_and_refuses_bad_combinations(luton, tmp_path, capsys):
    folder = str(luton.path.parent)
    out = tmp_path / "hot.svg"
    status = main(["export", "--la", "E06000032", "--atlas-dir", folder, "--analysis", "hotspots", "--layer",
                   "income19_score", "--geography", "lsoa11", "--out", str(out)])
    printed = capsys.readouterr().out
    assert status == 0 and out.exists() and "Alt text: Map of Luton" in printed
    bad = [
        (["--analysis", "bivariate", "--layer", "income25_score", "--with", "income19_score", "--geography", "lsoa21"],
         "are on different geographies"),
        (["--analysis", "bivariate", "--layer", "income25_score", "--geography", "lsoa21"], "name the second one"),
        (["--analysis", "hotspots", "--layer", "income25_score", "--with", "qof_ob_est", "--geography", "lsoa21"],
         "--with is only for"),
        (["--analysis", "change", "--layer", "income25_score"], "takes an IoD domain"),
        (["--layer", "income25_score", "--geography", "lsoa21", "--with", "qof_ob_est"], "--with names the second"),
    ]
    for args, message in bad:
        target = tmp_path / "bad.png"
        status = main(["export", "--la", "E06000032", "--atlas-dir", folder, *args, "--out", str(target)])
        err = capsys.readouterr().err
        assert status == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err, args
        assert not target.exists()


@pytest.mark.filterwarnings("ignore:Gi\\* requested:UserWarning")  # esda's note on the self-weight it assumes
def test_hot_spot_map_categories_are_esda_s_bins_and_fdr_is_stated(luton):
    import esda

    from atlas.stats import spatial_weights

    areas = luton.table("lsoa21")
    weights = spatial_weights(areas)
    w = weights.subset(sorted(areas.index.astype(str)))
    y = areas["income25_score"].reindex(w.ids).to_numpy(dtype=float)
    reference = esda.G_Local(y, w.w, transform="R", permutations=999, star=True, seed=12345, n_jobs=1)
    expected = []
    for z, p in zip(reference.Zs, reference.p_sim):  # GeoDa's bins, worked out here from esda's z and p
        level = 99 if p < 0.01 else 95 if p < 0.05 else 90 if p < 0.10 else None
        expected.append("Not significant" if level is None else f"{'Hot' if z > 0 else 'Cold'} spot ({level}% confidence)")
    analysis = analysis_map(luton, "hotspots", "income25_score", "lsoa21")
    # the legend labels add which end is worse (income deprivation: high values)
    assert [label.split(":")[0] for label in analysis.areas.reindex(w.ids)] == expected
    assert set(analysis.areas) <= set(analysis.labels)
    assert "Hot spot (99% confidence): high values (worse)" in analysis.labels
    corrected = analysis_map(luton, "hotspots", "income25_score", "lsoa21", fdr=True)
    assert "false-discovery-rate" in corrected.method and "false-discovery-rate corrected" in corrected.short_method
    significant = (corrected.areas != "Not significant").sum()
    assert significant <= (analysis.areas != "Not significant").sum()
    with pytest.raises(StatisticError, match="false-discovery-rate correction applies"):
        analysis_map(luton, "bivariate", "income25_score", "lsoa21", partner="qof_ob_est", fdr=True)
