"""The outbox: the mail Rounds sent, or in development would have sent (``MailRecord``).

Administrators only. Newest first, ``PAGE_SIZE`` a page, filtered by (part of) the recipient's
address. It says plainly whether SMTP is configured: without it nothing was delivered, and
these are the messages as they would have gone out."""

from __future__ import annotations

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app.auth import require_admin, services_of
from app.mail_records import MAX_PAGE, MAX_RECIPIENT, PAGE_SIZE, OutboxPage, outbox_page
from app.pages._forms import render
from courses._fields import whole

log = structlog.get_logger(__name__)


def _query(request: Request) -> tuple[str, int | None, dict[str, str]]:
    """The recipient filter and the page number asked for, and what is wrong with them."""
    errors: dict[str, str] = {}
    recipient = request.query_params.get("recipient", "")
    if len(recipient) > MAX_RECIPIENT:
        errors["recipient"] = (f"An address has at most {MAX_RECIPIENT} characters; "
                               "search by part of it.")
    elif "\x00" in recipient:
        errors["recipient"] = "Type the address, or part of it, as plain text."
    page_text = request.query_params.get("page", "").strip() or "1"
    page = whole(page_text, "page", errors, 1, MAX_PAGE)
    if "page" in errors:
        errors["page"] = f"Page: {errors['page']}"
    return recipient.replace("\x00", "")[:MAX_RECIPIENT], page, errors


async def outbox(request: Request) -> Response:
    admin = require_admin(request)
    services = services_of(request)
    recipient, page, errors = _query(request)
    if errors or page is None:
        shown = OutboxPage([], 1, False, recipient.strip())
    else:
        async with services.unit() as unit:
            shown = await outbox_page(unit.session, recipient=recipient, page=page)
        log.info("outbox.viewed", admin_id=admin.id, page=shown.page,
                 filtered=bool(shown.recipient), shown=len(shown.records))
    return render(
        request,
        "admin/outbox.html",
        {
            "view": shown,
            "errors": errors,
            "smtp_configured": services.mailer.configured,
            "page_size": PAGE_SIZE,
        },
        status=400 if errors else 200,
    )


ROUTES: list[BaseRoute] = [Route("/admin/outbox", outbox, name="admin_outbox")]
