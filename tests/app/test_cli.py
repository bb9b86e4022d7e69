"""The ``rounds`` command line: migrate, create-user, seed-demo, serve's start-up checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from app import migrate
from app.cli import main


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'cli.db'}",
        "SECRET_KEY": "cli-test-secret-key-0123456789abcdefghijkl",
        "LOG_FORMAT": "console",
    }


def test_migrate_reports_the_head_revision(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["migrate"], env=env)
    assert result.exit_code == 0, result.output
    head = migrate.head_revision(env["DATABASE_URL"])
    assert f"Database at revision {head}." in result.output
    down = CliRunner().invoke(main, ["migrate", "--down", "--revision", "base"], env=env)
    assert down.exit_code == 0 and "revision base" in down.output


def test_create_user_then_duplicate_is_a_clear_error(env: dict[str, str]) -> None:
    args = ["create-user", "--email", "Chief@Hospital.example.org", "--name", "Dr. Chief",
            "--role", "admin"]
    result = CliRunner().invoke(main, args, env=env, input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Created admin chief@hospital.example.org" in result.output
    again = CliRunner().invoke(main, args, env=env, input="a long enough password\n")
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_create_user_rejects_a_weak_password(env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main, ["create-user", "--email", "a@hospital.example.org", "--name", "A"],
        env=env, input="short\n",
    )
    assert result.exit_code == 1
    assert "password: Use at least 10 characters." in result.output


def test_seed_demo_fills_an_empty_database_once(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["seed-demo"], env=env)
    assert result.exit_code == 0, result.output
    assert "admin@demo.rounds.example" in result.output
    assert "nurse@demo.rounds.example" in result.output
    logins = Path(env["DATA_DIR"]) / "demo-logins.txt"
    assert len(logins.read_text().splitlines()) == 4
    again = CliRunner().invoke(main, ["seed-demo"], env=env)
    assert again.exit_code == 1
    assert "already has users" in again.output


def test_serve_in_production_without_a_secret_key_stops_with_advice(
    env: dict[str, str],
) -> None:
    env = {**env, "ROUNDS_ENV": "production", "SECRET_KEY": ""}
    result = CliRunner().invoke(main, ["serve"], env=env)
    assert result.exit_code == 1
    assert "SECRET_KEY is not set" in result.output
