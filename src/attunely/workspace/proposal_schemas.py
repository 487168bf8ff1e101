"""Shapes for proposed moments, their reviews, speaker corrections and the analysis tracks.

Times from the analysis are seconds; everything a guider sets is in proxy frames, like the
rest of the workspace (ranges half-open, [start_frame, end_frame)).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

from attunely.inputs import InputModel
from attunely.workspace.schemas import ID_PATTERN, MAX_FRAME, AnnotationRead, Subject


class Decision(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class AnalysisStatus(StrEnum):
    READY = "ready"
    NONE = "none"
    ANALYSING = "analysing"
    FAILED = "failed"
    PREPARING = "preparing"
    UNPLAYABLE = "unplayable"


class Speaker(StrEnum):
    ADULT = "ADULT"
    CHILD = "CHILD"


class ReviewWrite(InputModel):
    """A change to one proposal's review, made from `revision` (0: never reviewed yet).

    Fields left out stay as they are. Accepting codes the moment as an event under
    `scheme_version_id` (the code whose name is the moment's principle, unless `code` names
    another) with the id `annotation_id` if given, so a resent request makes it only once.
    """

    revision: int = Field(ge=0)
    decision: Decision | None = None
    reason: str | None = Field(default=None, max_length=500)
    start_frame: int | None = Field(default=None, ge=0, le=MAX_FRAME)
    end_frame: int | None = Field(default=None, ge=0, le=MAX_FRAME)
    scheme_version_id: str | None = Field(default=None, pattern=ID_PATTERN)
    code: str | None = Field(default=None, min_length=1, max_length=32)
    subject: Subject | None = None
    annotation_id: str | None = Field(default=None, pattern=ID_PATTERN)

    @field_validator("reason")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return None if value is None else value.strip()


class ProposalRead(BaseModel):
    """A proposed moment with the guider's review applied."""

    id: str
    film_id: str
    principle: str
    kind: str
    #: How clearly the signals show the pattern; never a rating of anyone (see analysis).
    strength: float
    reasons: list[str]
    start_s: float
    end_s: float
    still_s: float
    proposed_start_frame: int
    proposed_end_frame: int
    #: The boundaries in force: adjusted by the guider, or as proposed.
    start_frame: int
    end_frame: int
    adjusted: bool
    decision: Decision
    reason: str
    annotation_id: str | None
    scheme_version_id: str | None
    code: str | None
    clip_candidate: bool
    #: The coded event the acceptance made, as it stands now.
    annotation: AnnotationRead | None = None
    #: Why the moment needs a second look after a speaker correction, if it does.
    flag: str | None
    revision: int
    reviewed_at: datetime | None


class ProposalCounts(BaseModel):
    """How the film's proposals were received: the product's measure of their usefulness."""

    proposed: int
    accepted: int
    rejected: int
    open: int
    adjusted: int


class SegmentRead(BaseModel):
    index: int
    start: float
    end: float
    speaker: Speaker
    original_speaker: Speaker
    corrected: bool
    confidence: float
    revision: int


class TurnPart(BaseModel):
    speaker: Speaker
    start: float
    end: float


class TurnRead(BaseModel):
    time: float
    initiator: Speaker
    latency_s: float
    first: TurnPart
    second: TurnPart
    conversation: int


class MotionRead(BaseModel):
    rate_hz: float
    adult: list[float] | None
    child: list[float] | None


class SyncWindowRead(BaseModel):
    start: float
    end: float
    z: float
    lag_s: float
    above_chance: bool


class ProposalsRead(BaseModel):
    """The film's analysis for the workspace, or why there is none yet."""

    film_id: str
    status: AnalysisStatus
    message: str
    progress: float | None = None
    fps: float
    frame_count: int
    proposals: list[ProposalRead] = Field(default_factory=list)
    counts: ProposalCounts
    segments: list[SegmentRead] = Field(default_factory=list)
    turns: list[TurnRead] = Field(default_factory=list)
    turn_count: int = 0
    #: The count the analysis sealed, before any speaker correction.
    analysed_turn_count: int = 0
    corrections: int = 0
    #: Corrections made on segments that a new analysis no longer has (not applied).
    stale_corrections: int = 0
    turn_caveat: str = ""
    strength_meaning: str = ""
    motion: MotionRead | None = None
    synchrony: list[SyncWindowRead] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class SpeakerWrite(InputModel):
    """Correct the speaker of one speech segment, from `revision` (0: never corrected)."""

    revision: int = Field(ge=0)
    speaker: Speaker

    @field_validator("speaker", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
