"""What a guider decided about the analysis: reviews of proposed moments, speaker corrections.

The sealed analysis is never changed: reviews and corrections are kept beside it and applied
on top of it whenever the workspace reads it. Both carry a `revision` every change must name,
like the other workspace objects, so two tabs cannot overwrite each other unnoticed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from attunely.db import Base, new_id, utcnow


class ProposalReview(Base):
    """A guider's review of one proposed moment of a film's analysis.

    `decision` is open (not decided, or taken back), accepted or rejected. Adjusted
    boundaries are proxy frames [start_frame, end_frame); None keeps the proposed ones.
    """

    __tablename__ = "proposal_reviews"
    __table_args__ = (UniqueConstraint("film_id", "proposal_id", name="uq_proposal_review"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    film_id: Mapped[str] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    #: The moment's id in the analysis ("m01").
    proposal_id: Mapped[str] = mapped_column(String(16))
    #: What was proposed, kept so counts still make sense if the film is analysed again.
    principle: Mapped[str] = mapped_column(String(80), default="")
    proposed_start_s: Mapped[float] = mapped_column(Float, default=0.0)
    proposed_end_s: Mapped[float] = mapped_column(Float, default=0.0)
    decision: Mapped[str] = mapped_column(String(16), default="open")
    reason: Mapped[str] = mapped_column(Text, default="")
    start_frame: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end_frame: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The coded event an acceptance made (None once it is deleted or taken back).
    annotation_id: Mapped[str | None] = mapped_column(
        ForeignKey("film_annotations.id", ondelete="SET NULL"), nullable=True
    )
    clip_candidate: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120))
    updated_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpeakerCorrection(Base):
    """The guider's speaker for one speech segment of the analysis (by its index).

    The segment's times are kept too, so a correction is never applied to a different
    segment if the film is analysed again.
    """

    __tablename__ = "speaker_corrections"
    __table_args__ = (UniqueConstraint("film_id", "segment_index", name="uq_speaker_correction"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    film_id: Mapped[str] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    segment_index: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    #: ADULT or CHILD, as the analysis labelled it and as the guider corrected it.
    original_speaker: Mapped[str] = mapped_column(String(8))
    speaker: Mapped[str] = mapped_column(String(8))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120))
    updated_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
