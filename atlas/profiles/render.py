"""Writing a profile: HTML (Jinja2), PDF (reportlab) and CSV."""

from __future__ import annotations

import base64
import functools
import io
import os
import re
from pathlib import Path

import pandas as pd

from .. import store
from ..errors import AtlasError
from ..plaintext import csv_text
from .common import FORMATS
from .profile import Profile

# -- output: HTML, PDF, CSV -----------------------------------------------------------------------------
TEMPLATES = Path(__file__).parents[1] / "templates"
_NUMBER_TEXT = re.compile(r"^-?[\d,]+(\.\d+)?%?( \(.*\))?$")


def render_html(profile: Profile) -> str:
    """The profile as one self-contained HTML page (no external file; every name and value escaped).

    Headings and a contents list, tables with captions and header cells, the map
    as an embedded image with a text alternative, comparisons written as words.
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    template = environment.get_template("profile.html")
    return template.render(profile=profile, produced=f"{profile.produced:%d %B %Y}",
                           map_base64=base64.b64encode(profile.map_png).decode("ascii"),
                           map_attribution=_map_attribution(profile), cell_class=_cell_class,
                           image_base64=lambda data: base64.b64encode(data).decode("ascii"))


def _cell_class(text) -> str:
    text = str(text)
    if text in ("Better", "Similar", "Worse"):
        return text
    return "num" if _NUMBER_TEXT.match(text) else ""


def _map_attribution(profile: Profile) -> str:
    lines = [s for s in profile.sources if s.startswith("Boundaries")]
    return " ".join(lines)


def render_csv(profile: Profile) -> str:
    """The figures of every table as one CSV: a row per figure, with its section and the area."""
    frames = []
    for table in profile.tables:
        frame = table.data.copy()
        frame.insert(0, "section", table.key)
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True, sort=False)
    data = data.drop(columns=[c for c in ("decimals",) if c in data])
    data.insert(1, "area_code", profile.area.code)
    data.insert(2, "area_name", profile.area.name)
    data.insert(3, "area_kind", profile.area.kind_label)
    data.insert(4, "district", f"{profile.la_name} ({profile.la_code})")
    data["produced"] = profile.produced.isoformat()
    return csv_text(data)


def render_pdf(profile: Profile) -> bytes:
    """The profile as an A4 landscape PDF (reportlab), with its text as searchable text.

    reportlab is a long-maintained, pure-PyPI PDF library with flowing tables
    that split across pages; the fonts are matplotlib's DejaVu Sans (embedded),
    which covers every character names may hold.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    styles = _pdf_styles()
    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(buffer, pagesize=page, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=profile.title, author="Health Equity Atlas",
                            subject=f"{profile.area.title}, {profile.la_name}")
    width = page[0] - 28 * mm
    p = lambda text, style="body": Paragraph(_xml(text), styles[style])  # noqa: E731
    story = [p(profile.title, "title"),
             p(f"{profile.area.kind_label}{'' if profile.area.kind == 'lsoas' else ' ' + profile.area.code}, "
               f"{profile.la_name} ({profile.la_code}). Produced {profile.produced:%d %B %Y} with the Health "
               f"Equity Atlas.", "subtitle"),
             p("At a glance", "h2")]
    glance = [Paragraph(f"<b>{_xml(label)}</b>: {_xml(text)}", styles["body"]) for label, text in profile.summary]
    glance.append(p(profile.area.rule))
    image = Image(io.BytesIO(profile.map_png), width=150 * mm, height=150 * mm * 4.6 / 7.0)
    side = PdfTable([[glance, [image, p(f"Map: {profile.map_alt} {_map_attribution(profile)}", "small")]]],
                    colWidths=[width - 155 * mm, 155 * mm], hAlign="LEFT")
    side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]))
    story += [side, Spacer(1, 3 * mm)]
    for table in profile.tables:
        rows = [[p(str(c), "th") for c in table.shown.columns]]
        rows += [[p(str(c), "td") for c in row] for row in table.shown.itertuples(index=False)]
        grid = PdfTable(rows, colWidths=_column_widths(table.shown, width), repeatRows=1, hAlign="LEFT")
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                                  ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#efefef")),
                                  ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
        story += [p(table.title, "h2")] + ([p(table.intro, "intro")] if table.intro else [])
        if table.image:
            from reportlab.lib.utils import ImageReader
            w_px, h_px = ImageReader(io.BytesIO(table.image)).getSize()
            shown_width = min(width, (page[1] - 60 * mm) * w_px / h_px)   # the whole chart on one page
            story += [Image(io.BytesIO(table.image), width=shown_width, height=shown_width * h_px / w_px),
                      p(table.image_alt, "small")]
        story += [p(table.caption, "caption"), grid] + [p(n, "small") for n in table.notes]
    story += [p("About these figures", "h2")] + [p(n, "small") for n in profile.notes]
    story += [p("Sources and licences", "h2")] + [p(s, "small") for s in profile.sources]

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont("DejaVuSans", 7)
        canvas.drawString(14 * mm, 8 * mm, f"{profile.title}, {profile.la_name}. Produced "
                                           f"{profile.produced:%d %B %Y}. Page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _pdf_styles() -> dict:
    import matplotlib
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont("DejaVuSans", str(fonts / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(fonts / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold",
                                  italic="DejaVuSans", boldItalic="DejaVuSans-Bold")
    base = ParagraphStyle("body", fontName="DejaVuSans", fontSize=9, leading=12, spaceAfter=3)
    return {
        "body": base,
        "title": ParagraphStyle("title", parent=base, fontName="DejaVuSans-Bold", fontSize=17, leading=21),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=10, textColor="#333333", spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontName="DejaVuSans-Bold", fontSize=12.5, leading=16,
                             spaceBefore=9, spaceAfter=4, keepWithNext=True),
        "intro": ParagraphStyle("intro", parent=base, keepWithNext=True),
        "caption": ParagraphStyle("caption", parent=base, fontName="DejaVuSans-Bold", fontSize=8.5,
                                  keepWithNext=True),
        "th": ParagraphStyle("th", parent=base, fontName="DejaVuSans-Bold", fontSize=7, leading=8.5, spaceAfter=0),
        "td": ParagraphStyle("td", parent=base, fontSize=7, leading=8.5, spaceAfter=0),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor="#333333"),
    }


def _xml(text) -> str:
    """Text made safe for reportlab's mini-markup (which reads &, < and >)."""
    from xml.sax.saxutils import escape

    return escape(str(text))


def _column_widths(shown: pd.DataFrame, width: float, padding: float = 13.0) -> list[float]:
    """Column widths (points): each at least its longest word, the rest shared by the length of its text.

    Words are measured in the table's 7-point bold font (so a header such as
    "Luton" is never broken inside a word); ``padding`` is a cell's left plus
    right padding.
    """
    from reportlab.pdfbase.pdfmetrics import stringWidth

    _pdf_styles()  # registers the fonts measured here

    def measure(text: str) -> float:
        return stringWidth(text, "DejaVuSans-Bold", 7)

    floors, extras = [], []
    for column in shown.columns:
        cells = [str(c) for c in shown[column]]
        words = [w for c in cells + [str(column)] for w in c.split()] or [""]
        floor = max(measure(w) for w in words) + padding
        floors.append(floor)
        longest = max((measure(c[:60]) for c in cells), default=0.0)
        extras.append(max(longest * 0.6 + padding - floor, 0))
    spare = width - sum(floors)
    if spare <= 0:
        return [width * f / sum(floors) for f in floors]
    share = min(spare / sum(extras), 1.0) if sum(extras) else 0.0  # each column's extra, cut to fit the spare
    widths = [f + e * share for f, e in zip(floors, extras)]
    leftover = width - sum(widths)
    return [w + leftover * w / sum(widths) for w in widths]


def write_profile(profile: Profile, out: str | os.PathLike) -> Path:
    """Write the profile as HTML, PDF or CSV (from the suffix of ``out``), atomically.

    Raises
    ------
    AtlasError
        If the suffix is not .html, .pdf or .csv, or the file cannot be written
        (nothing is left behind).
    """
    out = Path(out)
    renderers = {"html": lambda: render_html(profile).encode("utf-8"), "pdf": lambda: render_pdf(profile),
                 "csv": lambda: render_csv(profile).encode("utf-8-sig")}
    store.write_bytes_atomic(out, renderers[profile_format(out)]())
    return out


def profile_format(out: Path) -> str:
    """The format a profile file's suffix asks for (``FORMATS``)."""
    kind = out.suffix.lower().lstrip(".")
    if kind not in FORMATS:
        raise AtlasError(f"Cannot write a profile to {out}: use a file ending .html, .pdf or .csv.")
    return kind
