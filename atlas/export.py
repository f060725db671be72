"""Static maps for reports: A4 PNG, SVG or PDF of one layer, or every layer in one go.

A map says what it shows: a title, a subtitle with the geography (and its
vintage), the units and the period; a legend with the classes and colours of
:func:`atlas.classify.classify` (the same call the app makes, so a layer has the
same classes wherever it is drawn), with "No data" when any area lacks a value;
a scale bar and a north arrow (British National Grid is in metres, so the bar
is measured in map units; grid north is up); ward outlines and, optionally,
ward names; and a footer with the source, its attribution, the boundary
attribution ("Contains OS data © Crown copyright and database right YEAR"), the
council's OS licence number when configured (``ATLAS_OS_LICENCE``) and the date
of production.

SVG and PDF keep their text as text, so a reader can search and copy it (and
tests can extract it). Files are written atomically: a failed export leaves no
partial file.

>>> png = render_map(built, "income19_score", "lsoa11")              # doctest: +SKIP
>>> export_map(built, "imd19_decile", "lsoa11", "out/imd.pdf")       # doctest: +SKIP
>>> index = export_all(built, "out/maps")                            # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import io
import os
import struct
import textwrap
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import batch, config, store
from .carto import (
    area_collection,
    bivariate_grid,
    boundary_attributions,
    box_inches,
    dissolve,
    fit_extent,
    north_arrow,
    outline_collection,
    scale_bar,
)
from .classify import BIVARIATE_COLOURS, MISSING_COLOUR, Classes, layer_classes, layer_meta, short_label
from .errors import AtlasError
from .model import Atlas
from .plaintext import csv_text, figure_text

#: Paper sizes in millimetres (width, height).
PAPERS = {"a4-landscape": (297.0, 210.0), "a4-portrait": (210.0, 297.0)}
FORMATS = ("png", "svg", "pdf")
#: Layer kinds the batch leaves out, with the reason given in its index.
BATCH_SKIPS = {
    "rank": "national ranks are not mapped in the batch: the decile map of the same index shows them "
            "in the categories people know (export one with --layer if needed)",
}
MM_PER_INCH = 25.4
#: Outline colours and widths (points).
WARD_EDGE = ("#1a1a1a", 0.9)
DISTRICT_EDGE = ("#000000", 1.6)


@dataclass(frozen=True)
class _Layout:
    """Figure-fraction rectangles of one paper layout."""

    map_rect: tuple[float, float, float, float]
    legend_rect: tuple[float, float, float, float]
    title_wrap: int
    text_wrap: int
    footer_wrap: int
    footer_top: float
    legend_column: float  # width of the column of classes, as a fraction of the legend box


_LAYOUTS = {
    "a4-landscape": _Layout((0.02, 0.13, 0.66, 0.72), (0.71, 0.13, 0.27, 0.72), 90, 58, 230, 0.105, 1.0),
    "a4-portrait": _Layout((0.04, 0.37, 0.92, 0.50), (0.04, 0.098, 0.92, 0.255), 60, 62, 150, 0.088, 0.46),
}
#: zlib level of PNG output (1: fastest; flat map colours compress well even so).
PNG_COMPRESSION = 1
#: Height of one legend row, in inches.
ROW_INCHES = 0.19


def render_map(built: Atlas, layer: str, geography: str, fmt: str = "png", scheme: str | None = None,
               k: int = 5, palette: str | None = None, paper: str = "a4-landscape", dpi: int = 300,
               ward_names: bool = False) -> bytes:
    """Render the static map of one layer on one geography.

    Parameters
    ----------
    built : Atlas
        A built atlas (with any uploaded layers added).
    layer, geography : str
        Layer id and geography id (``lsoa11``, ``ward2023`` ...).
    fmt : str
        ``png``, ``svg`` or ``pdf``.
    scheme, k, palette
        Classification as in :func:`layer_classes` (the app's defaults when omitted).
    paper : str
        ``a4-landscape`` or ``a4-portrait``.
    dpi : int
        Resolution of a PNG (72-600); SVG and PDF are vector.
    ward_names : bool
        Label each ward at a point inside it.

    Returns
    -------
    bytes
        The file's contents.

    Raises
    ------
    AtlasError
        For an unknown layer, geography, format, paper or classification.
    """
    fmt = _check_format(fmt)
    canvas = MapCanvas(built, geography, paper=paper, dpi=dpi, ward_names=ward_names)
    try:
        canvas.draw(layer, layer_classes(built, layer, geography, scheme, k, palette))
        return canvas.to_bytes(fmt)
    finally:
        canvas.close()


def export_map(built: Atlas, layer: str, geography: str, out: str | os.PathLike, scheme: str | None = None,
               k: int = 5, palette: str | None = None, paper: str = "a4-landscape", dpi: int = 300,
               ward_names: bool = False) -> Path:
    """Write the static map of one layer to ``out`` (format from its suffix), atomically.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    AtlasError
        As :func:`render_map`, and when ``out`` has another suffix or cannot be
        written (nothing is left behind).
    """
    out = Path(out)
    fmt = _check_format(out.suffix.lstrip(".").lower(), out)
    content = render_map(built, layer, geography, fmt, scheme, k, palette, paper, dpi, ward_names)
    store.write_bytes_atomic(out, content)
    return out


def render_analysis_map(built: Atlas, analysis, fmt: str = "png", paper: str = "a4-landscape", dpi: int = 300,
                        ward_names: bool = False) -> tuple[bytes, str]:
    """Render an analysis map (:class:`atlas.analysis.maps.AnalysisMap`) on the geography of its areas.

    Parameters
    ----------
    built : Atlas
    analysis : AnalysisMap
        From :func:`atlas.analysis.maps.analysis_map`.
    fmt, paper, dpi, ward_names
        As :func:`render_map`.

    Returns
    -------
    (bytes, str)
        The file's contents and its text alternative (also stored in the file's metadata).
    """
    fmt = _check_format(fmt)
    geography = analysis.metas[0]["geography"]
    canvas = MapCanvas(built, geography, paper=paper, dpi=dpi, ward_names=ward_names)
    try:
        canvas.draw_analysis(analysis)
        return canvas.to_bytes(fmt), canvas.alt
    finally:
        canvas.close()


def export_analysis_map(built: Atlas, analysis, out: str | os.PathLike, paper: str = "a4-landscape",
                        dpi: int = 300, ward_names: bool = False) -> tuple[Path, str]:
    """Write an analysis map to ``out`` (format from its suffix), atomically; returns the file and its alt text."""
    out = Path(out)
    fmt = _check_format(out.suffix.lstrip(".").lower(), out)
    content, alt = render_analysis_map(built, analysis, fmt, paper, dpi, ward_names)
    store.write_bytes_atomic(out, content)
    return out, alt


def _check_format(fmt: str, out: Path | None = None) -> str:
    fmt = (fmt or "").lower()
    if fmt not in FORMATS:
        what = f"the output file {out} has suffix {out.suffix!r}" if out else f"format {fmt!r}"
        raise AtlasError(f"Cannot export a map: {what}; use .png, .svg or .pdf.")
    return fmt


class MapCanvas:
    """An A4 map of one geography whose furniture is drawn once and reused for each layer.

    The areas, ward and district outlines, scale bar, north arrow and ward names
    are drawn when the canvas is made; :meth:`draw` then recolours the areas and
    replaces the title, legend and footer for one layer.

    Parameters
    ----------
    built : Atlas
    geography : str
    paper : str
        ``a4-landscape`` or ``a4-portrait``.
    dpi : int
        Resolution of PNG output.
    ward_names : bool
        Label the wards.
    """

    @figure_text()  # names, labels and units from data are drawn as written ($ is a dollar sign)
    def __init__(self, built: Atlas, geography: str, paper: str = "a4-landscape", dpi: int = 300,
                 ward_names: bool = False):
        from matplotlib.figure import Figure

        if paper not in PAPERS:
            raise AtlasError(f"Unknown paper {paper!r}; choose one of: {', '.join(PAPERS)}.")
        if not 72 <= int(dpi) <= 600:
            raise AtlasError(f"Resolution must be between 72 and 600 dpi (got {dpi}).")
        if geography not in built.geographies:
            built.table(geography)  # a clear error for an unknown geography
            raise AtlasError(f"{geography!r} is a point set; static maps show area geographies: "
                             f"{', '.join(built.geographies)}.")
        self.built, self.geography, self.paper, self.dpi = built, geography, paper, int(dpi)
        self.frame = built.table(geography)
        self.layout = _LAYOUTS[paper]
        self.figure = Figure(figsize=paper_inches(paper, self.dpi), dpi=self.dpi, facecolor="white")
        self.wards = _ward_geography(built, geography)
        self.map_ax = self.figure.add_axes(self.layout.map_rect)
        self.map_ax.set_axis_off()
        self.areas = area_collection(self.frame.geometry)
        self.map_ax.add_collection(self.areas)
        self._set_extent()
        self._draw_outlines(ward_names)
        self.scale_length_m = scale_bar(self.map_ax)
        north_arrow(self.map_ax)
        self._static_footer = self.figure.text(
            0.02, 0.012, "\n".join(_wrap(line, self.layout.footer_wrap) for line in footer_static_lines(
                built, geography, self.wards)), fontsize=6.5, va="bottom", ha="left", color="#222222",
            linespacing=1.3)
        #: Drawn once into a transparent overlay that each PNG is composited with (see :meth:`pixels`).
        self._static = [a for a in (*self.map_ax.collections, *self.map_ax.patches, *self.map_ax.texts)
                        if a is not self.areas] + [self._static_footer]
        self._overlay = None
        self._layer_artists: list = []
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        self._canvas = FigureCanvasAgg(self.figure)

    # -- furniture drawn once -------------------------------------------------------------------
    def _set_extent(self) -> None:
        fit_extent(self.map_ax, self.frame.total_bounds, box_inches(self.figure, self.layout.map_rect))

    def _draw_outlines(self, ward_names: bool) -> None:
        if self.wards is not None:
            wards = self.built.table(self.wards)
            self.map_ax.add_collection(outline_collection(wards.geometry, *WARD_EDGE))
            if ward_names:  # on a pale box rather than a halo, which would turn the text into outlines
                box = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.75}
                for point, name in zip(wards.geometry.representative_point(), wards["name"]):
                    self.map_ax.text(point.x, point.y, str(name), fontsize=6.5, ha="center", va="center",
                                     color="#111111", bbox=box, zorder=6)
        if self.built.outline is not None:
            self.map_ax.add_collection(outline_collection([dissolve(self.frame.geometry)], *DISTRICT_EDGE))

    # -- one layer ----------------------------------------------------------------------------------
    @figure_text()
    def draw(self, layer: str, classes: Classes) -> None:
        """Colour the areas by ``classes`` and write the title, legend and footer of ``layer``."""
        meta = layer_meta(self.built, layer, self.geography)
        for artist in self._layer_artists:
            artist.remove()
        self._layer_artists = []
        colours = classes.colour_of().reindex(self.frame.index).fillna(MISSING_COLOUR)
        self.areas.set_facecolor(colours.to_numpy())
        self._title(meta)
        self._legend(meta, classes)
        self._footer(meta)
        self.meta = meta  # for the file metadata (to_bytes)
        self.alt = ""

    @figure_text()
    def draw_analysis(self, analysis) -> None:
        """Colour the areas by an analysis map's categories and write its title, legend (a 3x3 grid for a
        bivariate choropleth), method and the sources of every layer it uses."""
        meta = dict(analysis.metas[0], label=analysis.title, units="", description=analysis.method)
        for artist in self._layer_artists:
            artist.remove()
        self._layer_artists = []
        classes = analysis.classes(self.frame.index)
        self.areas.set_facecolor(classes.colour_of().reindex(self.frame.index).fillna(MISSING_COLOUR).to_numpy())
        self._title(meta, f"Method: {analysis.short_method}" if analysis.short_method else "")
        if analysis.axes:
            self._grid_legend(analysis, classes)
        else:
            self._legend(dict(meta, units=analysis.title), classes)
        self._sources([footer_source(m) for m in analysis.metas])
        self.meta = meta
        self.alt = analysis.alt_text(self.built.la_name, meta.get("geography_label") or self.geography)

    def _sources(self, lines: list[str]) -> None:
        """The source lines of several layers between the map and the boundary footer, in a font that fits."""
        height = self.figure.get_size_inches()[1]
        static_lines = str(self._static_footer.get_text()).count("\n") + 1
        top = self.layout.map_rect[1] if self.layout.legend_column == 1 else self.layout.footer_top
        room = (top - 0.012) * height * 72 - static_lines * 6.5 * 1.3 - 4  # points
        text, size = "", 6.5
        for size in (6.5, 6.0, 5.5, 5.0, 4.5):
            width = int(self.layout.footer_wrap * 6.5 / size)
            text = "\n".join(_wrap(line, width) for line in dict.fromkeys(lines))
            if (text.count("\n") + 1) * size * 1.3 <= room:
                break
        self._text(0.02, top, text, fontsize=size, va="top", ha="left", color="#222222", linespacing=1.3)

    def _grid_legend(self, analysis, classes: Classes) -> None:
        """The 3x3 legend of a bivariate choropleth, with the areas in each cell and the method below."""
        ax = self._legend_axes()
        box_w, box_h = box_inches(self.figure, self.layout.legend_rect)
        grid_w, grid_h = 1.6 / box_w, 1.6 / box_h  # a 1.6-inch square grid
        ax.text(0, 1, "Areas in each class", fontsize=9, fontweight="bold", va="top", ha="left")
        counts = classes.index.value_counts()
        by_key = {key: int(counts.get(i, 0)) for i, key in enumerate(BIVARIATE_COLOURS)}
        top = 1 - 0.35 / box_h
        bivariate_grid(ax, (0.4 / box_w, top - grid_h, grid_w, grid_h), BIVARIATE_COLOURS,
                       *(short_label(a) for a in analysis.axes),
                       counts=by_key)
        missing = int((classes.index == -1).sum())
        notes = [f"Grey: no data ({missing} areas)." if missing else "Every area has both values.",
                 f"Classes: {classes.scheme}.", f"Method: {analysis.method}"]
        column = self.layout.legend_column
        x, notes_top = (0, top - grid_h - 0.55 / box_h) if column == 1 else (column + 0.06, 1)
        ax.text(x, notes_top, "\n".join(_wrap(n, self.layout.text_wrap) for n in notes), fontsize=7,
                va="top", ha="left", color="#222222", linespacing=1.35)

    def _legend_axes(self):
        """Blank axes over the legend's box (0-1 both ways), removed with the layer."""
        ax = self.figure.add_axes(self.layout.legend_rect)
        ax.set_axis_off()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        self._layer_artists.append(ax)
        return ax

    def _text(self, x: float, y: float, text: str, **kwargs):
        artist = self.figure.text(x, y, text, **kwargs)
        self._layer_artists.append(artist)
        return artist

    def _title(self, meta: dict, method: str = "") -> None:
        wrap = self.layout.title_wrap
        title = _wrap(f"{meta['label']}: {self.built.la_name}", wrap)
        subtitle = " · ".join(part for part in (
            f"{meta.get('geography_label') or self.geography}, {len(self.frame)} areas", meta.get("units") or "",
            f"Period: {meta.get('period') or 'not stated'}", method) if part)
        height = self.figure.get_size_inches()[1]
        self._text(0.02, 1 - 0.3 / height, title, fontsize=15, fontweight="bold", va="top", ha="left")
        below = 1 - (0.3 + 0.3 * (title.count("\n") + 1) + 0.08) / height
        self._text(0.02, below, _wrap(subtitle, int(wrap * 1.4)), fontsize=9.5, va="top", ha="left",
                   color="#333333")

    def _legend(self, meta: dict, classes: Classes) -> None:
        ax = self._legend_axes()
        column = self.layout.legend_column
        row = ROW_INCHES / box_inches(self.figure, self.layout.legend_rect)[1]
        heading = _wrap(meta.get("units") or meta["label"], int(44 * column / 0.48) if column < 1 else 44)
        ax.text(0, 1, heading, fontsize=9, fontweight="bold", va="top", ha="left")
        y = 1 - row * (heading.count("\n") + 1.4)
        counts = classes.index.value_counts()
        swatch = 0.09 * column
        size = _label_size(classes, column * box_inches(self.figure, self.layout.legend_rect)[0])
        for number, (label, colour) in enumerate(classes.legend()):
            n = int(counts.get(number if number < len(classes.labels) else -1, 0))
            ax.add_patch(_swatch(0, y - row * 0.85, swatch, row * 0.75, colour))
            ax.text(swatch + 0.03 * column, y - row * 0.47, label, fontsize=size, va="center", ha="left")
            ax.text(column, y - row * 0.47, f"{n} areas" if n != 1 else "1 area", fontsize=7, va="center",
                    ha="right", color="#555555")
            y -= row
        y = self._legend_lines(ax, y - row * 0.3, row, swatch)
        notes = [f"Classes: {classes.scheme}."]
        if meta.get("native_geography") and meta.get("native_geography") != self.geography:
            notes.append(f"Method: {meta.get('method')}.")
        if meta.get("description"):
            notes.append(f"What it shows: {meta['description']}")
        x, top = (0, y - row * 0.3) if column == 1 else (column + 0.06, 1)
        ax.text(x, top, "\n".join(_wrap(n, self.layout.text_wrap) for n in notes), fontsize=7,
                va="top", ha="left", color="#222222", linespacing=1.35)

    def _legend_lines(self, ax, y: float, row: float, swatch: float) -> float:
        """Legend entries for the ward and district outlines; returns the next free height."""
        entries = []
        if self.wards is not None:
            entries.append((WARD_EDGE, f"Ward boundaries: {self.built.geography_labels.get(self.wards, self.wards)}"))
        if self.built.outline is not None:
            entries.append((DISTRICT_EDGE, f"{self.built.la_name} boundary"))
        for (colour, width), label in entries:
            ax.plot([0, swatch], [y - row * 0.47] * 2, color=colour, linewidth=width)
            ax.text(swatch * 1.33, y - row * 0.47, label, fontsize=8, va="center", ha="left")
            y -= row
        return y

    def _footer(self, meta: dict) -> None:
        self._text(0.02, self.layout.footer_top, _wrap(footer_source(meta), self.layout.footer_wrap), fontsize=6.5,
                   va="top", ha="left", color="#222222", linespacing=1.3)

    # -- output -----------------------------------------------------------------------------------
    def to_bytes(self, fmt: str) -> bytes:
        """The drawn map as PNG, SVG or PDF bytes (text kept as text in SVG and PDF)."""
        import matplotlib
        fmt = _check_format(fmt)
        title = f"{self.meta['label']}: {self.built.la_name}"
        alt = getattr(self, "alt", "") or ""
        if fmt == "png":
            text = {"Title": title, "Software": "Health Equity Atlas"} | ({"Description": alt} if alt else {})
            return png_bytes(self.pixels(), self.dpi, text)
        buffer = io.BytesIO()
        metadata = {"svg": {"Title": title, "Creator": "Health Equity Atlas", "Date": None},
                    "pdf": {"Title": title, "Creator": "Health Equity Atlas"}}[fmt]
        if alt:
            metadata["Description" if fmt == "svg" else "Subject"] = alt
        rc = {"svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "health-equity-atlas"}
        with matplotlib.rc_context(rc):
            self.figure.savefig(buffer, format=fmt, dpi=self.dpi, metadata=metadata, facecolor="white")
        return buffer.getvalue()

    def pixels(self) -> np.ndarray:
        """The drawn map as an RGBA array (height, width, 4) at the canvas's resolution.

        Text is the slow part of drawing a page (matplotlib lays out and renders
        each glyph), so the furniture that is the same for every layer of the
        geography (outlines, ward names, scale bar, north arrow, boundary and
        production lines) is drawn once into a transparent overlay; each layer
        draws only its own colours and text, and the overlay's pixels are laid
        over it ("over" compositing of its anti-aliased edges).
        """
        if self._overlay is None:
            with _hidden([self.areas, self.figure.patch, *self._layer_artists]):
                self._canvas.draw()
                rgba = np.asarray(self._canvas.buffer_rgba()).reshape(-1, 4)
            where = np.flatnonzero(rgba[:, 3])
            self._overlay = (where, rgba[where, 3:].astype(np.float32) / 255, rgba[where, :3].astype(np.float32))
        with _hidden(self._static):
            self._canvas.draw()
            rgba = np.array(self._canvas.buffer_rgba())
        where, alpha, colour = self._overlay
        flat = rgba.reshape(-1, 4)
        flat[where, :3] = (flat[where, :3] * (1 - alpha) + colour * alpha + 0.5).astype(np.uint8)
        return rgba

    def close(self) -> None:
        """Release the figure."""
        self.figure.clear()


def png_bytes(pixels: np.ndarray, dpi: int, text: dict[str, str]) -> bytes:
    """An RGB PNG of an RGB (or RGBA: alpha dropped, maps are drawn on white) pixel array, with its resolution.

    Written directly with :mod:`zlib` rather than through Pillow: Pillow filters
    every row adaptively, which costs more than the rest of the encoding on an
    A4 300-dpi page (8.7 million pixels) and gains nothing on flat map colours;
    unfiltered rows at zlib level 1 encode about three times faster and come out
    smaller. The pHYs chunk records the dots per inch (as pixels per metre) and
    iTXt chunks the title and software (UTF-8).
    """
    from PIL import Image

    height, width = pixels.shape[:2]
    if pixels.shape[2] == 4:  # Pillow drops the alpha channel far faster than a strided numpy copy
        rgb = Image.frombuffer("RGBA", (width, height), np.ascontiguousarray(pixels), "raw", "RGBA", 0, 1)
        pixels = np.frombuffer(rgb.convert("RGB").tobytes(), dtype=np.uint8)
    rows = np.empty((height, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "none" before each row
    rows[:, 1:] = pixels.reshape(height, width * 3)
    per_metre = round(dpi / 0.0254)
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
              (b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))]
    chunks += [(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8")) for key, value in text.items()]
    chunks += [(b"IDAT", zlib.compress(rows, PNG_COMPRESSION)), (b"IEND", b"")]
    out = [b"\x89PNG\r\n\x1a\n"]
    for kind, data in chunks:
        out += [struct.pack(">I", len(data)), kind, data, struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))]
    return b"".join(out)


def footer_lines(built: Atlas, meta: dict, geography: str, wards: str | None) -> list[str]:
    """The footer of a map: source and its attribution, boundaries, OS licence, production date."""
    return [footer_source(meta), *footer_static_lines(built, geography, wards)]


def footer_source(meta: dict) -> str:
    """The footer's line about the layer: its source, publisher and attribution."""
    source = (f"Source: {meta.get('source_title') or meta['label']}"
              + (f", {meta['publisher']}" if meta.get("publisher") else "") + ".")
    return source + (f" {meta['attribution']}" if meta.get("attribution") else "")


def footer_static_lines(built: Atlas, geography: str, wards: str | None) -> list[str]:
    """The footer's lines shared by every layer of a geography: boundaries, OS licence, production."""
    lines = [" ".join(boundary_attributions(built, [geography] + ([wards] if wards else [])))]
    licence = config.os_licence_number()
    if licence:
        lines.append(f"{built.la_name} OS licence number {licence}.")
    lines.append(f"Grid north; British National Grid (EPSG:27700). Produced {dt.date.today():%d %B %Y} "
                 f"with the Health Equity Atlas.")
    return lines


@contextlib.contextmanager
def _hidden(artists):
    """Hide some artists for the length of a ``with`` block."""
    shown = [a.get_visible() for a in artists]
    for artist in artists:
        artist.set_visible(False)
    try:
        yield
    finally:
        for artist, visible in zip(artists, shown):
            artist.set_visible(visible)


def paper_inches(paper: str, dpi: int) -> tuple[float, float]:
    """The figure size of a paper in inches, nudged so a PNG has the whole-pixel size of the paper.

    A4 at 300 dpi is 3508 x 2480 pixels (297 x 210 mm rounded to the nearest
    pixel); matplotlib truncates, so the size is given a quarter-pixel margin.
    """
    return tuple((round(mm / MM_PER_INCH * dpi) + 0.25) / dpi for mm in PAPERS[paper])


def _ward_geography(built: Atlas, geography: str) -> str | None:
    """The ward set to outline: the map's own wards, else the newest the atlas has."""
    wards = built.geographies_at("ward")
    return geography if geography in wards else next(iter(wards), None)


def _label_size(classes: Classes, column_inches: float) -> float:
    """The font size (at most 8 pt) at which the longest legend label fits beside its swatch and count."""
    longest = max((len(label) for label, _ in classes.legend()), default=1)
    room = column_inches * 0.88 - 0.55  # less the swatch and the count of areas, in inches
    return max(5.0, min(8.0, room * 72 / (0.5 * longest)))


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(str(text), width=width, break_long_words=False)) or str(text)


