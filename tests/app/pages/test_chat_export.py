"""GET /admin/activities/{id}/chat.csv: a live session's chat transcript for its faculty and
administrators (app.pages.chat)."""

from __future__ import annotations

import csv
import io

from app.wiring import Services
from courses.chat import ChatService
from tests.app.pages.conftest import SignedIn
from tests.app.pages.helpers import Cast
from tests.factories.catalog import make_course, make_live


async def test_faculty_download_the_transcript_and_others_cannot(
    services: Services, cast: Cast, signed_in: SignedIn
) -> None:
    course = await make_course(services, cast.admin, faculty_ids=[cast.faculty.id])
    live = await make_live(services, cast.admin, course, starts_at=services.clock.now())
    async with services.unit() as unit:
        for who, audience, text in [
            (cast.learner, "hosts", "+1 <b>question</b>"),
            (cast.faculty, "everyone", "Welcome"),
        ]:
            await ChatService(unit.session, unit.clock).record(
                room_id=f"activity-{live.id}",
                participant_id=f"p-{who.id}",
                user_id=who.id,
                sender_name=who.display_name,
                audience=audience,
                text=text,
            )
    url = f"/admin/activities/{live.id}/chat.csv"
    for staff in (cast.faculty, cast.admin):
        http = await signed_in(staff)
        response = await http.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert f'filename="chat-activity-{live.id}.csv"' in response.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows == [
            ["sent_at", "sender", "audience", "text"],
            ["2026-12-01 07:00:00 EST", "Lea Learner", "hosts", "'+1 <b>question</b>"],
            ["2026-12-01 07:00:00 EST", "Fay Faculty", "everyone", "Welcome"],
        ]
    for outsider in (cast.learner, cast.other_faculty):
        http = await signed_in(outsider)
        refused = await http.get(url)
        assert refused.status_code in (403, 404), outsider.display_name
        assert "Welcome" not in refused.text
    missing = await (await signed_in(cast.admin)).get("/admin/activities/999999/chat.csv")
    assert missing.status_code == 404
