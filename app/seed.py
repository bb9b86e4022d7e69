"""The demo organisation for a first run: people, two courses, live and on-demand activities.

Demo passwords are made fresh on the first run and kept in ``DATA_DIR/demo-logins.txt``
(readable by its owner only), so nothing secret sits in the repository.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from app.seed_credit import seed_past_session, seed_provider, seed_upcoming
from app.seed_meetings import guest_link_file, seed_meeting
from app.settings import Settings
from app.wiring import Services
from courses.models import Role

log = structlog.get_logger(__name__)

DOMAIN = "demo.rounds.example"
PEOPLE = [
    ("admin", "Avery Admin (CME office)", Role.ADMIN, None),
    ("faculty", "Dr. Farah Okafor", Role.FACULTY, "MD"),
    ("learner", "Dr. Lee Park", Role.LEARNER, "MD"),
    ("nurse", "Nina Ruiz, RN", Role.LEARNER, "RN"),
]


def logins_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-logins.txt"


def _next_weekday_at(now: datetime, zone: str, hour: int, days: int) -> datetime:
    local = (now + timedelta(days=days)).astimezone(ZoneInfo(zone))
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)


async def seed_demo(services: Services) -> dict[str, str]:
    """Create the demo data; returns email -> password. Refuses if any user exists."""
    now = services.clock.now()
    passwords: dict[str, str] = {}
    async with services.unit() as unit:
        if await unit.accounts.count():
            raise RuntimeError("seed-demo only runs on an empty database")
        await unit.accounts.update_organization(
            name="Riverside Health Continuing Education", signup_enabled=True
        )
        users = {}
        for handle, name, role, degree in PEOPLE:
            email = f"{handle}@{DOMAIN}"
            password = secrets.token_urlsafe(9)
            user = await unit.accounts.create(
                email=email, password=password, display_name=name, role=role
            )
            if degree:
                await unit.accounts.update_profile(
                    user.id or 0, {"display_name": name, "degree": degree}
                )
            users[handle] = user
            passwords[email] = password
        admin, faculty = users["admin"], users["faculty"]
        zone = "America/New_York"

        cardio = await unit.catalog.create_course(
            {
                "title": "Heart Failure Grand Rounds",
                "summary": "Monthly grand rounds on guideline-directed therapy for heart failure.",
                "description": (
                    "A case-based live series for physicians, nurses and pharmacists caring for "
                    "patients with heart failure. Each session reviews a recent guideline change "
                    "and a de-identified case, with time for questions.\n\n"
                    "Learning objectives: apply the four pillars of GDMT to HFrEF; recognise "
                    "when to refer for advanced therapies; counsel patients on diuretic "
                    "self-management."
                ),
                "tags": "cardiology, heart-failure, grand-rounds",
                "published": True,
                "capacity": 40,
                "faculty_ids": [faculty.id],
            },
            admin,
        )
        last_week = _next_weekday_at(now, zone, 12, -7)
        past = await unit.catalog.add_activity(
            cardio.id or 0,
            {
                "kind": "live",
                "title": "SGLT2 inhibitors across the ejection-fraction spectrum",
                "description": "Last week's grand rounds; attendance was taken from the room.",
                "timezone": zone,
                "starts_at": last_week,
                "ends_at": last_week + timedelta(hours=1),
                "capacity": 100,
            },
            admin,
        )
        soon = now + timedelta(minutes=10)
        gdmt = await unit.catalog.add_activity(
            cardio.id or 0,
            {
                "kind": "live",
                "title": "GDMT in 2026: what changed",
                "description": "Live session with Q&A.",
                "timezone": zone,
                "starts_at": soon.replace(second=0, microsecond=0),
                "ends_at": soon.replace(second=0, microsecond=0) + timedelta(hours=1),
                "capacity": 100,
            },
            admin,
        )
        start = _next_weekday_at(now, zone, 12, 7)
        conference = await unit.catalog.add_activity(
            cardio.id or 0,
            {
                "kind": "live",
                "title": "Case conference: cardiorenal syndrome",
                "timezone": zone,
                "starts_at": start,
                "ends_at": start + timedelta(minutes=90),
                "capacity": 100,
            },
            admin,
        )
        await unit.catalog.add_activity(
            cardio.id or 0,
            {"kind": "on_demand", "title": "Diuretic titration: a 20-minute primer",
             "duration_minutes": 20},
            admin,
        )

        opioids = await unit.catalog.create_course(
            {
                "title": "Safe Opioid Prescribing",
                "summary": "Self-paced modules on risk assessment, tapering and naloxone.",
                "description": (
                    "On-demand modules that meet common state requirements for opioid "
                    "prescribing education, with a live office hour each quarter."
                ),
                "tags": "pharmacology, opioids, pain",
                "published": True,
                "capacity": 2,
                "faculty_ids": [faculty.id],
            },
            admin,
        )
        for title, minutes in (("Assessing risk before the first prescription", 30),
                               ("Tapering without harm", 25)):
            await unit.catalog.add_activity(
                opioids.id or 0, {"kind": "on_demand", "title": title, "duration_minutes": minutes},
                admin,
            )
        office = _next_weekday_at(now, zone, 17, 14)
        await unit.catalog.add_activity(
            opioids.id or 0,
            {"kind": "live", "title": "Quarterly office hour", "timezone": zone,
             "starts_at": office, "ends_at": office + timedelta(hours=1), "capacity": 50},
            admin,
        )
        await unit.enrollment.enroll(cardio.id or 0, users["learner"].id or 0,
                                     actor=users["learner"])
        await unit.enrollment.enroll(opioids.id or 0, users["nurse"].id or 0,
                                     actor=users["nurse"])
        await unit.enrollment.enroll(cardio.id or 0, users["nurse"].id or 0,
                                     actor=users["nurse"])

        # continuing-education credit: the provider, and what each session is designated for
        await seed_provider(unit, admin, "Riverside Health Continuing Education")
        await seed_upcoming(unit, admin, faculty, gdmt,
                            {"AMA_PRA_1": "1.00", "ANCC": "1.00", "ACPE": "1.00"})
        await seed_upcoming(unit, admin, faculty, conference,
                            {"AMA_PRA_1": "1.50", "ANCC": "1.50"})
        await seed_past_session(unit, admin, faculty, past,
                                [(users["learner"], 2, 58), (users["nurse"], 0, 40)])
        # a meeting whose room opens right away, with a guest's link to try the lobby
        await seed_meeting(unit, faculty, [users["learner"], users["nurse"], admin], zone, now,
                           services.settings)

    path = logins_file(services.settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(
        "".join(f"{role.value:8} {email}  {pw}\n" for (handle, _, role, _), (email, pw) in
                zip(PEOPLE, passwords.items(), strict=True))
    )
    log.info("demo.seeded", users=len(passwords), courses=2)
    return passwords


def announce_demo(settings: Settings) -> None:
    """Print the demo logins so the person who started the server can sign in."""
    path = logins_file(settings)
    if not path.exists():
        return
    lines = path.read_text().rstrip().splitlines()
    guest = guest_link_file(settings)
    guest_lines = (
        ["  A guest's link to the demo meeting (it starts five minutes after seeding; its room",
         "  is open at once):",
         "    " + guest.read_text().strip()]
        if guest.exists() else []
    )
    banner = "\n".join(
        [
            "",
            "  Rounds demo is running at " + settings.public_url,
            "  Demo logins (role, email, password), also in " + str(path) + ":",
            *("    " + line for line in lines),
            *guest_lines,
            "",
        ]
    )
    print(banner, flush=True)
