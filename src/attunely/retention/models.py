"""Tables of the retention package: legal holds, scheduled shredding and erasure receipts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from attunely.db import Base, new_id, utcnow


class LegalHold(Base):
    """A hold on a case (`film_id` empty) or on one film: nothing under it expires or is
    shredded until it is lifted. Lifted holds stay, stamped."""

    __tablename__ = "retention_holds"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    film_id: Mapped[str | None] = mapped_column(
        ForeignKey("films.id", ondelete="CASCADE"), nullable=True, index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(120))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    lifted_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lift_reason: Mapped[str] = mapped_column(Text, default="")


class ShredSchedule(Base):
    """A film due for crypto-shredding once its grace period ends.

    `state`: scheduled → done (shredded, `receipt_id` set) | cancelled (consent given again).
    """

    __tablename__ = "retention_shred_schedules"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    film_id: Mapped[str] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    #: Why: "consent_withdrawn".
    trigger: Mapped[str] = mapped_column(String(32))
    #: The rule in words, for the receipt and the DPO page.
    rule: Mapped[str] = mapped_column(Text)
    scheduled_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    scheduled_by: Mapped[str] = mapped_column(String(120))
    settled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    settled_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    receipt_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class ErasureReceipt(Base):
    """What was destroyed, when, why and by which rule. No foreign keys: a receipt outlives
    the case it speaks of. Holds ids, kinds and counts only, never words about a person."""

    __tablename__ = "retention_receipts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: films | clips | annotations | case_records | audit
    record_class: Mapped[str] = mapped_column(String(16))
    #: consent_withdrawn | retention
    trigger: Mapped[str] = mapped_column(String(32))
    rule: Mapped[str] = mapped_column(Text)
    case_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    case_reference: Mapped[str] = mapped_column(String(32), default="")
    film_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: JSON list of {"id", "kind", "length"} of the vault objects whose keys were destroyed.
    objects: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON {"clips": n, "stills": n, ...}: records deleted or anonymised.
    records: Mapped[str] = mapped_column(Text, default="{}")
    actor: Mapped[str] = mapped_column(String(120))
    #: The erasure ledger entry's op ("" when nothing a backup holds was erased).
    ledger_op: Mapped[str] = mapped_column(String(32), default="")
