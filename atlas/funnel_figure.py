"""The funnel plot as a static figure (matplotlib), for the profiles of Primary Care Networks.

Drawn from :func:`atlas.analysis.analyses.funnel_summary`: every practice of the
district as a point (list size across, recorded prevalence up), the network's
practices as filled black diamonds, the others as open circles, and the 95%
(dashed) and 99.8% (solid) control limits around the district's and England's
values. Colour is not needed to read it.
"""

from __future__ import annotations

import io

from .plaintext import figure_text

BENCHMARK_COLOURS = ("#000000", "#7b3294")


@figure_text()  # practice, network and indicator names are drawn as written
def funnel_png(entry: dict, title: str, highlight_label: str, dpi: int = 150) -> tuple[bytes, str]:
    """The funnel plot of a funnel entry as a PNG, and its text alternative."""
    from matplotlib.figure import Figure  # not pyplot: no global state, so profiles can be drawn in threads

    points = entry["points"]
    figure = Figure(figsize=(9, 4.8), dpi=dpi)
    axis = figure.subplots()
    for (label, curve), colour in zip(entry["curves"].items(), BENCHMARK_COLOURS):
        axis.axhline(entry["targets"][label], color=colour, linewidth=0.8, alpha=0.6)
        for level, style in (("95", (0, (4, 2))), ("99.8", "solid")):
            for side in ("lower", "upper"):
                axis.plot(curve["denominator"], curve[f"{side}_{level}"], color=colour, linestyle=style, linewidth=1,
                          label=f"{label}: {level}% limits" if side == "lower" else None)
    others, ours = points[~points["highlight"]], points[points["highlight"]]
    axis.scatter(others["denominator"], others["value"], s=28, facecolors="white", edgecolors="#555555",
                 label="Other practices")
    axis.scatter(ours["denominator"], ours["value"], s=48, marker="D", color="#000000", label=highlight_label)
    axis.set_xscale("log")
    axis.set_xlabel("Denominator (registered patients)")
    axis.set_ylabel(f"{entry['label']} ({entry['units']})" if entry["units"] else entry["label"], fontsize=8)
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")  # labels and legend fitted: no tight_layout pass
    outside = int((ours["position"] != "Within 95% limits").sum())
    alt = (f"Funnel plot of {entry['label']} for {len(points)} practices against their list sizes, with 95% and "
           f"99.8% control limits around {' and '.join(entry['targets'])}. {len(ours)} practices of "
           f"{highlight_label} are highlighted; {outside} of them lie outside the 95% limits around the district. "
           f"Each practice's figures are in the table below.")
    return buffer.getvalue(), alt
