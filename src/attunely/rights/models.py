"""Tables of the rights package: subject access requests and erasure receipts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from attunely.db import Base, new_id, utcnow


class AccessRequest(Base):
    """A subject access request, tracked against its one-month deadline.

    `person_id` and `case_id` carry no foreign key: the request is the organisation's record
    of how it answered, and must outlive an erasure of the person it was about.
    """

    __tablename__ = "rights_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    #: What the requester asked for, in the DPO's words (may name the person: erased with them).
    note: Mapped[str] = mapped_column(Text, default="")
    #: open | complete
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    packages_made: Mapped[int] = mapped_column(default=0)
    last_package_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


class ErasureReceipt(Base):
    """What one erasure destroyed: ids and counts only, never a name."""

    __tablename__ = "rights_erasures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: person | case
    scope: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[str] = mapped_column(String(36), index=True)
    #: The case's pseudonymous reference, so the DPO can match the receipt to the request.
    case_reference: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    #: JSON: {"tables": {name: {"deleted": n, "anonymised": n}}, "films_shredded": [...], ...}
    receipt: Mapped[str] = mapped_column(Text)
    erased_by: Mapped[str] = mapped_column(String(120))
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
