"""Text from data is text in every matplotlib figure (issue 15, item 1): mathtext never sees a name.

A scan of the package: every function that makes a matplotlib figure is drawn
with :func:`atlas.plaintext.figure_text` (decorated, or inside ``with
figure_text()``). Then the spine chart and the funnel plot are drawn with names
holding ``$\\frac{`` (which mathtext cannot parse) and ``$x^2$``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd

PACKAGE = Path(__file__).resolve().parents[2] / "atlas"
NAME = "$x^2$ and $\\frac{1}{$"


def _makes_figure(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    owner = func.value.id if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) else ""
    return name == "Figure" or (owner == "plt" and name in ("subplots", "figure", "subplot_mosaic"))


def _uses_figure_text(function: ast.FunctionDef) -> bool:
    decorated = any("figure_text" in ast.unparse(d) for d in function.decorator_list)
    inside = any(isinstance(n, ast.With) and any("figure_text" in ast.unparse(i.context_expr) for i in n.items)
                 for n in ast.walk(function))
    return decorated or inside


def figures_without_figure_text() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            if any(_makes_figure(n) for n in ast.walk(function)) and not _uses_figure_text(function):
                found.append(f"{path.relative_to(PACKAGE)}:{function.lineno} {function.name}")
    return found


def test_every_figure_of_the_atlas_is_drawn_with_mathtext_off():
    assert figures_without_figure_text() == []


def test_the_spine_chart_draws_names_with_dollars_as_written():
    from atlas.spine import spine_png

    table = pd.DataFrame({"indicator": [NAME, "Plain"], "area": [3.0, 5.0], "decimals": [1, 1],
                          "lowest": [1.0, 2.0], "q25": [2.0, 4.0], "q75": [4.0, 6.0], "highest": [5.0, 9.0],
                          "england": [3.5, np.nan], "authority": [3.2, 5.5], "vs_england": ["", ""],
                          "higher_is": ["neutral", "worse"]})
    png, alt = spine_png(table, "Area $1$", "Town $\\frac{")
    assert png.startswith(b"\x89PNG") and "Area $1$" in alt


def test_the_funnel_plot_draws_names_with_dollars_as_written():
    from atlas.funnel_figure import funnel_png

    denominators = np.array([100.0, 1000.0, 10000.0])
    curve = pd.DataFrame({"denominator": denominators, **{f"{side}_{level}": np.full(3, v) for side, v in
                          (("lower", 5.0), ("upper", 15.0)) for level in ("95", "99.8")}})
    points = pd.DataFrame({"denominator": [500.0, 2000.0], "value": [9.0, 12.0], "highlight": [True, False],
                           "position": ["Within 95% limits", "Within 95% limits"]})
    entry = {"points": points, "curves": {NAME: curve}, "targets": {NAME: 10.0}, "label": NAME, "units": "$"}
    png, alt = funnel_png(entry, f"Funnel of {NAME}", "Network $\\frac{")
    assert png.startswith(b"\x89PNG") and NAME in alt
