"""Rendering a profile: HTML (Jinja2), PDF (reportlab) and CSV (written to files by :mod:`atlas.profiles.output`)."""

from __future__ import annotations

import base64
import functools
import io
import re
from pathlib import Path

import pandas as pd

from ..plaintext import csv_text
from .profile import Profile

# -- output: HTML, PDF, CSV -----------------------------------------------------------------------------
TEMPLATES = Path(__file__).parents[1] / "templates"
_NUMBER_TEXT = re.compile(r"^-?[\d,]+(\.\d+)?%?( \(.*\))?$")


def render_html(profile: Profile) -> str:
    """The profile as one self-contained HTML page (no external file; every name and value escaped).

    Headings and a contents list; the summary first (at a glance, the map, the
    key indicators' spine chart, the services), then the full tables with
    captions and header cells, the method and the sources; images embedded with
    text alternatives, comparisons written as words.
    """
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    template = environment.get_template("profile.html")
    return template.render(profile=profile, produced=f"{profile.produced:%d %B %Y}",
                           map_base64=base64.b64encode(profile.map_png).decode("ascii"),
                           map_attribution=_map_attribution(profile), cell_class=_cell_class,
                           image_base64=lambda data: base64.b64encode(data).decode("ascii"),
                           spine=_table_or_none(profile, "spine"), assets=_table_or_none(profile, "assets"))


def _table_or_none(profile: Profile, key: str):
    return next((t for t in profile.tables if t.key == key), None)


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


#: The language the PDF declares (its catalogue's ``/Lang``), for screen readers.
PDF_LANGUAGE = "en-GB"
#: Rows of the services listed in the two-page summary (the full list is in the tables after it).
SUMMARY_SERVICES = 12


