"""Coding schemes (versioned, per team) and what a guider marks on a film: coded events,
clips and stills.

A scheme version is never changed once written: editing a scheme writes a new version, and
every annotation names the version it was coded with, so its meaning never shifts.
Annotations, clips and stills carry a `revision` that every change must name, so two tabs
on the same film cannot overwrite each other unnoticed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from attunely.db import Base, new_id, utcnow


class CodingScheme(Base):
    """A team's coding scheme; its content lives in its versions."""

    __tablename__ = "coding_schemes"
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_coding_scheme_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    team_id: Mapped[str] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: The newest version's number; an edit must name it (stale edits are refused).
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CodingSchemeVersion(Base):
    """One immutable version of a scheme: its name, description and codes (JSON list)."""

    __tablename__ = "coding_scheme_versions"
    __table_args__ = (UniqueConstraint("scheme_id", "version", name="uq_scheme_version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    scheme_id: Mapped[str] = mapped_column(
        ForeignKey("coding_schemes.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    codes: Mapped[str] = mapped_column(Text, default="[]")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Annotation(Base):
    """A coded event on a film, in proxy frames.

    Point events have `end_frame == start_frame`. State events cover frames
    [start_frame, end_frame); `end_frame` is None while the state is still running.
    """

    __tablename__ = "film_annotations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    film_id: Mapped[str] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    scheme_version_id: Mapped[str] = mapped_column(ForeignKey("coding_scheme_versions.id"))
    code: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(8))
    start_frame: Mapped[int] = mapped_column(Integer)
    end_frame: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Clip(Base):
    """A moment chosen to show the parent: frames [in_frame, out_frame), in the film's list."""

    __tablename__ = "film_clips"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    film_id: Mapped[str] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    in_frame: Mapped[int] = mapped_column(Integer)
    out_frame: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    #: The scheme version whose codes `principles` names (None: no principles named).
    scheme_version_id: Mapped[str | None] = mapped_column(
        ForeignKey("coding_scheme_versions.id"), nullable=True
    )
    #: JSON list of code identifiers of that version.
    principles: Mapped[str] = mapped_column(Text, default="[]")
    caption: Mapped[str] = mapped_column(Text, default="")
    #: JSON list of questions to ask the parent.
    questions: Mapped[str] = mapped_column(Text, default="[]")
    #: The case's helping question this clip speaks to (None: none chosen).
    helping_question_id: Mapped[str | None] = mapped_column(
        ForeignKey("helping_questions.id", ondelete="SET NULL", name="fk_clip_helping_question"),
        nullable=True,
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Still(Base):
    """A freeze-frame with a caption."""

    __tablename__ = "film_stills"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    film_id: Mapped[str] = mapped_column(ForeignKey("films.id", ondelete="CASCADE"), index=True)
    frame: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FilmRegions(Base):
    """The adult's and child's regions of interest on a film, drawn or adjusted by a person,
    and the motion measured in them when "re-run motion" was last asked for.

    Boxes are JSON [left, top, width, height] as fractions (0-1) of the picture, so they hold
    for any size the film is shown at. The motion result is derived from footage, so it is
    sealed in the vault; `motion_boxes` says which boxes it was measured for.
    """

    __tablename__ = "film_regions"

    film_id: Mapped[str] = mapped_column(
        ForeignKey("films.id", ondelete="CASCADE"), primary_key=True
    )
    adult_box: Mapped[str | None] = mapped_column(Text, nullable=True)
    child_box: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The frame the regions were drawn on.
    frame: Mapped[int] = mapped_column(Integer, default=0)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    #: none, queued, running, done or failed.
    motion_state: Mapped[str] = mapped_column(String(16), default="none")
    motion_object_id: Mapped[str | None] = mapped_column(
        ForeignKey("vault_objects.id"), nullable=True
    )
    motion_boxes: Mapped[str | None] = mapped_column(Text, nullable=True)
    motion_note: Mapped[str] = mapped_column(Text, default="")
    motion_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
