"""A physician who attended last week's grand rounds evaluates the session, claims the credit,
downloads the certificate and finds it on the transcript; a stranger verifies the certificate by
its code. Debian's headless Chromium against a real server process, over the demo data."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from app.seed import seed_demo
from app.settings import Environment, Settings
from app.wiring import build_services
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

LEARNER_EMAIL = "learner@demo.rounds.example"
LEARNER_NAME = "Dr. Lee Park"
COURSE = "Heart Failure Grand Rounds"
ACTIVITY = "SGLT2 inhibitors across the ejection-fraction spectrum"
CODE = re.compile(r"[2-9A-Z]{3}-[2-9A-Z]{4}-[2-9A-Z]{4}")  # 11 characters, grouped 3-4-4


async def _seed(server: LiveServer) -> str:
    """The demo organisation in the running server's database; the learner's password."""
    settings = Settings(
        ROUNDS_ENV=Environment.TEST, DATA_DIR=server.data_dir, DATABASE_URL=server.database_url,
        SECRET_KEY="seed-only-secret-key-0123456789abcdefghij",
    )
    services = build_services(settings)
    try:
        passwords = await seed_demo(services)
    finally:
        await services.close()
    return passwords[LEARNER_EMAIL]


def _watch(page: Any, problems: list[str]) -> None:
    """Collect a page's script errors, console errors (a CSP violation is one), pages served
    without the Content-Security-Policy that restricts scripts to the site, and failed
    responses, other than the favicon Chromium asks for and the evaluation sent back on
    purpose with an answer missing (422)."""
    page.on("pageerror", lambda exc: problems.append(f"pageerror: {exc}"))

    def console(msg: Any) -> None:
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(f"console: {msg.text}")

    def response(resp: Any) -> None:
        expected = resp.status == 422 and resp.url.endswith("/evaluation")
        if resp.status >= 400 and not expected and not resp.url.endswith("/favicon.ico"):
            problems.append(f"{resp.status} {resp.request.method} {resp.url}")
        if resp.request.resource_type == "document" and resp.status < 300:
            policy = resp.headers.get("content-security-policy", "")
            if "script-src 'self'" not in policy or "form-action 'self'" not in policy:
                problems.append(f"CSP {policy!r} on {resp.url}")

    page.on("console", console)
    page.on("response", response)


async def test_learner_evaluates_claims_downloads_and_verifies_certificate(
    live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    password = await _seed(live_server)
    url = live_server.url
    problems: list[str] = []
    context = await browser.new_context(accept_downloads=True)
    page = await context.new_page()
    _watch(page, problems)
    try:
        # sign in
        await page.goto(url + "/signin")
        await page.get_by_label("Email").fill(LEARNER_EMAIL)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(url + "/dashboard")

        # the course, the past session, its credit page
        await page.get_by_role("link", name=COURSE).first.click()
        await page.get_by_role("heading", name=COURSE).wait_for()
        await page.get_by_role("link", name=ACTIVITY).click()
        await page.get_by_role("heading", name=ACTIVITY, exact=True).wait_for()
        assert await page.get_by_text("This live session has ended.").is_visible()
        await page.get_by_role("link", name="Credit and certificate").click()
        await page.wait_for_url(re.compile(r".*/activities/\d+/credit$"))
        activity_path = page.url.removeprefix(url).removesuffix("/credit")
        await page.get_by_role("heading", name=f"Credit: {ACTIVITY}").wait_for()
        main = page.locator("main")
        progress = await main.inner_text()
        assert "56.0 of 60.0 instructional minutes" in progress
        assert "it is required before you claim credit" in progress
        assert "Before you can claim:" in progress
        assert "Submit the evaluation first" in progress
        assert await page.get_by_role("button", name="Claim credit").count() == 0
        earned = page.get_by_role("table", name="Credit earned, by type")
        assert "1.00" in await earned.get_by_role("row", name=re.compile("AMA PRA")).inner_text()

        # the evaluation: a required answer left out is asked for, the choices kept
        await page.get_by_role("link", name="Complete the evaluation").click()
        await page.wait_for_url(url + activity_path + "/evaluation")
        await page.get_by_role("heading", name=f"Activity evaluation: {ACTIVITY}").wait_for()
        choices = [
            ("1. The activity met its stated objectives.", "Strongly agree"),
            ("2. The content was free of commercial bias.", "Agree"),
            ("3. I will change my practice as a result of this activity.", "Agree"),
        ]
        for legend, answer in choices:
            group = page.get_by_role("group", name=legend)
            await group.get_by_label(answer, exact=True).check()
        submit = page.get_by_role("button", name="Submit the evaluation")
        await submit.click()
        alert = page.get_by_role("alert")
        await alert.wait_for()
        assert "Please correct the following" in await alert.inner_text()
        assert "Question 4: This question needs an answer." in await alert.inner_text()
        for legend, answer in choices:
            group = page.get_by_role("group", name=legend)
            assert await group.get_by_label(answer, exact=True).is_checked()
        await page.get_by_label("What will you change?").fill(
            "Start an SGLT2 inhibitor in HFpEF patients without contraindications."
        )
        await submit.click()
        await page.get_by_text("Thank you: your evaluation is recorded.").wait_for()
        assert await page.get_by_text("You submitted this evaluation on").is_visible()
        assert await submit.count() == 0

        # back to the credit page: the prefilled amount is claimed
        await page.get_by_role("link", name="Claim your credit").click()
        await page.wait_for_url(url + activity_path + "/credit")
        assert "Submitted, thank you" in await main.inner_text()
        assert await page.get_by_text("Submit the evaluation first").count() == 0
        amount = page.get_by_label("AMA PRA Category 1 Credit")
        assert await amount.input_value() == "1.00"
        await page.get_by_role("button", name="Claim credit").click()
        await page.get_by_text("Credit claimed. Your certificate is ready below.").wait_for()
        claimed = page.get_by_role("table", name="Credit claimed")
        row = await claimed.get_by_role("row", name=re.compile("AMA PRA")).inner_text()
        assert "1.00" in row
        assert await page.get_by_role("button", name="Claim credit").count() == 0
        meta = page.get_by_text("Verification code")
        code = await meta.locator("strong").inner_text()
        assert CODE.fullmatch(code), code
        assert f"anyone can confirm it at /verify/{code}" in await meta.inner_text()

        # the certificate PDF, through the page's link with the learner's session
        link = page.get_by_role("link", name="Download your certificate (PDF)")
        href = await link.get_attribute("href")
        assert href == f"/certificates/{code}.pdf"
        response = await page.request.get(url + href)
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        pdf = await response.body()
        (tmp_path / f"certificate-{code}.pdf").write_bytes(pdf)
        text = " ".join(
            " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages
        )
        for expected in (LEARNER_NAME, ACTIVITY, "1.00", code):
            assert expected in text, (expected, text)

        # the transcript
        await page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Transcript"
        ).click()
        await page.wait_for_url(url + "/transcript")
        await page.get_by_role("heading", name="My transcript").wait_for()
        totals = await page.locator("#totals").inner_text()
        assert "AMA PRA" in totals and "1.00" in totals, totals
        assert await page.get_by_role("link", name=ACTIVITY).is_visible()
        assert await page.get_by_role("link", name=f"Certificate {code}").is_visible()
        await page.screenshot(path=str(tmp_path / "transcript.png"), full_page=True)
    finally:
        await context.close()

    # a stranger, signed out, verifies the code
    stranger = await browser.new_context()
    page = await stranger.new_page()
    _watch(page, problems)
    try:
        await page.goto(f"{url}/verify/{code}")
        await page.get_by_role("heading", name="Valid certificate").wait_for()
        assert await page.get_by_role("link", name="Sign in").is_visible()
        facts = await page.locator("main").inner_text()
        for expected in (code, LEARNER_NAME, ACTIVITY, "1.00"):
            assert expected in facts, (expected, facts)
        html = await page.content()
        assert LEARNER_EMAIL not in html
        assert "@" not in facts
    finally:
        await stranger.close()
    assert problems == []
