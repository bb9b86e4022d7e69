"""Assessments of an activity: the evaluation survey every learner completes before claiming
credit, and the post-test of an on-demand activity (see ``courses.assessments``)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

import courses.models.base  # noqa: F401  (naming conventions first)
from courses.models.types import UTCDateTime


class AssessmentKind(StrEnum):
    EVALUATION = "evaluation"
    POST_TEST = "post_test"


class QuestionKind(StrEnum):
    LIKERT = "likert"
    """Strongly disagree (1) to strongly agree (5)."""
    TEXT = "text"
    """Free text."""
    CHOICE = "choice"
    """One right answer among the options (post-tests)."""


class Assessment(SQLModel, table=True):
    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("activity_id", "kind", name="uq_assessments_activity_id_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activities.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    title: str = Field(max_length=200)
    instructions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Post-tests: the score (percent) that passes, shown before the learner starts; how many
    # attempts a learner has (None: unlimited); whether questions and options are shuffled.
    pass_percent: int | None = Field(default=None)
    max_attempts: int | None = Field(default=None)
    shuffle: bool = Field(default=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Question(SQLModel, table=True):
    __tablename__ = "questions"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessments.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    kind: str = Field(max_length=16)
    prompt: str = Field(sa_column=Column(Text, nullable=False))
    # CHOICE: ["option", ...] and the index of the right one.
    options_json: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    correct_index: int | None = Field(default=None)
    required: bool = Field(default=True)


class AssessmentAttempt(SQLModel, table=True):
    """One learner's try at an assessment: started (the order shown is fixed then), then
    submitted once. An evaluation has one attempt per learner."""

    __tablename__ = "assessment_attempts"
    __table_args__ = (
        UniqueConstraint(
            "assessment_id",
            "user_id",
            "number",
            name="uq_assessment_attempts_assessment_id_user_id_number",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessments.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    number: int = Field(default=1)
    # {"questions": [question id, ...], "options": {"question id": [option index, ...]}}
    order_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    # {"question id": answer}: an option index (as given, before shuffling), 1-5, or text.
    answers_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    score_percent: float | None = Field(default=None)
    passed: bool | None = Field(default=None)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
