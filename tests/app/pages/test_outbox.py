"""The outbox page (/admin/outbox): administrators only; the mail newest first, a page at a
time, filtered by recipient; bodies shown as text; whether SMTP is configured said plainly;
bad queries answered with what to fix; reached from the settings page."""

from __future__ import annotations

import re

from app.mail import Mailer, Message
from app.mail_records import PAGE_SIZE, MailLog
from app.wiring import Services
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, text_of
from tests.conftest import Client


async def send(services: Services, to: str, subject: str, body: str = "Hello",
               kind: str = "reminder") -> None:
    await services.mailer.send(Message(to, subject, body, kind=kind))


def subjects(page: str) -> list[str]:
    return [text_of(s) for s in re.findall(r'<h2 class="mail-subject">(.*?)</h2>', page, re.S)]


async def test_admins_read_the_mail_newest_first_with_bodies_as_text(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    await send(services, "ann@example.org", "First")
    await send(services, "bo@example.org", "Second <i>news</i>",
               body="Agenda:\n<script>alert('x')</script>\n& more", kind="invitation")
    admin = await signed_in(cast.admin)
    page = await admin.get("/admin/outbox")
    assert page.status_code == 200
    assert subjects(page.text) == ["Second <i>news</i>", "First"]
    assert "<script>alert" not in page.text and "<i>news</i>" not in page.text
    assert ("<pre class=\"mail-body\">Agenda:\n&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;\n"
            "&amp; more</pre>") in page.text
    text = text_of(page.text)
    assert "To bo@example.org" in text and "What invitation" in text
    assert "not delivered (no SMTP)" in text


async def test_it_says_plainly_whether_smtp_is_configured(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    admin = await signed_in(cast.admin)
    text = text_of((await admin.get("/admin/outbox")).text)
    assert ("SMTP is not configured, so nothing was delivered; this is what would have been "
            "sent.") in text
    assert "No mail yet." in text
    services.mailer = Mailer("smtp://mail.example.org:587", "Rounds <r@example.org>",
                             recorder=MailLog(services.db, services.clock))
    text = text_of((await admin.get("/admin/outbox")).text)
    assert "SMTP is configured." in text and "nothing was delivered" not in text


async def test_pages_and_the_recipient_filter(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    for n in range(PAGE_SIZE + 2):
        await send(services, "gil@example.org" if n < 3 else "hal@example.org", f"Note {n}")
    admin = await signed_in(cast.admin)
    first = await admin.get("/admin/outbox")
    assert len(subjects(first.text)) == PAGE_SIZE
    assert subjects(first.text)[0] == f"Note {PAGE_SIZE + 1}"
    assert 'href="/admin/outbox?recipient=&amp;page=2" rel="next">Older' in first.text
    assert 'rel="prev"' not in first.text
    second = await admin.get("/admin/outbox?page=2")
    assert subjects(second.text) == ["Note 1", "Note 0"]
    assert 'href="/admin/outbox?recipient=&amp;page=1" rel="prev">Newer' in second.text
    assert 'rel="next"' not in second.text
    filtered = await admin.get("/admin/outbox", params={"recipient": "GIL@"})
    assert subjects(filtered.text) == ["Note 2", "Note 1", "Note 0"]
    assert 'value="GIL@"' in filtered.text
    nobody = await admin.get("/admin/outbox", params={"recipient": "zed"})
    assert "No mail to an address containing “zed”." in text_of(nobody.text)


async def test_bad_queries_say_what_to_fix(cast: Cast, signed_in: SignedIn) -> None:
    admin = await signed_in(cast.admin)
    for bad in ("0", "two", "99999999999999999999999"):
        page = await admin.get("/admin/outbox", params={"page": bad})
        assert page.status_code == 400
        assert "Page: Enter a whole number from 1 to 10000." in text_of(page.text)
    long = await admin.get("/admin/outbox", params={"recipient": "x" * 321})
    assert long.status_code == 400
    assert "An address has at most 320 characters" in text_of(long.text)


async def test_only_administrators_open_it(
    cast: Cast, signed_in: SignedIn, client: Client
) -> None:
    anonymous = await client.get("/admin/outbox")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/signin")
    for person in (cast.learner, cast.faculty, cast.other_faculty):
        assert (await (await signed_in(person)).get("/admin/outbox")).status_code == 403


async def test_the_settings_page_links_the_outbox(cast: Cast, signed_in: SignedIn) -> None:
    page = await (await signed_in(cast.admin)).get("/admin/settings")
    assert '<a href="/admin/outbox">the outbox</a>' in page.text


async def test_a_password_reset_is_listed_with_its_link_hidden(
    services: Services, cast: Cast, signed_in: SignedIn, client: Client
) -> None:
    response = await client.form("/password/forgot", {"email": cast.learner.email})
    assert response.status_code == 200
    page = await (await signed_in(cast.admin)).get(
        "/admin/outbox", params={"recipient": cast.learner.email})
    assert subjects(page.text) == ["Reset your Rounds password"]
    assert "To choose a new password, open:\n[hidden]\n" in page.text
    assert "/password/reset/" not in page.text
