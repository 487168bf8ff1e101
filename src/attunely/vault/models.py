"""Vault tables: master key versions, wrapped case keys and the objects they protect.

No key material in plaintext is ever stored here: case keys are wrapped by a master key
kept outside the database, data keys are wrapped by their case key.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from attunely.db import Base, new_id, utcnow


class ObjectKind(StrEnum):
    """What a stored object is; a film has one original and several derived objects."""

    ORIGINAL = "original"
    PROXY = "proxy"
    THUMBS = "thumbs"
    WAVEFORM = "waveform"
    AUDIO = "audio"
    #: A staged piece of a resumable upload, before it becomes an original.
    UPLOAD = "upload"
    #: The first-pass analysis of a film (derived from footage, so sealed like it).
    ANALYSIS = "analysis"
    #: Still pictures of the analysis's proposed moments.
    STILLS = "stills"
    #: A clip shared with the professional network, its recipient burned into the pictures.
    SHARE = "share"


class ObjectState(StrEnum):
    PENDING = "pending"
    COMPLETE = "complete"
    SHREDDED = "shredded"


class MasterKeyState(StrEnum):
    ACTIVE = "active"
    RETIRING = "retiring"
    RETIRED = "retired"


class VaultMasterKey(Base):
    """One version of the master key; the material itself lives in the key manager."""

    __tablename__ = "vault_master_keys"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    manager: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(16), default=MasterKeyState.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(nullable=True)


class CaseKey(Base):
    """A case's key, wrapped by a master key version; NULL once shredded."""

    __tablename__ = "vault_case_keys"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    key_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    shredded_at: Mapped[datetime | None] = mapped_column(nullable=True)


class VaultObject(Base):
    """One sealed object in the blob store. Only `complete` rows point at readable data."""

    __tablename__ = "vault_objects"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default=ObjectState.PENDING, index=True)
    wrapped_data_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    chunk_size: Mapped[int] = mapped_column(Integer)
    plaintext_length: Mapped[int] = mapped_column(BigInteger, default=0)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
