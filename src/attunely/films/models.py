"""Filming sessions, films and the resumable uploads that bring them in."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from attunely.db import Base, new_id, utcnow


class FilmingSession(Base):
    """One visit's filming: when, where, what activity, who was filmed."""

    __tablename__ = "filming_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    filmed_on: Mapped[date] = mapped_column(Date)
    setting: Mapped[str] = mapped_column(String(16))
    activity: Mapped[str] = mapped_column(String(200), default="")
    #: JSON list of case_people ids: everyone identifiable in this session's films.
    filmed_people: Mapped[str] = mapped_column(Text, default="[]")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Film(Base):
    """A film and the vault objects made from it. Only `ready` films can be played."""

    __tablename__ = "films"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("filming_sessions.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(120))
    #: uploading → processing → ready; or rejected (not a playable film) / failed (retry).
    state: Mapped[str] = mapped_column(String(16), default="processing")
    original_object_id: Mapped[str | None] = mapped_column(
        ForeignKey("vault_objects.id"), nullable=True
    )
    proxy_object_id: Mapped[str | None] = mapped_column(
        ForeignKey("vault_objects.id"), nullable=True
    )
    thumbs_object_id: Mapped[str | None] = mapped_column(
        ForeignKey("vault_objects.id"), nullable=True
    )
    waveform_object_id: Mapped[str | None] = mapped_column(
        ForeignKey("vault_objects.id"), nullable=True
    )
    #: Technical facts only (codecs, sizes, rates): JSON of the probe result.
    probe: Mapped[str] = mapped_column(Text, default="{}")
    #: JSON of the proxy: fps, frame count, size, thumbnail layout.
    proxy_info: Mapped[str] = mapped_column(Text, default="{}")
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: What went wrong, in words for the practitioner (never personal data).
    problem: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Upload(Base):
    """A film arriving in parts; each part is sealed in the vault the moment it arrives."""

    __tablename__ = "uploads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("filming_sessions.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(120))
    #: "file" (a chosen file) or "capture" (recorded in the browser, length unknown).
    source: Mapped[str] = mapped_column(String(16), default="file")
    expected_size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    #: open → complete (became a film) | abandoned (timed out or cancelled).
    state: Mapped[str] = mapped_column(String(16), default="open", index=True)
    film_id: Mapped[str | None] = mapped_column(ForeignKey("films.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UploadPart(Base):
    """One received part: bytes [offset, offset + length) of the upload, as a vault object."""

    __tablename__ = "upload_parts"
    __table_args__ = (UniqueConstraint("upload_id", "offset", name="uq_upload_part_offset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    upload_id: Mapped[str] = mapped_column(ForeignKey("uploads.id", ondelete="CASCADE"), index=True)
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)
    object_id: Mapped[str] = mapped_column(ForeignKey("vault_objects.id"))


class FilmAnalysis(Base):
    """The automatic first pass over a film: proposals for a person to accept or reject."""

    __tablename__ = "film_analyses"

    film_id: Mapped[str] = mapped_column(
        ForeignKey("films.id", ondelete="CASCADE"), primary_key=True
    )
    #: JSON of the analysis (schema in docs/analysis.md), sealed in the vault.
    result_object_id: Mapped[str] = mapped_column(ForeignKey("vault_objects.id"))
    #: JSON {moment id: JPEG data URI}, sealed in the vault.
    stills_object_id: Mapped[str | None] = mapped_column(
        ForeignKey("vault_objects.id"), nullable=True
    )
    schema_version: Mapped[str] = mapped_column(String(16))
    moment_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Plain notes on what could not be analysed ("no sound track" …); no personal data.
    notes: Mapped[str] = mapped_column(Text, default="[]")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
