"""A plain A4/Letter-neutral PDF of tables (transcripts), drawn with reportlab's platypus.

Text goes through ``Paragraph``, so every cell is escaped and wraps inside its column; the
header row repeats on each page and every page is numbered."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

MARGIN = 0.6 * inch
HEADER_BACKGROUND = colors.HexColor("#e8eef5")
RULE = colors.HexColor("#9aa7b4")


@dataclass(frozen=True)
class PdfSection:
    """One table: a heading, the header row, the rows, and an optional total row."""

    heading: str
    header: list[str]
    rows: list[list[str]]
    total: list[str] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)
    """Each column's share of the page width (summing to 1); even shares when empty."""


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": base["Title"],
        "heading": base["Heading2"],
        "body": base["BodyText"],
        "cell": ParagraphStyle("cell", parent=base["BodyText"], fontSize=8.5, leading=10.5),
        "head": ParagraphStyle(
            "head", parent=base["BodyText"], fontSize=8.5, leading=10.5, fontName="Helvetica-Bold"
        ),
        "small": ParagraphStyle(
            "small", parent=base["BodyText"], fontSize=8, textColor=colors.HexColor("#555555")
        ),
    }


def _widths(section: PdfSection, width: float) -> list[float]:
    shares = section.widths or [1 / len(section.header)] * len(section.header)
    return [width * share for share in shares]


def _table(section: PdfSection, width: float, styles: dict[str, ParagraphStyle]) -> Table:
    def cells(row: Sequence[str], style: ParagraphStyle) -> list[Paragraph]:
        return [Paragraph(escape(text), style) for text in row]

    data = [cells(section.header, styles["head"])]
    data += [cells(row, styles["cell"]) for row in section.rows]
    if section.total:
        data.append(cells(section.total, styles["head"]))
    table = Table(data, colWidths=_widths(section, width), repeatRows=1)
    commands: list[tuple[object, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BACKGROUND),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if section.total:
        commands.append(("LINEABOVE", (0, -1), (-1, -1), 1, colors.black))
    table.setStyle(TableStyle(commands))
    return table


def table_pdf(
    *,
    title: str,
    lines: Sequence[str],
    sections: Sequence[PdfSection],
    summary: Sequence[str],
    footer: str,
) -> bytes:
    """A PDF: ``title``, the ``lines`` under it, each section's table, the ``summary`` lines,
    and ``footer`` at the foot of every page with the page number."""
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
    )
    story: list[Flowable] = [Paragraph(escape(title), styles["title"])]
    story += [Paragraph(escape(line), styles["body"]) for line in lines]
    for section in sections:
        story.append(Spacer(1, 0.15 * inch))
        story.append(Paragraph(escape(section.heading), styles["heading"]))
        story.append(_table(section, doc.width, styles))
    story.append(Spacer(1, 0.2 * inch))
    story.append(Paragraph("Totals", styles["heading"]))
    story += [Paragraph(escape(line), styles["body"]) for line in summary]

    def foot(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(MARGIN, MARGIN / 2, footer)
        canvas.drawRightString(LETTER[0] - MARGIN, MARGIN / 2, f"Page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=foot, onLaterPages=foot)
    return buffer.getvalue()
