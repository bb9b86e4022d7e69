"""Files for the CME office: ACCME PARS activity and learner data (``pars``) and the CPE
Monitor upload for pharmacy credit (``cpe_monitor``), plus what they share: US dates, names
split for the forms, and cells a spreadsheet will not run as formulas."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from courses.models import Organization

# Leading words that are not part of a name, and trailing ones that belong to the last name.
_TITLES = frozenset({"dr", "dr.", "prof", "prof.", "mr", "mr.", "mrs", "mrs.", "ms", "ms."})
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def us_date(day: date | None) -> str:
    """MM/DD/YYYY, as the PARS and CPE Monitor templates write dates; "" for none."""
    return day.strftime("%m/%d/%Y") if day else ""


def split_name(display_name: str) -> tuple[str, str]:
    """(first, last) from a name as the learner wrote it: the last word is the last name.

    Credentials after a comma ("Jane Doe, MD") and a leading title ("Dr.") are dropped; a
    generational suffix stays with the last name ("Martin Luther King Jr." -> "Martin Luther",
    "King Jr.")."""
    words = display_name.split(",", 1)[0].split()
    while len(words) > 1 and words[0].lower() in _TITLES:
        words = words[1:]
    if not words:
        return "", ""
    if len(words) > 2 and words[-1].lower() in _SUFFIXES:
        return " ".join(words[:-2]), " ".join(words[-2:])
    return " ".join(words[:-1]), words[-1]


def spreadsheet_safe(cells: Iterable[str]) -> list[str]:
    """Cells for a CSV someone opens in a spreadsheet: text starting with = + - @ would run as
    a formula there, so it gets a leading apostrophe."""
    return ["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in cells]


@dataclass(frozen=True)
class Provider:
    """The accredited provider as reports name it."""

    name: str
    accme_provider_id: str = ""
    acpe_provider_number: str = ""


async def provider_of(session: AsyncSession) -> Provider:
    """The organization running Rounds (its one row); "Rounds" before it is set up."""
    found = (await session.exec(select(Organization).limit(1))).first()
    if found is None:
        return Provider("Rounds")
    return Provider(found.name, found.accme_provider_id, found.acpe_provider_number)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A CSV file: the header row, then ``rows``, each cell made spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(spreadsheet_safe(row) for row in rows)
    return buffer.getvalue()
