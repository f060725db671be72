"""Cartographic drawing shared by the static exports and the profiles: areas and outlines as matplotlib
collections, an extent at true scale, a scale bar, a north arrow and the boundary attributions."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from .classify import MISSING_COLOUR
from .legend_svg import ink_for
from .model import Atlas

OS_STATEMENT = "Contains OS data © Crown copyright and database right"
#: Edge colour and width of the areas of a map.
AREA_EDGE = ("#6e6e6e", 0.25)


def boundary_attributions(built: Atlas, geographies: list[str]) -> list[str]:
    """The distinct boundary attributions of some geographies, each with the OS statement.

    A boundary set whose attribution lacks "Contains OS data ..." gets it with the
    current year added, since every ONS boundary derives from OS data.
    """
    texts = []
    for geography in geographies:
        rows = built.layers.loc[built.layers["geography"] == geography, "boundary_attribution"]
        text = next((t for t in rows if isinstance(t, str) and t.strip()), "")
        if OS_STATEMENT not in text:
            text = f"{text} {OS_STATEMENT} {dt.date.today().year}.".strip()
        line = f"Boundaries ({built.geography_labels.get(geography, geography)}): {text}"
        if line not in texts:
            texts.append(line)
    return texts


def fit_extent(ax, bounds, box_inches: tuple[float, float], pad: float = 0.03) -> None:
    """Fit ``bounds`` (BNG metres) into the axes box at equal scale in x and y, so a scale bar is true."""
    xmin, ymin, xmax, ymax = bounds
    margin = pad * max(xmax - xmin, ymax - ymin)
    xmin, ymin, xmax, ymax = xmin - margin, ymin - margin, xmax + margin, ymax + margin
    box_w, box_h = box_inches
    width, height = xmax - xmin, ymax - ymin
    if width / height > box_w / box_h:
        extra = width * box_h / box_w - height
        ymin, ymax = ymin - extra / 2, ymax + extra / 2
    else:
        extra = height * box_w / box_h - width
        xmin, xmax = xmin - extra / 2, xmax + extra / 2
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")


def dissolve(geometries):
    """The outline of some areas as one shape (the published areas are generalised one by one
    and do not quite meet, so they are closed up by 2 m before they are merged)."""
    return geometries.buffer(2).union_all().buffer(-2)


def box_inches(figure, rect) -> tuple[float, float]:
    """The size in inches of an axes box ``rect`` (figure fractions) on ``figure``."""
    width, height = figure.get_size_inches()
    return rect[2] * width, rect[3] * height


def _polygon_path(geometry):
    """One compound matplotlib path (holes included) for a Polygon or MultiPolygon."""
    import shapely
    from matplotlib.path import Path as MplPath

    vertices, codes = [], []
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            xy = shapely.get_coordinates(ring)
            ring_codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            ring_codes[0], ring_codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            vertices.append(xy)
            codes.append(ring_codes)
    if not vertices:
        return MplPath(np.zeros((1, 2)), [MplPath.MOVETO])
    return MplPath(np.concatenate(vertices), np.concatenate(codes))


def area_collection(geometries):
    """A collection with exactly one patch per area, in the frame's order (so colours line up)."""
    from matplotlib.collections import PathCollection

    paths = [_polygon_path(g) for g in geometries]
    collection = PathCollection(paths, facecolors=MISSING_COLOUR, edgecolors=AREA_EDGE[0],
                                linewidths=AREA_EDGE[1], zorder=2)
    return collection


def outline_collection(geometries, colour: str, width: float):
    """A collection drawing only the outlines of some areas, above the areas."""
    from matplotlib.collections import PathCollection

    collection = PathCollection([_polygon_path(g) for g in geometries], facecolors="none", edgecolors=colour,
                                linewidths=width, zorder=4)
    return collection


