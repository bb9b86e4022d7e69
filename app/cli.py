"""``rounds``: the operator's command line."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import sys

import click
import uvicorn

from app.settings import ConfigurationError, Settings

# Signaling frames are JSON with SDP: far below this; bigger frames close the socket (1009).
WS_MAX_BYTES = 256 * 1024


def _settings() -> Settings:
    return Settings()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Rounds: live training, meetings, recorded courses and CME credit."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: PORT or 8000).")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str | None, port: int | None, reload: bool) -> None:
    """Run the web server (applies migrations and, in development, seeds demo data)."""
    from app.main import create_app

    settings = _settings()
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = settings.model_copy(update=overrides)
    try:
        settings.resolve_secret_key()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None
    target = "app.asgi:app" if reload else create_app(settings)
    uvicorn.run(
        target,
        host=settings.host,
        port=settings.port,
        reload=reload,
        proxy_headers=True,
        ws_max_size=WS_MAX_BYTES,
        log_config=None,
        access_log=False,
    )


@main.command()
def worker() -> None:
    """Run the media job worker until SIGTERM or Ctrl-C."""
    from app.worker import run_worker

    settings = _settings()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run_worker(settings))


@main.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--down", is_flag=True, help="Downgrade to --revision instead of upgrading.")
def migrate(revision: str, down: bool) -> None:
    """Apply database migrations."""
    from app import migrate as migrations

    url = _settings().effective_database_url
    if down:
        if revision == "head":
            raise click.UsageError("Give --revision (for example 'base' or '-1') with --down.")
        migrations.downgrade(url, revision)
    else:
        migrations.upgrade(url, revision)
    click.echo(f"Database at revision {migrations.current_revision(url) or 'base'}.")


@main.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True, help="Name as it appears on certificates.")
@click.option("--role", type=click.Choice(["learner", "faculty", "admin"]), default="learner",
              show_default=True)
@click.option("--password", default=None,
              help="Password (prompted for if omitted; prefer the prompt).")
def create_user(email: str, display_name: str, role: str, password: str | None) -> None:
    """Create an account."""
    from app import migrate as migrations
    from app.wiring import build_services
    from courses.errors import DomainError, InvalidInput
    from courses.models import Role

    settings = _settings()
    if password is None:
        if not sys.stdin.isatty():
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Again: ") != password:
                raise click.ClickException("The two passwords differ.")
    migrations.upgrade(settings.effective_database_url)

    async def create() -> tuple[int, str]:
        services = build_services(settings)
        try:
            async with services.unit() as unit:
                user = await unit.accounts.create(
                    email=email, password=password or "", display_name=display_name,
                    role=Role(role),
                )
                return user.id or 0, user.email
        finally:
            await services.close()

    try:
        user_id, stored_email = asyncio.run(create())
    except InvalidInput as exc:
        raise click.ClickException(
            "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
        ) from None
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Created {role} {stored_email} (id {user_id}).")


@main.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo organisation into an empty database and print its logins."""
    from app import migrate as migrations
    from app.seed import announce_demo, seed_demo
    from app.wiring import build_services

    settings = _settings()
    migrations.upgrade(settings.effective_database_url)

    async def seed() -> None:
        services = build_services(settings)
        try:
            async with services.unit() as unit:
                if await unit.accounts.count():
                    raise click.ClickException(
                        "The database already has users; seed-demo only fills an empty one."
                    )
            await seed_demo(services)
        finally:
            await services.close()

    asyncio.run(seed())
    announce_demo(settings)


@main.command()
def assets() -> None:
    """Install the browser libraries (hls.js) from the npm registry into static/vendor."""
    from app.assets import AssetsError, install

    try:
        install()
    except AssetsError as exc:
        raise click.ClickException(str(exc)) from None


if __name__ == "__main__":
    main()
