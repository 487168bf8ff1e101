"""Shapes for coding schemes, annotations, clips and stills.

Frames are frames of the film's playback copy (constant frame rate): frame N is shown from
N / fps seconds. Ranges are half-open, [start, end): `end` is the first frame after them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator, model_validator

from attunely.cases.helping import HelpingQuestionRead
from attunely.inputs import InputModel

#: Frame numbers accepted at all; the film's own length is checked by the service.
MAX_FRAME = 10_000_000
ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class Subject(StrEnum):
    ADULT = "adult"
    CHILD = "child"
    BOTH = "both"


class CodeType(StrEnum):
    POINT = "point"
    STATE = "state"


# --- coding schemes -------------------------------------------------------------------------


class CodeDef(InputModel):
    """One code of a scheme: a principle or behaviour to mark on the film."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="stable identifier")
    name: str = Field(min_length=1, max_length=80)
    category: str = Field(default="", max_length=60)
    type: CodeType = CodeType.POINT
    colour: str = Field(default="#2f6f62", pattern=r"^#[0-9a-fA-F]{6}$")
    #: The key that codes it in the workspace: one letter or digit, or none.
    key: str = Field(default="", pattern=r"^[a-z0-9]?$")
    behaviours: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field(default="", max_length=500)

    @field_validator("colour")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @field_validator("behaviours")
    @classmethod
    def _behaviours(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value]
        if any(not v or len(v) > 200 for v in cleaned):
            raise ValueError("each behaviour is 1 to 200 characters")
        return cleaned


def _check_codes(codes: list[CodeDef]) -> list[CodeDef]:
    seen: set[str] = set()
    keys: set[str] = set()
    for code in codes:
        if code.code in seen:
            raise ValueError(f"the code '{code.code}' appears twice")
        seen.add(code.code)
        if code.key:
            if code.key in keys:
                raise ValueError(f"the key '{code.key}' is given to two codes")
            keys.add(code.key)
    return codes


class SchemeCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=2000)
    codes: list[CodeDef] = Field(min_length=1, max_length=40)

    _check_codes = field_validator("codes")(_check_codes)


class SchemeEdit(SchemeCreate):
    """A new version of a scheme; `version` is the version the edit was made from."""

    version: int = Field(ge=1)


class SchemeVersionRead(BaseModel):
    id: str
    scheme_id: str
    team_id: str
    version: int
    current: bool
    name: str
    description: str
    codes: list[CodeDef]
    created_at: datetime


# --- annotations ----------------------------------------------------------------------------


class AnnotationCreate(InputModel):
    """A coded event. `id` may be chosen by the client so a resent request is recognised."""

    id: str | None = Field(default=None, pattern=ID_PATTERN)
    scheme_version_id: str = Field(pattern=ID_PATTERN)
    code: str = Field(min_length=1, max_length=32)
    subject: Subject = Subject.ADULT
    start_frame: int = Field(ge=0, le=MAX_FRAME)
    #: Point events: omit or equal to `start_frame`. State events: first frame after it, or
    #: omitted while the state is still running.
    end_frame: int | None = Field(default=None, ge=0, le=MAX_FRAME)
    note: str = Field(default="", max_length=2000)


class AnnotationUpdate(InputModel):
    """Change an annotation made at `revision`; fields left out stay as they are."""

    revision: int = Field(ge=1)
    scheme_version_id: str | None = Field(default=None, pattern=ID_PATTERN)
    code: str | None = Field(default=None, min_length=1, max_length=32)
    subject: Subject | None = None
    start_frame: int | None = Field(default=None, ge=0, le=MAX_FRAME)
    end_frame: int | None = Field(default=None, ge=0, le=MAX_FRAME)
    note: str | None = Field(default=None, max_length=2000)


class AnnotationRead(BaseModel):
    id: str
    film_id: str
    scheme_version_id: str
    code: str
    subject: Subject
    start_frame: int
    end_frame: int | None
    note: str
    revision: int
    created_at: datetime
    updated_at: datetime


# --- clips and stills -----------------------------------------------------------------------


