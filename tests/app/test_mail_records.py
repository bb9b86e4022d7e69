"""Every message the mailer handles is recorded: "outbox" without SMTP (and still logged),
"smtp" when the server took it, "failed" with the error when it did not; secrets hidden,
attachments named; a mailer without a recorder, or whose recorder fails, still sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from sqlmodel import col, select
from structlog.testing import capture_logs

from app import invitations
from app.mail import HIDDEN, Attachment, Mailer, Message, Transport
from app.mail_records import PAGE_SIZE, MailLog, outbox_page
from app.wiring import Services
from courses.models import MailRecord, Role
from tests.factories.meetings import make_meeting
from tests.factories.people import FAST_PASSWORDS, make_user

ICS = Attachment("invite.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR")


async def records(services: Services) -> list[MailRecord]:
    async with services.unit() as unit:
        found = await unit.session.exec(select(MailRecord).order_by(col(MailRecord.id)))
        return list(found.all())


@dataclass
class SmtpSink:
    """A minimal SMTP server on localhost that accepts every message."""

    port: int = 0
    received: list[bytes] = field(default_factory=list)


async def _serve(sink: SmtpSink, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 sink ESMTP\r\n")
    while line := await reader.readline():
        verb = line.strip().split(b" ")[0].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250 sink\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go on\r\n")
            await writer.drain()
            data = b""
            while (chunk := await reader.readline()) != b".\r\n":
                data += chunk
            sink.received.append(data)
            writer.write(b"250 queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()
    writer.close()


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    server = await asyncio.start_server(lambda r, w: _serve(sink, r, w), "127.0.0.1", 0)
    sink.port = server.sockets[0].getsockname()[1]
    try:
        yield sink
    finally:
        server.close()
        await server.wait_closed()


async def test_without_smtp_the_message_is_logged_and_kept_in_the_outbox(
    services: Services,
) -> None:
    message = Message("Ann@Example.org", "Invitation: Huddle", "Hello Ann,\n\n<b>Agenda</b>",
                      (ICS,), kind="invitation")
    with capture_logs() as logs:
        await services.mailer.send(message)
    (entry,) = [e for e in logs if e["event"] == "mail.not_sent_no_smtp"]
    assert entry["to"] == "Ann@Example.org" and entry["kind"] == "invitation"
    (row,) = await records(services)
    assert (row.recipient, row.subject, row.kind) == ("Ann@Example.org", "Invitation: Huddle",
                                                      "invitation")
    assert row.body == "Hello Ann,\n\n<b>Agenda</b>"
    assert (row.transport, row.error, row.attachments) == ("outbox", "", "invite.ics")
    assert row.created_at == services.clock.now()


async def test_a_message_the_smtp_server_took_is_recorded_as_smtp(
    services: Services, smtp_sink: SmtpSink
) -> None:
    services.mailer = Mailer(f"smtp://127.0.0.1:{smtp_sink.port}", "Rounds <r@example.org>",
                             recorder=MailLog(services.db, services.clock))
    await services.mailer.send(Message("bo@example.org", "Recording ready", "It is ready.",
                                       kind="recording_ready"))
    assert len(smtp_sink.received) == 1 and b"It is ready." in smtp_sink.received[0]
    (row,) = await records(services)
    assert (row.transport, row.kind, row.error) == ("smtp", "recording_ready", "")


async def test_a_message_the_smtp_server_refused_is_recorded_as_failed_and_raised(
    services: Services,
) -> None:
    # nothing listens on port 9 of localhost (discard, never running in CI)
    services.mailer = Mailer("smtp://127.0.0.1:9", "Rounds <r@example.org>",
                             recorder=MailLog(services.db, services.clock))
    with pytest.raises(OSError):
        await services.mailer.send(Message("cy@example.org", "Reminder", "Soon.",
                                           kind="reminder"))
    (row,) = await records(services)
    assert row.transport == "failed" and row.kind == "reminder"
    assert "ConnectionRefusedError" in row.error


async def test_secrets_are_hidden_in_the_record_but_sent_in_full(services: Services) -> None:
    link = "http://testserver/password/reset/s3cret-token"
    message = Message("dee@example.org", "Reset", f"Open:\n{link}\nThanks", redact=(link, ""),
                      kind="password_reset")
    with capture_logs() as logs:
        await services.mailer.send(message)
    assert [e["body"] for e in logs if e["event"] == "mail.not_sent_no_smtp"] == [message.body]
    (row,) = await records(services)
    assert row.body == f"Open:\n{HIDDEN}\nThanks" and "s3cret" not in row.body


async def test_a_mailer_without_a_recorder_needs_no_database() -> None:
    with capture_logs() as logs:
        await Mailer("", "Rounds <r@example.org>").send(Message("e@example.org", "Hi", "Hi"))
    assert [e["event"] for e in logs] == ["mail.not_sent_no_smtp"]


async def test_a_recorder_that_fails_does_not_fail_the_mail() -> None:
    class Broken:
        async def record(self, message: Message, transport: Transport, error: str = "") -> None:
            raise RuntimeError("database away")

    with capture_logs() as logs:
        await Mailer("", "Rounds <r@example.org>", recorder=Broken()).send(
            Message("f@example.org", "Hi", "Hi", kind="reminder"))
    (entry,) = [e for e in logs if e["event"] == "mail.record_failed"]
    assert entry["transport"] == "outbox" and "database away" in entry["error"]


async def test_records_are_read_newest_first_a_page_at_a_time_and_by_recipient(
    services: Services,
) -> None:
    for n in range(PAGE_SIZE + 2):
        to = "gil@example.org" if n % 2 else "hal@example.org"
        await services.mailer.send(Message(to, f"Message {n}", "body"))
    async with services.unit() as unit:
        first = await outbox_page(unit.session)
        second = await outbox_page(unit.session, page=2)
        gil = await outbox_page(unit.session, recipient="  GIL@ ")
        none = await outbox_page(unit.session, recipient="100%_")
    assert [r.subject for r in first.records][:2] == [f"Message {PAGE_SIZE + 1}",
                                                      f"Message {PAGE_SIZE}"]
    assert len(first.records) == PAGE_SIZE and first.has_next
    assert [r.subject for r in second.records] == ["Message 1", "Message 0"]
    assert not second.has_next
    assert {r.recipient for r in gil.records} == {"gil@example.org"}
    assert gil.recipient == "GIL@" and len(gil.records) == (PAGE_SIZE + 2) // 2
    assert none.records == []


async def test_invitations_are_recorded_with_the_guests_join_link_hidden(
    services: Services,
) -> None:
    services.passwords = FAST_PASSWORDS
    organizer = await make_user(services, Role.FACULTY, name="Fay Faculty")
    change = await make_meeting(services, organizer, guests="gus@partner.example.com")
    (notice,) = change.invitations
    assert notice.guest and notice.guest_token
    (message,) = invitations.messages(change, "http://rounds.test", services.clock.now())
    assert notice.guest_token in message.body  # the guest's own copy carries it
    await invitations.send(services.mailer, change, "http://rounds.test", services.clock.now())
    (row,) = await records(services)
    assert (row.kind, row.recipient, row.attachments) == ("invitation",
                                                          "gus@partner.example.com",
                                                          "invite.ics")
    assert notice.guest_token not in row.body and HIDDEN in row.body
