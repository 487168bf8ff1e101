"""Family cases and the people in them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from attunely.db import Base, new_id, utcnow


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("organisation_id", "reference", name="uq_case_reference"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id"), index=True)
    reference: Mapped[str] = mapped_column(String(32))
    programme: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="referred")
    guider_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    supervisor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    suitability: Mapped[str] = mapped_column(Text, default="")
    concerns_shared: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    people: Mapped[list[CasePerson]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CasePerson.created_at"
    )


class CasePerson(Base):
    __tablename__ = "case_people"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(120))
    born: Mapped[date | None] = mapped_column(Date, nullable=True)
    parental_responsibility: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpingQuestion(Base):
    """The parent's own question for the programme ("How can I help him settle at night?").

    A case may have several over time; clips shown back to the parent link to the one they
    speak to. Never deleted while clips may name it: set inactive instead.
    """

    __tablename__ = "helping_questions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    set_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
