"""Tables of the sharing package: clips shared with the professional network."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from attunely.db import Base, new_id, utcnow


class ClipShare(Base):
    """One clip shared with one recipient, watched through one expiring, revocable link.

    The clip's frames are copied here when the share is made: editing or deleting the clip
    afterwards never changes what was shared. Only the SHA-256 of the link's token is kept.
    """

    __tablename__ = "clip_shares"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    film_id: Mapped[str] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    clip_id: Mapped[str | None] = mapped_column(
        ForeignKey("film_clips.id", ondelete="SET NULL"), nullable=True
    )
    clip_title: Mapped[str] = mapped_column(String(120))
    in_frame: Mapped[int] = mapped_column(Integer)
    out_frame: Mapped[int] = mapped_column(Integer)
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_organisation: Mapped[str] = mapped_column(String(160))
    recipient_email: Mapped[str] = mapped_column(String(254), default="")
    #: The consent purpose the share serves (always sharing with the professional network).
    purpose: Mapped[str] = mapped_column(String(32))
    #: The data-sharing agreement (or protocol) the share is made under.
    agreement_reference: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: rendering → ready, or failed (`problem` says why).
    state: Mapped[str] = mapped_column(String(16), default="rendering")
    problem: Mapped[str] = mapped_column(String(500), default="")
    #: The labelled clip in the vault; None until rendered, and again once revoked or expired.
    object_id: Mapped[str | None] = mapped_column(
        ForeignKey("vault_objects.id", ondelete="SET NULL"), nullable=True
    )
    #: JSON: frames, rate, size and duration of the rendered clip, and the label burned in.
    render_info: Mapped[str] = mapped_column(Text, default="{}")
    views: Mapped[int] = mapped_column(Integer, default=0)
    last_viewed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")
