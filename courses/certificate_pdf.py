"""A certificate as a one-page PDF (landscape US Letter), drawn with ReportLab from the
``Certificate`` row alone, so the same row gives the same bytes.

Printed: the provider, the certificate's title (completion, or participation), the learner's
name, the activity and its course, format, dates, location, completion date, the credits by
type (with CEUs for pharmacy), the accreditation and designation statements, and the
verification code with a QR code of the public verification address (drawn as vector
squares, from ``segno``'s matrix).

Fonts: DejaVu Sans where the system has it (it covers Latin, Greek, Cyrillic and Vietnamese
names), else the Bitstream Vera fonts that ship with ReportLab; both are embedded.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import reportlab
import segno
from reportlab.lib.colors import Color, white
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from courses.certificates import (
    PARTICIPATION_TITLE,
    credit_lines,
    long_date,
    statements,
    title_of,
)
from courses.models import Certificate

PAGE_WIDTH, PAGE_HEIGHT = landscape(letter)
MARGIN = 54.0
INK = Color(0.11, 0.15, 0.22)
ACCENT = Color(0.05, 0.33, 0.47)
MUTED = Color(0.35, 0.38, 0.42)
QR_SIZE = 92.0

_SYSTEM_FONTS = Path("/usr/share/fonts/truetype/dejavu")
_BUNDLED_FONTS = Path(reportlab.__file__).resolve().parent / "fonts"


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str


def fonts() -> Fonts:
    """Register the certificate's fonts with ReportLab once; their names."""
    candidates = (
        ("RoundsSans", _SYSTEM_FONTS / "DejaVuSans.ttf", _SYSTEM_FONTS / "DejaVuSans-Bold.ttf"),
        ("RoundsVera", _BUNDLED_FONTS / "Vera.ttf", _BUNDLED_FONTS / "VeraBd.ttf"),
    )
    for name, regular, bold in candidates:
        if not (regular.is_file() and bold.is_file()):
            continue
        registered = set(pdfmetrics.getRegisteredFontNames())
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(regular)))
        if f"{name}-Bold" not in registered:
            pdfmetrics.registerFont(TTFont(f"{name}-Bold", str(bold)))
        return Fonts(name, f"{name}-Bold")
    return Fonts("Helvetica", "Helvetica-Bold")  # pragma: no cover - ReportLab ships Vera


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


