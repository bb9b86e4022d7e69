"""Credit claims and certificates are permanent records (kept at least six years): once
written, a row is never changed or removed; a correction is a new row that supersedes it.

The ORM refuses, whatever the code path: a changed attribute of a loaded row
(``before_update``), a removed row (``before_delete``), and ``update()`` / ``delete()``
statements naming either table (``do_orm_execute``). The foreign keys restrict deletes of the
learner and the activity in the database itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

from courses.errors import Conflict
from courses.models import Certificate, CreditClaim

PERMANENT: tuple[type[Any], ...] = (CreditClaim, Certificate)


class PermanentRecord(Conflict):
    """Code tried to change or remove a claim or a certificate."""

    code = "permanent_record"


def _name(target: object) -> str:
    return "credit claim" if isinstance(target, CreditClaim) else "certificate"


def _refuse_update(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    changed = sorted(a.key for a in inspect(target).attrs if a.history.has_changes())
    if changed:
        raise PermanentRecord(
            f"A {_name(target)} is a permanent record and cannot be changed "
            f"(tried: {', '.join(changed)}); record a correction that supersedes it instead."
        )


def _refuse_delete(mapper: Mapper[Any], connection: Any, target: Any) -> None:
    raise PermanentRecord(
        f"A {_name(target)} is a permanent record, kept at least six years; it cannot be deleted."
    )


def _refuse_bulk(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    if any(m.class_ in PERMANENT for m in state.all_mappers):
        verb = "changed" if state.is_update else "deleted"
        raise PermanentRecord(
            f"Credit claims and certificates are permanent records and cannot be {verb}."
        )


def install() -> None:
    """Register the guards (idempotent; importing this module does it)."""
    for model in PERMANENT:
        if not event.contains(model, "before_update", _refuse_update):
            event.listen(model, "before_update", _refuse_update)
        if not event.contains(model, "before_delete", _refuse_delete):
            event.listen(model, "before_delete", _refuse_delete)
    if not event.contains(Session, "do_orm_execute", _refuse_bulk):
        event.listen(Session, "do_orm_execute", _refuse_bulk)


install()