def nice_scale_length(map_width_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 times a power of ten metres) about a fifth of the map width."""
    target = map_width_m / 5
    power = 10 ** math.floor(math.log10(target))
    return next(m * power for m in (5, 2, 1) if m * power <= target)


def _distance_label(metres: float) -> str:
    return f"{metres / 1000:g} km" if metres >= 1000 else f"{metres:g} m"


def scale_bar(ax) -> float:
    """A four-segment scale bar in British National Grid metres at the map's lower left; returns its length."""
    from matplotlib.patches import Rectangle

    (xmin, xmax), (ymin, ymax) = ax.get_xlim(), ax.get_ylim()
    length = nice_scale_length(xmax - xmin)
    x0, y0 = xmin + 0.03 * (xmax - xmin), ymin + 0.04 * (ymax - ymin)
    height = 0.012 * (ymax - ymin)
    ax.add_patch(Rectangle((x0 - 0.01 * (xmax - xmin), y0 - 0.03 * (ymax - ymin)), length * 1.12,
                           0.085 * (ymax - ymin), facecolor="white", alpha=0.8, edgecolor="none", zorder=7))
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, height, zorder=8, linewidth=0.6,
                               facecolor="black" if i % 2 == 0 else "white", edgecolor="black",
                               gid=f"scale-bar-{i}"))
    for fraction in (0, 0.5, 1):
        text = "0" if fraction == 0 else _distance_label(length * fraction)
        ax.text(x0 + fraction * length, y0 + height * 1.6, text, fontsize=7, ha="center", va="bottom", zorder=8)
    return length


def north_arrow(ax) -> None:
    """An arrow to grid north at the map's upper right."""
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.86), xycoords="axes fraction", textcoords="axes fraction",
                ha="center", va="top", fontsize=11, fontweight="bold", zorder=8,
                arrowprops={"arrowstyle": "-|>,head_length=0.8,head_width=0.45", "color": "black", "lw": 1.6})


def bivariate_grid(ax, rect: tuple[float, float, float, float], colours: dict[str, str], x_label: str,
                   y_label: str, counts: dict[str, int] | None = None) -> None:
    """A 3x3 bivariate legend in axes coordinates: x = first indicator low to high, y = second low to high.

    Parameters
    ----------
    ax : matplotlib axes
        With limits 0-1 in both directions.
    rect : (x, y, width, height)
        Where the grid goes (axes fractions).
    colours : dict
        Colour of each class ``"<x>-<y>"`` (1 = lowest third, 3 = highest).
    x_label, y_label : str
        The two indicators.
    counts : dict, optional
        Areas in each class, written in its cell.
    """
    from matplotlib.patches import Rectangle

    x0, y0, width, height = rect
    cell_w, cell_h = width / 3, height / 3
    for key, colour in colours.items():
        i, j = int(key[0]) - 1, int(key[2]) - 1
        ax.add_patch(Rectangle((x0 + i * cell_w, y0 + j * cell_h), cell_w, cell_h, facecolor=colour,
                               edgecolor="white", linewidth=1.2, gid=f"bivariate-{key}"))
        if counts is not None:
            ink = ink_for(colour)
            ax.text(x0 + (i + 0.5) * cell_w, y0 + (j + 0.5) * cell_h, str(counts.get(key, 0)), fontsize=7,
                    ha="center", va="center", color=ink)
    arrow = {"arrowstyle": "-|>", "color": "#222222", "lw": 1.0}
    below, left = y0 - 0.06 * height, x0 - 0.06 * width
    ax.annotate("", xy=(x0 + width, below), xytext=(x0, below), arrowprops=arrow)
    ax.annotate("", xy=(left, y0 + height), xytext=(left, y0), arrowprops=arrow)
    ax.text(x0 + width / 2, y0 - 0.1 * height, f"{x_label}: low → high", fontsize=7.5, ha="center", va="top")
    ax.text(x0 - 0.1 * width, y0 + height / 2, f"{y_label}: low → high", fontsize=7.5, ha="right",
            va="center", rotation=90, rotation_mode="anchor")