def render(certificate: Certificate, base_url: str) -> bytes:
    """The certificate's PDF; ``base_url`` is the site's public address (the QR code and the
    printed link point at ``{base_url}/verify/{code}``)."""
    face = fonts()
    url = verify_url(base_url, certificate.code)
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    title = title_of(certificate)
    pdf.setTitle(f"{title}: {certificate.activity_title}")
    pdf.setAuthor(certificate.provider_name)
    pdf.setSubject(f"{certificate.learner_name}, verification code {certificate.code}")
    pdf.setCreator("Rounds")
    _frame(pdf)
    y = PAGE_HEIGHT - MARGIN - 20
    y = _centred(pdf, certificate.provider_name, face.bold, 14, y, ACCENT)
    y = _centred(pdf, title, face.regular, 30, y - 14, INK)
    y = _centred(pdf, "This certifies that", face.regular, 12, y - 10, MUTED)
    y = _centred(pdf, certificate.learner_name, face.bold, 26, y - 6, INK, shrink_to=16)
    participation = title == PARTICIPATION_TITLE
    y = _centred(
        pdf, "participated in" if participation else "has completed", face.regular, 12, y - 4, MUTED
    )
    y = _centred(pdf, certificate.activity_title, face.bold, 18, y - 4, INK, lines=2)
    if certificate.course_title and certificate.course_title != certificate.activity_title:
        y = _centred(pdf, f"Part of {certificate.course_title}", face.regular, 11, y - 2, MUTED)
    details = [certificate.activity_format, certificate.activity_dates]
    if certificate.location:
        details.append(certificate.location)
    y = _centred(pdf, " · ".join(d for d in details if d), face.regular, 11, y - 2, INK)
    y = _centred(
        pdf, f"Completed on {long_date(certificate.completed_on)}", face.regular, 11, y - 2, INK
    )
    y -= 10
    for line in credit_lines(certificate):
        text = f"{line.credits} {line.unit}"
        if line.ceus is not None:
            text += f" ({line.ceus.normalize():f} CEUs)"
        # "1.00 AMA PRA Category 1 Credits™" names itself; "0.67 contact hours" needs its type
        if not line.is_participation and line.label.split()[0] not in line.unit:
            text = f"{line.label}: {text}"
        y = _centred(pdf, text, face.bold, 14, y - 2, ACCENT)
    reserved = _verification(pdf, face, certificate.code, url)
    _statements(
        pdf, face, statements(certificate), top=y - 14, right=PAGE_WIDTH - MARGIN - reserved
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _frame(pdf: Canvas) -> None:
    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(2.5)
    pdf.rect(24, 24, PAGE_WIDTH - 48, PAGE_HEIGHT - 48)
    pdf.setLineWidth(0.75)
    pdf.rect(31, 31, PAGE_WIDTH - 62, PAGE_HEIGHT - 62)


def _centred(
    pdf: Canvas,
    text: str,
    font: str,
    size: float,
    top: float,
    color: Color,
    *,
    lines: int = 1,
    shrink_to: float | None = None,
) -> float:
    """Draw ``text`` centred below ``top``, wrapped to ``lines`` lines (shrinking the font to
    ``shrink_to`` first, when given); the baseline below the last line."""
    width = PAGE_WIDTH - 2 * MARGIN
    smallest = shrink_to or size
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 1
    wrapped = simpleSplit(text, font, size, width) or [""]
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], _fit(" ".join(wrapped[lines - 1 :]), font, size, width)]
    pdf.setFillColor(color)
    pdf.setFont(font, size)
    y = top
    for line in wrapped:
        y -= size * 1.2
        pdf.drawCentredString(PAGE_WIDTH / 2, y, line)
    return y


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width``."""
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _statements(
    pdf: Canvas, face: Fonts, texts: Sequence[str], *, top: float, right: float
) -> None:
    """The accreditation and designation statements, bottom left up to ``right`` (beside the
    verification block), smaller until they fit between ``top`` and the bottom margin."""
    if not texts:
        return
    width = right - MARGIN - 24
    bottom = MARGIN - 6
    size = 8.5
    while True:
        leading = size * 1.25
        blocks = [simpleSplit(t, face.regular, size, width) for t in texts]
        height = sum(len(b) for b in blocks) * leading + (len(blocks) - 1) * leading * 0.4
        if bottom + height <= top or size <= 5.5:
            break
        size -= 0.5
    pdf.setFillColor(INK)
    pdf.setFont(face.regular, size)
    y = bottom + height
    for block in blocks:
        for line in block:
            y -= leading
            pdf.drawString(MARGIN, y, line)
        y -= leading * 0.4


def _verification(pdf: Canvas, face: Fonts, code: str, url: str) -> float:
    """The QR code of the verification address, bottom right, the code and address below;
    the width the block takes from the right margin."""
    right = PAGE_WIDTH - MARGIN
    left = right - QR_SIZE
    bottom = MARGIN + 14
    _qr(pdf, url, left, bottom, QR_SIZE)
    pdf.setFillColor(INK)
    pdf.setFont(face.bold, 9)
    pdf.drawRightString(right, bottom - 10, f"Verification code {code}")
    pdf.setFont(face.regular, 6.5)
    pdf.setFillColor(MUTED)
    pdf.drawRightString(right, bottom - 19, url)
    widths = (
        pdfmetrics.stringWidth(f"Verification code {code}", face.bold, 9),
        pdfmetrics.stringWidth(url, face.regular, 6.5),
    )
    return max(float(QR_SIZE), *(float(w) for w in widths))


def _qr(pdf: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """A QR code (error correction M, quiet zone included) as filled squares."""
    code = segno.make(payload, error="m", micro=False)
    matrix = code.matrix
    quiet = 4
    modules = len(matrix) + 2 * quiet
    unit = size / modules
    pdf.setFillColor(white)
    pdf.rect(x, y, size, size, stroke=0, fill=1)
    pdf.setFillColor(Color(0, 0, 0))
    path = pdf.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + quiet + 1) * unit
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(x + (start + quiet) * unit, top, (column - start) * unit, unit)
    pdf.drawPath(path, stroke=0, fill=1)
