"""Sign-in, sign-up, sign-out and the password reset flow."""

from __future__ import annotations

from datetime import timedelta

import structlog
from starlette.requests import Request
from starlette.responses import Response

from app.auth import current_user, services_of, sign_in, sign_out
from app.flash import flash
from app.mail import Message
from app.pages._forms import read_form, redirect, render, safe_next
from courses.errors import DomainError, InvalidCredentials, InvalidInput

log = structlog.get_logger(__name__)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def signin_page(request: Request) -> Response:
    if current_user(request):
        return redirect(safe_next(request.query_params.get("next")))
    return render(request, "auth/signin.html", {"next": request.query_params.get("next", "")})


async def signin(request: Request) -> Response:
    form = await read_form(request)
    email = str(form.get("email", "")).strip().lower()
    target = safe_next(str(form.get("next", "")))
    services = services_of(request)
    address = _client(request)
    verdict = await services.throttle.check(email, address)
    if not verdict.allowed:
        log.warning("auth.throttled", email=email, client=address, reason=verdict.reason)
        minutes = max(1, round(verdict.retry_after / 60))
        return render(
            request,
            "auth/signin.html",
            {
                "next": target,
                "email": email,
                "error": f"{verdict.reason} Try again in about {minutes} minute(s), "
                "or reset your password.",
            },
            status=429,
        )
    await services.throttle.attempted(address)
    try:
        async with services.unit() as unit:
            user = await unit.accounts.authenticate(email, str(form.get("password", "")))
    except (InvalidCredentials, DomainError) as exc:
        await services.throttle.failed(email)
        log.info("auth.signin_failed", email=email, client=address, reason=exc.code)
        return render(
            request,
            "auth/signin.html",
            {"next": target, "email": email, "error": exc.message},
            status=401 if isinstance(exc, InvalidCredentials) else 403,
        )
    await services.throttle.succeeded(email)
    sign_in(request, user)
    log.info("auth.signed_in", user_id=user.id, client=address)
    return redirect(target)


async def signout(request: Request) -> Response:
    user = current_user(request)
    sign_out(request)
    if user:
        log.info("auth.signed_out", user_id=user.id)
    flash(request, "You are signed out.", "info")
    return redirect("/signin")


async def signup_page(request: Request) -> Response:
    async with services_of(request).unit() as unit:
        org = await unit.accounts.organization()
    return render(request, "auth/signup.html", {"signup_enabled": org.signup_enabled})


async def signup(request: Request) -> Response:
    form = await read_form(request)
    values = {k: str(form.get(k, "")) for k in ("email", "display_name")}
    services = services_of(request)
    try:
        async with services.unit() as unit:
            user = await unit.accounts.create(
                email=values["email"],
                password=str(form.get("password", "")),
                display_name=values["display_name"],
                self_service=True,
            )
    except InvalidInput as exc:
        return render(
            request,
            "auth/signup.html",
            {"signup_enabled": True, "values": values, "errors": exc.errors},
            status=422,
        )
    except DomainError as exc:
        return render(
            request,
            "auth/signup.html",
            {"signup_enabled": exc.code != "signup_disabled", "values": values,
             "error": exc.message},
            status=409 if exc.code == "email_taken" else 403,
        )
    sign_in(request, user)
    log.info("auth.signed_up", user_id=user.id)
    flash(request, "Welcome to Rounds. Add your profession and licence to your profile "
          "so your credit is recorded correctly.", "success")
    return redirect("/profile")


async def forgot_page(request: Request) -> Response:
    return render(request, "auth/forgot.html")


async def forgot(request: Request) -> Response:
    form = await read_form(request)
    services = services_of(request)
    address = _client(request)
    verdict = await services.throttle.check("", address)
    if not verdict.allowed:
        return render(request, "auth/forgot.html", {"error": verdict.reason}, status=429)
    await services.throttle.attempted(address)
    ttl = timedelta(seconds=services.settings.password_reset_ttl_seconds)
    async with services.unit() as unit:
        reset = await unit.accounts.start_password_reset(str(form.get("email", "")), ttl)
    if reset is not None:
        link = f"{services.settings.public_url}/password/reset/{reset.token}"
        log.info("auth.password_reset_requested", user_id=reset.user.id)
        message = Message(
            to=reset.user.email,
            subject="Reset your Rounds password",
            body=(
                f"Hello {reset.user.display_name},\n\nTo choose a new password, open:\n"
                f"{link}\n\nThe link works once and expires in "
                f"{int(ttl.total_seconds() // 60)} minutes. If you did not ask for this, "
                "ignore this message.\n"
            ),
            kind="password_reset",
            redact=(link,),
        )
        try:
            await services.mailer.send(message)
        except Exception:
            # Logged for the operator; the visitor gets the usual answer, since an error
            # here (and only for real accounts) would tell who has an account.
            log.exception("auth.password_reset_mail_failed", user_id=reset.user.id)
    # The same answer whether or not the account exists.
    return render(request, "auth/forgot.html", {"sent": True})


async def reset_page(request: Request) -> Response:
    token = request.path_params["token"]
    try:
        async with services_of(request).unit() as unit:
            await unit.accounts.check_reset_token(token)
    except DomainError as exc:
        return render(request, "auth/reset.html", {"invalid": exc.message}, status=400)
    return render(request, "auth/reset.html", {"token": token})


async def reset(request: Request) -> Response:
    token = request.path_params["token"]
    form = await read_form(request)
    password = str(form.get("password", ""))
    if password != str(form.get("password_again", "")):
        return render(
            request, "auth/reset.html",
            {"token": token, "errors": {"password_again": "The two passwords differ."}},
            status=422,
        )
    try:
        async with services_of(request).unit() as unit:
            user = await unit.accounts.complete_password_reset(token, password)
    except InvalidInput as exc:
        return render(request, "auth/reset.html", {"token": token, "errors": exc.errors},
                      status=422)
    except DomainError as exc:
        return render(request, "auth/reset.html", {"invalid": exc.message}, status=400)
    log.info("auth.password_reset", user_id=user.id)
    sign_out(request)
    flash(request, "Your password is changed. Sign in with the new one.", "success")
    return redirect("/signin")