def _swatch(x, y, w, h, colour):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=colour, edgecolor="#444444", linewidth=0.4)


# -- the batch --------------------------------------------------------------------------------------------
INDEX_COLUMNS = ["file", "layer", "geography", "geography_label", "label", "kind", "units", "period", "theme",
                 "source_title", "publisher", "licence", "classes", "legend", "areas", "no_data", "status"]


def batch_plan(built: Atlas) -> list[tuple[str, str, str | None]]:
    """Every (geography, layer) of the atlas with the reason it is skipped, or None to map it."""
    plan = []
    for geography in built.geographies:
        for meta in built.layers_on(geography).to_dict("records"):
            reason = BATCH_SKIPS.get(meta["kind"])
            if reason is None and built.values(meta["layer"], geography).notna().sum() == 0:
                reason = "every value is missing: nothing to map"
            plan.append((geography, meta["layer"], reason))
    return plan


def export_all(built: Atlas, out_dir: str | os.PathLike, fmt: str = "png", paper: str = "a4-landscape",
               dpi: int = 300, ward_names: bool = False, workers: int | None = None,
               scheduler: str | None = None, retries: int = batch.DEFAULT_RETRIES) -> pd.DataFrame:
    """Write a map of every area layer at each geography, plus ``index.csv`` and ``index.html``.

    Ranks are left out (their decile maps show the same in the usual categories) and so is
    any layer with no values; both are listed in the index with the reason. The maps of
    each geography are one task of a Dask batch (:mod:`atlas.batch`; the map furniture is
    drawn once per geography); a geography whose task fails has its layers listed in the
    index with status ``failed: <error>``, the others are written.

    Parameters
    ----------
    built : Atlas
    out_dir : path-like
        Folder for the maps (created); files are named ``<geography>_<layer>.<fmt>``.
    fmt, paper, dpi, ward_names
        As :func:`render_map`; each layer in its default classification.
    workers : int, optional
        Dask workers of the local cluster (default: up to 2, the cores most machines here have);
        1 draws in one worker thread of this process.
    scheduler : str, optional
        Address of an existing Dask scheduler instead of a local cluster.
    retries : int
        Retries of a geography whose task failed.

    Returns
    -------
    pandas.DataFrame
        The index: one row per layer and geography (``INDEX_COLUMNS``).
    """
    fmt = _check_format(fmt)
    out_dir = Path(out_dir)
    _check_folder(out_dir)
    MapCanvas(built, next(iter(built.geographies)), paper, dpi).close()  # check options before starting workers
    plan = batch_plan(built)
    by_geography: dict = {}
    for geography, layer, reason in plan:
        if reason is None:
            by_geography.setdefault(geography, []).append(layer)
    workers = max(1, min(workers or min(2, os.cpu_count() or 1), len(by_geography) or 1))
    options = (str(out_dir), fmt, paper, dpi, ward_names)
    result = batch.run_batch(_export_geography, {g: (g, layers) for g, layers in by_geography.items()},
                             {"built": built, "options": options}, workers, scheduler, retries,
                             processes=workers > 1, label="geographies")
    done = {(r["geography"], r["layer"]): r for part in result.results.values() for r in part}
    failed = {(g, layer): f"failed: {result.failed[g]}" for g in result.failed for layer in by_geography[g]}
    index = pd.DataFrame([done.get((g, layer)) or _index_row(built, g, layer, None, None,
                                                             failed.get((g, layer), f"skipped: {reason}"))
                          for g, layer, reason in plan], columns=INDEX_COLUMNS)
    store.write_text_atomic(out_dir / "index.csv", csv_text(index))
    store.write_text_atomic(out_dir / "index.html", index_html(built, index))
    return index


