"""The meeting pages: scheduling with invitations by mail, the calendar file, the dashboard."""

from __future__ import annotations

from email import message_from_bytes
from typing import Any

from icalendar import Calendar

from app.mail import Mailer, Message
from app.wiring import Services
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast, field_error, flashes, text_of
from tests.factories.meetings import make_meeting, meeting_form


def parsed(data: bytes) -> Any:
    """The calendar (as Any: icalendar types each property as a union)."""
    return Calendar.from_ical(data)


def calendar_of(message: Message) -> tuple[str, Any]:
    (attachment,) = message.attachments
    assert attachment.filename == "invite.ics"
    cal = parsed(attachment.data)
    return attachment.content_type, cal


async def test_faculty_schedule_a_meeting_and_every_invitee_gets_an_ics(
    services: Services, cast: Cast, signed_in: SignedIn, outbox: list[Message]
) -> None:
    http = await signed_in(cast.faculty)
    form = meeting_form(
        invitee_ids=[str(cast.learner.id), str(cast.admin.id)],
        guests="Dr Guest <guest@partner.example.com>",
        recurrence="weekly",
        count="6",
    )
    response = await http.form("/meetings/new", form)
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert sorted(m.to for m in outbox) == sorted(
        [cast.learner.email, cast.admin.email, "guest@partner.example.com"]
    )
    for message in outbox:
        content_type, cal = calendar_of(message)
        assert content_type.startswith("text/calendar; method=REQUEST")
        assert str(cal["METHOD"]) == "REQUEST"
        (event,) = cal.walk("VEVENT")
        assert str(event["SUMMARY"]) == "Operations huddle"
        assert event["RRULE"]["COUNT"] == [6]
        # one ATTENDEE: the recipient alone, not the whole list
        assert str(event["ATTENDEE"]) == f"mailto:{message.to}"
        assert str(event["ORGANIZER"]) == f"mailto:{cast.faculty.email}"
        assert message.subject == "Invitation: Operations huddle"
    guest_mail = next(m for m in outbox if m.to == "guest@partner.example.com")
    # guests have no account: their link, of their own, goes straight to the meeting's room
    assert f"Details: http://127.0.0.1:8000{location}" not in guest_mail.body
    assert f"Join: http://127.0.0.1:8000{location}/join/" in guest_mail.body
    learner_mail = next(m for m in outbox if m.to == cast.learner.email)
    assert f"Join: http://127.0.0.1:8000{location}/room" in learner_mail.body
    page = await http.get(location)
    assert "3 invitations sent" in " ".join(flashes(page.text))
    text = text_of(page.text)
    assert "Mon 07 Dec 2026, 09:00 EST" in text and "Dr Guest" in text

    learner = await signed_in(cast.learner)
    seen = await learner.get(location)
    assert seen.status_code == 200
    assert "guest@partner.example.com" not in seen.text  # the list is the organizer's
    dashboard = text_of((await learner.get("/dashboard")).text)
    assert "Upcoming meetings" in dashboard and "Operations huddle" in dashboard
    ics = await learner.get(location + ".ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    cal = parsed(ics.content)
    assert str(cal["METHOD"]) == "PUBLISH"
    other = await signed_in(cast.other_faculty)
    assert (await other.get(location + ".ics")).status_code == 404
    assert (await other.get(location)).status_code == 404


async def test_bad_input_shows_the_form_again_with_messages(
    cast: Cast, signed_in: SignedIn, outbox: list[Message]
) -> None:
    http = await signed_in(cast.faculty)
    response = await http.form(
        "/meetings/new",
        meeting_form(
            timezone="Nowhere/Land",
            ends_at="2026-12-07T08:00",
            guests="not-an-address",
            title="<script>alert(1)</script>",
        ),
    )
    assert response.status_code == 422
    assert "not a time zone" in (field_error(response.text, "timezone") or "")
    assert "line 1" in (field_error(response.text, "guests") or "")
    assert "<script>alert(1)</script>" not in response.text
    assert outbox == []
    again = await http.form("/meetings/new", meeting_form(ends_at="2026-12-07T08:00"))
    assert "end after it starts" in (field_error(again.text, "ends_at") or "")


async def test_edit_and_cancel_send_updates_and_cancellations(
    services: Services, cast: Cast, signed_in: SignedIn, outbox: list[Message]
) -> None:
    change = await make_meeting(
        services, cast.faculty, invitees=[cast.learner], guests="gone@example.org"
    )
    meeting_id = change.meeting.id
    http = await signed_in(cast.faculty)
    edit = await http.get(f"/meetings/{meeting_id}/edit")
    assert edit.status_code == 200 and "gone@example.org" in edit.text
    response = await http.form(
        f"/meetings/{meeting_id}/edit",
        meeting_form(title="Moved huddle", invitee_ids=[str(cast.learner.id)], guests=""),
    )
    assert response.status_code == 303
    by_to = {m.to: m for m in outbox}
    assert by_to[cast.learner.email].subject == "Updated invitation: Moved huddle"
    _, cal = calendar_of(by_to[cast.learner.email])
    (event,) = cal.walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1 and str(event["UID"]) == change.meeting.uid
    _, gone = calendar_of(by_to["gone@example.org"])
    assert str(gone["METHOD"]) == "CANCEL"

    outbox.clear()
    response = await http.form(f"/meetings/{meeting_id}/cancel")
    assert response.status_code == 303
    (message,) = outbox
    assert message.subject == "Cancelled: Moved huddle"
    content_type, cal = calendar_of(message)
    assert "method=CANCEL" in content_type
    (event,) = cal.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 2
    page = text_of((await http.get(f"/meetings/{meeting_id}")).text)
    assert "This meeting was cancelled" in page
    assert (await http.form(f"/meetings/{meeting_id}/cancel")).status_code == 409


async def test_an_invited_learner_may_not_edit_and_learners_may_not_schedule(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    change = await make_meeting(services, cast.faculty, invitees=[cast.learner])
    learner = await signed_in(cast.learner)
    for response in (
        await learner.get("/meetings/new"),
        await learner.get(f"/meetings/{change.meeting.id}/edit"),
    ):
        assert response.status_code == 403
        assert "This needs the faculty or admin role; your account is learner." in text_of(
            response.text
        )
    listing = text_of((await learner.get("/meetings")).text)
    assert "Operations huddle" in listing and "Schedule a meeting" not in listing


def test_the_mailer_attaches_files_and_logs_them_without_smtp() -> None:
    from app.mail import Attachment

    message = Message(
        "a@example.org",
        "Invitation",
        "Hello",
        (Attachment("invite.ics", "text/calendar; method=REQUEST", b"BEGIN:X"),),
    )
    composed = message_from_bytes(Mailer("", "Rounds <r@example.org>").compose(message).as_bytes())
    parts = [p for p in composed.walk() if p.get_filename()]
    assert [p.get_filename() for p in parts] == ["invite.ics"]
    assert parts[0].get_content_type() == "text/calendar"
    assert parts[0].get_param("method") == "REQUEST"
    assert parts[0].get_payload(decode=True) == b"BEGIN:X"


async def test_without_smtp_the_log_says_which_attachments_would_have_gone() -> None:
    from structlog.testing import capture_logs

    from app.mail import Attachment

    message = Message(
        "a@example.org",
        "Invitation",
        "Hello",
        (Attachment("invite.ics", "text/calendar; method=REQUEST", b"BEGIN:X"),),
    )
    with capture_logs() as logs:
        await Mailer("", "Rounds <r@example.org>").send(message)
    (entry,) = [e for e in logs if e["event"] == "mail.not_sent_no_smtp"]
    assert entry["attachments"] == ["invite.ics (text/calendar; method=REQUEST, 7 bytes)"]
