"""Consent (or another lawful basis) given for one person, in one case, for one purpose."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from attunely.db import Base, new_id, utcnow


class ConsentRecord(Base):
    """One purpose agreed by one caregiver. Never deleted: withdrawal stamps `withdrawn_at`."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_case_purpose", "case_id", "purpose"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    person_id: Mapped[str] = mapped_column(
        ForeignKey("case_people.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(32))
    #: "consent", or the other lawful basis the organisation relies on for this purpose.
    basis: Mapped[str] = mapped_column(String(32))
    #: Version of the consent text the person was shown.
    text_version: Mapped[str] = mapped_column(String(32))
    #: SHA-256 of the form shown (a `consent_texts` row); empty for paper forms printed
    #: elsewhere, whose words Attunely never had.
    text_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    retention_months: Mapped[int] = mapped_column(Integer)
    #: Who was said to have access, in the words shown to the person.
    access: Mapped[str] = mapped_column(Text)
    #: signature | witnessed_typed_name | paper
    method: Mapped[str] = mapped_column(String(32))
    given_by: Mapped[str] = mapped_column(String(120))
    witness: Mapped[str] = mapped_column(String(120), default="")
    #: The drawn signature as compact strokes JSON (`consent.signature`). Personal data: kept
    #: in the database like the name beside it, shown only to those who may record consent.
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)
    given_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentText(Base):
    """The exact words of a consent form as shown, kept for as long as any record names them.

    Holds no personal data: the form is the same for every family while the settings stay.
    """

    __tablename__ = "consent_texts"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    plain_text: Mapped[str] = mapped_column(Text)
    full_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