def render_pdf(profile: Profile) -> bytes:
    """The profile as an A4 landscape PDF (reportlab), with its text as searchable text.

    A two-page summary comes first: page 1 the title, the figures at a glance
    and the map; page 2 the key indicators (the spine chart, else the first
    indicators) and the services in or serving the area. The full tables, the
    method ("About these figures") and the sources follow from page 3. The PDF
    declares its title, author, subject and language (``PDF_LANGUAGE``).

    reportlab is a long-maintained, pure-PyPI PDF library with flowing tables
    that split across pages; the fonts are matplotlib's DejaVu Sans (embedded),
    which covers every character names may hold.
    """
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    page = landscape(A4)
    doc = SimpleDocTemplate(buffer, pagesize=page, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=16 * mm, title=profile.title, author="Health Equity Atlas",
                            subject=f"{profile.area.title}, {profile.la_name}", lang=PDF_LANGUAGE)
    pdf = _Pdf(profile, doc.width, doc.height)
    story = [*pdf.first_page(), *pdf.second_page(), *pdf.full_tables(), *pdf.method()]

    def footer(canvas, document):
        canvas.saveState()
        canvas.setFont("DejaVuSans", 7)
        canvas.drawString(14 * mm, 8 * mm, f"{profile.title}, {profile.la_name}. Produced "
                                           f"{profile.produced:%d %B %Y}. Page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


class _Pdf:
    """The flowables of a profile's PDF, section by section (each summary page shrunk to fit its page)."""

    def __init__(self, profile: Profile, width: float, height: float):
        self.profile, self.width, self.height = profile, width, height
        self.styles = _pdf_styles()

    def p(self, text, style: str = "body"):
        from reportlab.platypus import Paragraph

        return Paragraph(_xml(text), self.styles[style])

    def one_page(self, flowables: list) -> list:
        """``flowables`` shrunk (never cut) to one page, then a page break."""
        from reportlab.platypus import KeepInFrame, PageBreak

        return [KeepInFrame(self.width, self.height - 6, flowables, mode="shrink"), PageBreak()]

    def first_page(self) -> list:
        """Summary, page 1: title, the figures at a glance and the map."""
        from reportlab.lib.units import mm
        from reportlab.platypus import Image, Paragraph, TableStyle
        from reportlab.platypus import Table as PdfTable

        profile, p = self.profile, self.p
        glance = [Paragraph(f"<b>{_xml(label)}</b>: {_xml(text)}", self.styles["body"])
                  for label, text in profile.summary]
        glance.append(p(profile.area.rule, "small"))
        image = Image(io.BytesIO(profile.map_png), width=150 * mm, height=150 * mm * 4.6 / 7.0)
        side = PdfTable([[glance, [image, p(f"Map: {profile.map_alt} {_map_attribution(profile)}", "small")]]],
                        colWidths=[self.width - 155 * mm, 155 * mm], hAlign="LEFT")
        side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0)]))
        return self.one_page([
            p(profile.title, "title"),
            p(f"{profile.area.kind_label}{'' if profile.area.kind == 'lsoas' else ' ' + profile.area.code}, "
              f"{profile.la_name} ({profile.la_code}). Produced {profile.produced:%d %B %Y} with the Health "
              f"Equity Atlas. Summary on pages 1 and 2; the full tables, the method and the sources follow.",
              "subtitle"),
            p("Summary: at a glance", "h2"), side])

    def second_page(self) -> list:
        """Summary, page 2: the key indicators (spine chart) and the services in or serving the area."""
        tables = {t.key: t for t in self.profile.tables}
        story = [self.p("Summary: key indicators", "h2")]
        spine, indicators = tables.get("spine"), tables.get("indicators")
        if spine is not None and spine.image:
            story += [self.p(spine.caption, "caption"), self.image(spine.image, self.height * 0.62),
                      self.p(f"{spine.image_alt} The figures of each row are in the spine chart's table after "
                             f"this summary.", "small")]
        elif indicators is not None:
            story += [self.p(indicators.caption, "caption"), self.grid(indicators.shown.head(SUMMARY_SERVICES)),
                      self.p("The first indicators; every indicator is in the tables after this summary.", "small")]
        else:
            story.append(self.p("No indicator has figures for this area.", "small"))
        story += self.services(tables.get("assets"))
        return self.one_page(story)

    def services(self, assets) -> list:
        story = [self.p("Summary: services", "h2")]
        if assets is None:
            return story + [self.p("No GP practice, pharmacy or other service is in or serving the area.")]
        columns = [c for c in ("Type", "Name", "Postcode", "Relation to the area") if c in assets.shown]
        shown = assets.shown[columns]
        story += [self.p(assets.intro), self.grid(shown.head(SUMMARY_SERVICES))]
        if len(shown) > SUMMARY_SERVICES:
            story.append(self.p(f"The first {SUMMARY_SERVICES} of {len(shown)}; the full list is in the tables "
                                f"after this summary.", "small"))
        return story

    def image(self, data: bytes, max_height: float):
        from reportlab.lib.utils import ImageReader
        from reportlab.platypus import Image

        w_px, h_px = ImageReader(io.BytesIO(data)).getSize()
        width = min(self.width, max_height * w_px / h_px)
        return Image(io.BytesIO(data), width=width, height=width * h_px / w_px)

    def grid(self, shown: pd.DataFrame):
        """A table of text with a header row repeated on every page it runs to."""
        from reportlab.lib import colors
        from reportlab.platypus import Table as PdfTable
        from reportlab.platypus import TableStyle

        rows = [[self.p(str(c), "th") for c in shown.columns]]
        rows += [[self.p(str(c), "td") for c in row] for row in shown.itertuples(index=False)]
        grid = PdfTable(rows, colWidths=_column_widths(shown, self.width), repeatRows=1, hAlign="LEFT")
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                                  ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#efefef")),
                                  ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]))
        return grid

    def full_tables(self) -> list:
        """Every table in full, from page 3."""
        from reportlab.lib.units import mm

        story = [self.p("The full tables", "title")]
        for table in self.profile.tables:
            story += [self.p(table.title, "h2")] + ([self.p(table.intro, "intro")] if table.intro else [])
            if table.image and table.key == "spine":   # drawn in the summary; its figures follow here
                story.append(self.p("The chart is on page 2; its figures are below.", "small"))
            elif table.image:
                story += [self.image(table.image, self.height - 30 * mm), self.p(table.image_alt, "small")]
            story += [self.p(table.caption, "caption"), self.grid(table.shown)]
            story += [self.p(n, "small") for n in table.notes]
        return story

    def method(self) -> list:
        """How the figures were made, and the sources and licences of every one."""
        story = [self.p("Method: about these figures", "h2")] + [self.p(n, "small") for n in self.profile.notes]
        return story + [self.p("Sources and licences", "h2")] + [self.p(s, "small") for s in self.profile.sources]


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