def _questions(value: list[str]) -> list[str]:
    cleaned = [v.strip() for v in value]
    if any(not v or len(v) > 300 for v in cleaned):
        raise ValueError("each question is 1 to 300 characters")
    return cleaned


class ClipCreate(InputModel):
    id: str | None = Field(default=None, pattern=ID_PATTERN)
    in_frame: int = Field(ge=0, le=MAX_FRAME)
    out_frame: int = Field(ge=0, le=MAX_FRAME)
    title: str = Field(min_length=1, max_length=120)
    scheme_version_id: str | None = Field(default=None, pattern=ID_PATTERN)
    principles: list[str] = Field(default_factory=list, max_length=12)
    caption: str = Field(default="", max_length=1000)
    questions: list[str] = Field(default_factory=list, max_length=10)
    #: One of the case's helping questions that the clip speaks to.
    helping_question_id: str | None = Field(default=None, pattern=ID_PATTERN)

    _check_questions = field_validator("questions")(_questions)


class ClipUpdate(InputModel):
    revision: int = Field(ge=1)
    in_frame: int | None = Field(default=None, ge=0, le=MAX_FRAME)
    out_frame: int | None = Field(default=None, ge=0, le=MAX_FRAME)
    title: str | None = Field(default=None, min_length=1, max_length=120)
    scheme_version_id: str | None = Field(default=None, pattern=ID_PATTERN)
    principles: list[str] | None = Field(default=None, max_length=12)
    caption: str | None = Field(default=None, max_length=1000)
    questions: list[str] | None = Field(default=None, max_length=10)
    #: Send null to unlink the clip from its helping question.
    helping_question_id: str | None = Field(default=None, pattern=ID_PATTERN)

    @field_validator("questions")
    @classmethod
    def _check_questions(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _questions(value)


class ClipRead(BaseModel):
    id: str
    film_id: str
    position: int
    in_frame: int
    out_frame: int
    title: str
    scheme_version_id: str | None
    principles: list[str]
    caption: str
    questions: list[str]
    helping_question_id: str | None = None
    revision: int
    created_at: datetime
    updated_at: datetime


class ClipRef(InputModel):
    id: str = Field(pattern=ID_PATTERN)
    revision: int = Field(ge=1)


class ClipOrder(InputModel):
    """Every clip of the film, in the new order, each at the revision the client has."""

    clips: list[ClipRef] = Field(max_length=500)

    @model_validator(mode="after")
    def _unique(self) -> ClipOrder:
        if len({c.id for c in self.clips}) != len(self.clips):
            raise ValueError("a clip appears twice in the order")
        return self


class StillCreate(InputModel):
    id: str | None = Field(default=None, pattern=ID_PATTERN)
    frame: int = Field(ge=0, le=MAX_FRAME)
    caption: str = Field(default="", max_length=500)


class StillUpdate(InputModel):
    revision: int = Field(ge=1)
    frame: int | None = Field(default=None, ge=0, le=MAX_FRAME)
    caption: str | None = Field(default=None, max_length=500)


class StillRead(BaseModel):
    id: str
    film_id: str
    frame: int
    caption: str
    revision: int
    created_at: datetime
    updated_at: datetime


# --- the workspace as a whole ---------------------------------------------------------------


class WorkspaceFilm(BaseModel):
    id: str
    label: str
    state: str
    ready: bool
    fps: str
    fps_float: float
    frame_count: int
    duration_s: float | None
    width: int | None
    height: int | None


class WorkspaceRead(BaseModel):
    film: WorkspaceFilm
    may_edit: bool
    team_id: str
    #: The current version of each of the team's schemes.
    schemes: list[SchemeVersionRead]
    #: Older versions that annotations or clips on this film were made with.
    older_versions: list[SchemeVersionRead]
    annotations: list[AnnotationRead]
    clips: list[ClipRead]
    stills: list[StillRead]
    #: The case's helping questions, for linking clips to them (active ones first).
    helping_questions: list[HelpingQuestionRead] = Field(default_factory=list)
