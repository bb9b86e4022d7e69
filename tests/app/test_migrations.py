"""The Alembic migrations, on an empty SQLite file and an empty PostgreSQL database.

They build exactly the schema the models describe, come down to nothing, and go up again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, inspect, pool

from app import migrate
from app.db import sync_url
from courses.models import metadata
from tests import services as svc

MODEL_TABLES = set(metadata.tables)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, made for this test and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if not svc.postgres_reachable():
        svc.unavailable("PostgreSQL at 127.0.0.1:5432")
    name = f"rounds_migrations_{uuid.uuid4().hex[:12]}"
    admin = svc.postgres_url(svc.POSTGRES_ADMIN_DB)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield svc.postgres_url(name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def schema(url: str) -> dict[str, Any]:
    """Tables, with their indexes and foreign keys, as the database reports them."""
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            return {
                table: (
                    sorted(i["name"] or "" for i in inspector.get_indexes(table)),
                    sorted(fk["name"] or "" for fk in inspector.get_foreign_keys(table)),
                )
                for table in inspector.get_table_names()
            }
    finally:
        engine.dispose()


def differences(url: str, target: MetaData = metadata) -> list[Any]:
    """What autogenerate would put in a new migration for ``target``."""
    engine = create_engine(sync_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, target))
    finally:
        engine.dispose()


def test_upgrade_downgrade_and_upgrade_again(empty_database_url: str) -> None:
    url = empty_database_url
    head = migrate.head_revision(url)
    assert head is not None
    assert migrate.current_revision(url) is None
    assert set(schema(url)) == set()

    migrate.upgrade(url)
    built = schema(url)
    assert set(built) == MODEL_TABLES | {"alembic_version"}
    assert migrate.current_revision(url) == head
    assert "ix_users_email" in built["users"][0]
    assert built["enrollments"][1] == [
        "fk_enrollments_course_id_courses",
        "fk_enrollments_enrolled_by_id_users",
        "fk_enrollments_user_id_users",
    ]

    migrate.upgrade(url)  # already at head: nothing to do, nothing broken
    assert schema(url) == built

    migrate.downgrade(url, "base")
    assert set(schema(url)) == {"alembic_version"}
    assert migrate.current_revision(url) is None

    migrate.upgrade(url)
    assert schema(url) == built
    assert migrate.current_revision(url) == head


def test_models_match_the_migrations(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    assert differences(empty_database_url) == []


def test_the_comparison_notices_a_model_the_migrations_lack(empty_database_url: str) -> None:
    # Guards the test above: a model change with no migration must show up as a difference.
    migrate.upgrade(empty_database_url)
    changed = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    Table("badges", changed, Column("id", Integer, primary_key=True))
    changed.tables["users"].append_column(Column("nickname", String(40), nullable=True))
    found = differences(empty_database_url, changed)
    kinds = {(d[0], getattr(d[-1], "name", None)) if isinstance(d, tuple) else d for d in found}
    assert ("add_table", "badges") in kinds
    assert ("add_column", "nickname") in kinds
