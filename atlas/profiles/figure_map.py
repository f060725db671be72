"""The profile's map: the area within the district, with its services (matplotlib)."""

from __future__ import annotations

import io

from ..carto import (
    area_collection,
    box_inches,
    fit_extent,
    north_arrow,
    outline_collection,
    scale_bar,
)
from ..catchments import practice_set
from ..classify import point_markers
from ..model import Atlas
from ..plaintext import figure_text
from .areas import Area
from .common import count_text, geography_label, lsoa_geographies, point_set_label

# -- the map -------------------------------------------------------------------------------------------------
AREA_FILL, AREA_EDGE = "#fdb863", "#7f3b08"


@figure_text()  # area and service names are drawn as written
def area_map(built: Atlas, area: Area, dpi: int = 150) -> tuple[bytes, str]:
    """A small PNG map of the area within the district, with its services; and its text alternative."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    geography = next(iter(lsoa_geographies(built) + list(built.geographies)))
    frame = built.table(geography)
    figure = Figure(figsize=(7.0, 4.6), dpi=dpi, facecolor="white")
    rect = (0.01, 0.02, 0.66, 0.96)
    ax = figure.add_axes(rect)
    ax.set_axis_off()
    district = area_collection(frame.geometry)
    district.set_facecolor("#f0f0f0")
    district.set_edgecolor("#c8c8c8")
    ax.add_collection(district)
    highlight = area_collection([area.geometry])
    highlight.set_facecolor(AREA_FILL)
    highlight.set_edgecolor(AREA_EDGE)
    highlight.set_linewidth(1.6)
    ax.add_collection(highlight)
    wards = next(iter(built.geographies_at("ward")), None)
    if wards:
        ax.add_collection(outline_collection(built.table(wards).geometry, "#737373", 0.5))
    fit_extent(ax, frame.total_bounds, box_inches(figure, rect))
    handles = [Patch(facecolor=AREA_FILL, edgecolor=AREA_EDGE, label=area.name)]
    counts = []
    markers = point_markers(built)  # each set's own (its spec's), distinct from the others
    for point_set, points in built.points.items():
        marker, colour = markers[point_set]
        ax.scatter(points.geometry.x, points.geometry.y, s=18, marker=marker, facecolor=colour,
                   edgecolor="white", linewidth=0.5, zorder=5)
        label = point_set_label(built, point_set)[0]  # the assets table's names
        handles.append(Line2D([], [], linestyle="none", marker=marker, markerfacecolor=colour,
                              markeredgecolor="white", markersize=7, label=label))
        counts.append(count_text(len(points), label))
    if area.kind == "pcn" and area.practices:
        members = built.points[practice_set()].loc[area.practices]
        ax.scatter(members.geometry.x, members.geometry.y, s=70, marker="o", facecolor="none",
                   edgecolor="black", linewidth=1.4, zorder=6)
        handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="none", markeredgecolor="black",
                              markersize=10, label="Practice of the network"))
    if wards:
        handles.append(Line2D([], [], color="#737373", linewidth=0.8, label=geography_label(built, wards)))
    scale_bar(ax)
    north_arrow(ax)
    figure.legend(handles=handles, loc="center left", bbox_to_anchor=(0.69, 0.5), frameon=False, fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor="white")
    alt = (f"Map of {built.la_name} showing {area.title} shaded among the district's {geography_label(built, geography)} "
           f"areas" + (f", with {_join(counts)} marked by symbol" if counts else "")
           + (f"; the network's {len(area.practices)} practices are ringed" if area.kind == "pcn" else "")
           + ". The tables give the same information.")
    return buffer.getvalue(), alt


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