def _check_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with store.atomic_path(folder / ".write-check") as tmp:
            Path(tmp).write_bytes(b"")
        (folder / ".write-check").unlink()
    except OSError as exc:
        raise AtlasError(f"Cannot write maps into {folder}: {exc.strerror or exc}. "
                         f"Choose a folder you can write to.") from exc


def _export_geography(geography: str, layers: list[str], built: Atlas, options: tuple) -> list[dict]:
    """One task of the batch: the maps of every layer on one geography (one canvas, redrawn per layer)."""
    out_dir, fmt, paper, dpi, ward_names = options
    canvas = MapCanvas(built, geography, paper, dpi, ward_names)
    try:
        return [_export_one(canvas, built, geography, layer, Path(out_dir), fmt) for layer in layers]
    finally:
        canvas.close()


def _export_one(canvas: MapCanvas, built: Atlas, geography: str, layer: str, out_dir: Path, fmt: str) -> dict:
    classes = layer_classes(built, layer, geography)
    canvas.draw(layer, classes)
    name = f"{geography}_{layer}.{fmt}"
    store.write_bytes_atomic(out_dir / name, canvas.to_bytes(fmt))
    return _index_row(built, geography, layer, name, classes, "written")


def _index_row(built: Atlas, geography: str, layer: str, name: str | None, classes: Classes | None,
               status: str) -> dict:
    meta = built.layer(layer, geography)
    values = built.values(layer, geography)
    row = {key: meta.get(key, "") for key in INDEX_COLUMNS if key in meta}
    row.update(file=name or "", layer=layer, geography=geography, status=status, areas=len(values),
               no_data=int(values.isna().sum()),
               classes=classes.scheme if classes else "",
               legend="; ".join(label for label, _ in classes.legend()) if classes else "")
    return row


