"""A learner's credit for an activity: what was earned, the claim, the certificate PDF; and
the public page that verifies a certificate by its code (courses.credit, courses.claims,
courses.certificates). Administrators correct a claim from its own page."""

from __future__ import annotations

from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from app import notify
from app.api.params import path_id
from app.auth import current_user, require_admin, require_user, services_of
from app.flash import flash
from app.pages._forms import path_int, read_form, redirect, render
from app.verify_throttle import verify_throttle
from app.webhooks.events import CREDIT_CLAIMED, credit_claimed_data, publish_quietly
from courses.accreditation import AccreditationService
from courses.certificate_pdf import render as render_pdf
from courses.certificates import (
    CertificateNotFound,
    CertificateService,
    credit_lines,
    normalize_code,
)
from courses.claims import ClaimNotFound, ClaimService, labels
from courses.credit import CreditService, percent_text
from courses.credit_rules import RULES
from courses.errors import InvalidInput

log = structlog.get_logger(__name__)

MAX_CODE_TEXT = 40


# -- the learner's hub -----------------------------------------------------------------------
async def _hub(
    request: Request,
    activity_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    user = require_user(request)
    async with services_of(request).unit() as unit:
        earned = await CreditService(unit.session, unit.clock).earned(activity_id, user)
        claims = await ClaimService(unit.session, unit.clock).current_claims(user.id, activity_id)
        certificate = await CertificateService(unit.session, unit.clock).current(
            user.id or 0, activity_id
        )
        disclosures = await AccreditationService(unit.session, unit.clock).disclosures(activity_id)
    claimed = {c.credit_type for c in claims}
    open_awards = [a for a in earned.claimable if a.credit_type not in claimed]
    prefill = {a.credit_type: str(a.credits) for a in open_awards}
    return render(
        request,
        "credit/hub.html",
        {
            "earned": earned,
            "activity": earned.activity,
            "course": earned.course.course,
            "claims": labels(claims),
            "open_awards": open_awards,
            "certificate": certificate,
            "certificate_lines": credit_lines(certificate) if certificate else [],
            "name_changed": certificate is not None
            and certificate.learner_name != user.display_name,
            "disclosures": disclosures,
            "values": {**prefill, **(values or {})},
            "errors": errors or {},
            "rules": RULES,
            "percent": percent_text,
        },
        status=status,
    )


async def credit_page(request: Request) -> Response:
    return await _hub(request, path_int(request, "activity_id"))


async def claim_credit(request: Request) -> Response:
    user = require_user(request)
    activity_id = path_int(request, "activity_id")
    form = await read_form(request)
    try:
        async with services_of(request).unit() as unit:
            result = await ClaimService(unit.session, unit.clock).claim(activity_id, user, form)
    except InvalidInput as exc:
        return await _hub(request, activity_id, values=form, errors=exc.errors, status=422)
    await publish_quietly(services_of(request), CREDIT_CLAIMED,
                          credit_claimed_data(activity_id, user, result))
    await notify.certificate_issued(services_of(request), result.certificate, user)
    log.info(
        "credit.claimed_on_page",
        activity_id=activity_id,
        user_id=user.id,
        certificate_code=result.certificate.code,
    )
    flash(request, "Credit claimed. Your certificate is ready below.", "success")
    return redirect(f"/activities/{activity_id}/credit")


# -- certificates ----------------------------------------------------------------------------
def _code(request: Request) -> str:
    code = normalize_code(str(request.path_params["code"])[:MAX_CODE_TEXT])
    if code is None:
        raise CertificateNotFound("There is no certificate with this code that you may open.")
    return code


async def certificate_pdf(request: Request) -> Response:
    user = require_user(request)
    code = _code(request)
    async with services_of(request).unit() as unit:
        certificate = await CertificateService(unit.session, unit.clock).viewable(code, user)
    base_url = str(request.base_url).rstrip("/")
    data = await run_in_threadpool(render_pdf, certificate, base_url)
    log.info(
        "certificate.downloaded",
        code=certificate.code,
        certificate_id=certificate.id,
        user_id=user.id,
        own=user.id == certificate.user_id,
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="certificate-{certificate.code}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


async def reissue_certificate(request: Request) -> Response:
    user = require_user(request)
    code = _code(request)
    form = await read_form(request)
    back = f"/verify/{code}"
    try:
        async with services_of(request).unit() as unit:
            service = CertificateService(unit.session, unit.clock)
            certificate = await service.by_code(code)
            if certificate is None:
                raise CertificateNotFound(
                    "There is no certificate with this code that you may open."
                )
            if certificate.user_id == user.id:
                back = f"/activities/{certificate.activity_id}/credit"
            new = await service.reissue(certificate, user, str(form.get("reason", "")))
    except InvalidInput as exc:
        flash(request, " ".join(exc.errors.values()), "error")
        return redirect(back)
    flash(
        request,
        f"Certificate reissued to {new.learner_name}; its verification code stays {new.code}.",
        "success",
    )
    return redirect(back)


# -- public verification ---------------------------------------------------------------------
async def verify_form(request: Request) -> Response:
    typed = request.query_params.get("code", "").replace("\x00", "")[:MAX_CODE_TEXT]
    if typed.strip():
        code = normalize_code(typed)
        if code is not None:
            return redirect(f"/verify/{code}")
        return render(
            request,
            "credit/verify_form.html",
            {
                "typed": typed,
                "error": "A verification code has 11 letters and digits, like RND-7KQ2-X9MF. "
                "Check it against the certificate.",
            },
            status=422,
        )
    return render(request, "credit/verify_form.html", {"typed": "", "error": ""})


async def verify_page(request: Request) -> Response:
    address = request.client.host if request.client else "unknown"
    verdict = await verify_throttle(services_of(request)).lookup(address)
    if not verdict.allowed:
        log.warning("certificate.verify_throttled", address=address)
        response = render(
            request,
            "errors/error.html",
            {
                "status": 429,
                "title": "Slow down",
                "message": "Too many verification requests from your network; try again in "
                f"{verdict.retry_after} seconds.",
            },
            status=429,
        )
        response.headers["Retry-After"] = str(verdict.retry_after)
        return response
    typed = str(request.path_params["code"])[:MAX_CODE_TEXT]
    code = normalize_code(typed)
    if code is not None and code != typed:
        return redirect(f"/verify/{code}")
    verification = None
    if code is not None:
        async with services_of(request).unit() as unit:
            verification = await CertificateService(unit.session, unit.clock).verify(code)
    if verification is None:
        return render(request, "credit/not_found.html", {"typed": typed}, status=404)
    log.info("certificate.verified", code=code, signed_in=current_user(request) is not None)
    return render(request, "credit/verify.html", {"verification": verification})


# -- the CME office corrects a claim -----------------------------------------------------------
def _claim_id(request: Request) -> int:
    return path_id(request, "claim_id", ClaimNotFound, "credit claim")


async def _correction(
    request: Request,
    claim_id: int,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    admin = require_admin(request)
    async with services_of(request).unit() as unit:
        view = await ClaimService(unit.session, unit.clock).correction(claim_id, admin)
    return render(
        request,
        "credit/correct.html",
        {
            "view": view,
            "values": values or {"credits": str(view.claim.credits)},
            "errors": errors or {},
        },
        status=status,
    )


async def correct_page(request: Request) -> Response:
    return await _correction(request, _claim_id(request))


async def correct_claim(request: Request) -> Response:
    admin = require_admin(request)
    claim_id = _claim_id(request)
    form = await read_form(request)
    try:
        async with services_of(request).unit() as unit:
            row = await ClaimService(unit.session, unit.clock).correct(
                claim_id, form.get("credits"), form.get("reason"), admin
            )
    except InvalidInput as exc:
        return await _correction(request, claim_id, values=form, errors=exc.errors, status=422)
    flash(
        request,
        "Claim corrected; the certificate was reissued under the same verification code.",
        "success",
    )
    return redirect(f"/admin/claims/{row.id}/correct")


ROUTES: list[BaseRoute] = [
    Route("/activities/{activity_id:int}/credit", credit_page, name="credit"),
    Route("/activities/{activity_id:int}/credit/claim", claim_credit, methods=["POST"]),
    Route("/certificates/{code}.pdf", certificate_pdf, name="certificate_pdf"),
    Route("/certificates/{code}/reissue", reissue_certificate, methods=["POST"]),
    Route("/verify", verify_form, name="verify"),
    Route("/verify/{code}", verify_page, name="verify_code"),
    Route("/admin/claims/{claim_id:int}/correct", correct_page),
    Route("/admin/claims/{claim_id:int}/correct", correct_claim, methods=["POST"]),
]
