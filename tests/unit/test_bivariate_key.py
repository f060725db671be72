"""The 3x3 bivariate legend (inline SVG with a table alternative) and its palette's colour-blind safety."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import numpy as np

from atlas.classify import BIVARIATE_COLOURS
from atlas.legend_svg import bivariate_key_svg, ink_for

# Machado, Oliveira & Fernandes (2009) simulation matrices at severity 1.0, on linear RGB.
MACHADO = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}
SVG = "{http://www.w3.org/2000/svg}"


def linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb_linear: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear sRGB."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ rgb_linear
    xyz = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_bivariate_palette_stays_distinct_under_each_colour_vision_deficiency():
    colours = list(BIVARIATE_COLOURS.values())
    for name, matrix in {"normal": np.eye(3), **MACHADO}.items():
        seen = [lab(np.clip(np.array(matrix) @ linear(c), 0, 1)) for c in colours]
        closest = min(np.linalg.norm(a - b) for a, b in itertools.combinations(seen, 2))
        # CIE76 difference above 8 (over three just-noticeable differences of 2.3) keeps side-by-side cells
        # apart; Stevens' pink-blue gives 16.2 normal, 9.7 protanopia, 14.2 deuteranopia, 20.5 tritanopia
        assert closest > 8, (name, closest)


def test_legend_is_a_three_by_three_grid_with_axes_and_a_table_alternative():
    counts = {"1-1": 5, "3-3": 7}
    fragment = bivariate_key_svg("Income <b>", "Obesity & co", counts)
    root = ET.fromstring(f"<div>{fragment}</div>")
    svg = root.find(f".//{SVG}svg")
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text.startswith("Legend: Income <b>")
    rects = svg.findall(f"{SVG}rect")
    assert len(rects) == 9
    positions = {(float(r.get("x")), float(r.get("y"))): r.get("fill") for r in rects}
    xs, ys = sorted({x for x, _ in positions}), sorted({y for _, y in positions})
    assert len(xs) == 3 and len(ys) == 3
    # x = first indicator low -> high from the left; y = second low -> high from the bottom (SVG y grows down)
    assert positions[(xs[0], ys[2])] == BIVARIATE_COLOURS["1-1"]
    assert positions[(xs[2], ys[2])] == BIVARIATE_COLOURS["3-1"]
    assert positions[(xs[0], ys[0])] == BIVARIATE_COLOURS["1-3"]
    assert positions[(xs[2], ys[0])] == BIVARIATE_COLOURS["3-3"]
    texts = ["".join(t.itertext()) for t in svg.findall(f"{SVG}text")]
    assert "5" in texts and "7" in texts and "Income <b> →" in texts and "↑ Obesity & co" in texts
    rows = root.findall(".//tbody/tr")
    assert len(rows) == 9
    assert ["".join(td.itertext()) for td in rows[0].findall("td")][1:] == ["low", "low", "5"]
    assert ["".join(td.itertext()) for td in rows[1].findall("td")][1:] == ["middle", "low", "0"]
    assert "<b>" not in fragment and "&amp; co" in fragment  # labels from data are escaped


def test_cell_counts_are_written_in_the_colour_that_contrasts_more():
    assert ink_for("#574249") == "#ffffff" and ink_for("#e8e8e8") == "#000000"