def index_html(built: Atlas, index: pd.DataFrame) -> str:
    """A self-contained HTML page listing the maps of a batch, each with its metadata (escaped)."""
    esc = html.escape
    head = ["Map", "Geography", "Units", "Period", "Source", "Licence", "Classes", "Areas (no data)", "Status"]
    rows = []
    for r in index.to_dict("records"):
        link = f'<a href="{esc(r["file"])}">{esc(r["label"])}</a>' if r["file"] else esc(r["label"])
        cells = [link, r["geography_label"], r["units"], r["period"], f"{r['source_title']} ({r['publisher']})",
                 r["licence"], r["classes"], f"{r['areas']} ({r['no_data']})", r["status"]]
        rows.append("<tr>" + "".join(f"<td>{c if i == 0 else esc(str(c))}</td>" for i, c in enumerate(cells))
                    + "</tr>")
    written = int((index["status"] == "written").sum())
    title = f"Maps of {built.la_name} ({built.la_code})"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>body{{font-family:sans-serif;margin:1.5rem;color:#1a1a1a}}table{{border-collapse:collapse;font-size:.9rem}}
th,td{{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}}th{{background:#eee}}
a{{color:#0b4f8a}}a:focus{{outline:3px solid #f5a623}}</style></head>
<body><main><h1>{esc(title)}</h1>
<p>{written} maps written on {dt.date.today():%d %B %Y}; {len(index) - written} layers skipped (reason given).</p>
<table><caption>Each map with its geography, units, period, source, licence and classification</caption>
<thead><tr>{''.join(f'<th scope="col">{h}</th>' for h in head)}</tr></thead>
<tbody>{''.join(rows)}</tbody></table></main></body></html>
"""
