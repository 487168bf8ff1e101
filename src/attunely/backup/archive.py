"""A backup on disk: the manifest, its signature, and checksums of every file it lists.

Layout of a backup directory::

    manifest.json        what was taken, when, at which schema revision and ledger position
    database.sqlite      SQLite: a consistent copy (VACUUM INTO)
    database.pgdump      PostgreSQL: pg_dump custom format
    vault/<storage key>  the vault's ciphertext, byte for byte (never decrypted)

The manifest is written last, so a directory without one is an unfinished backup. It is
signed with a secret from the keys directory (`backup-manifest.key`): whoever can change a
backup but not the keys cannot make a restore accept altered data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from attunely.backup.ledger import Mark
from attunely.config import Settings, read_secret
from attunely.errors import ConfigurationError, IntegrityError, InvalidInput

FORMAT = "attunely-backup/1"
MANIFEST = "manifest.json"
VAULT_DIR = "vault"
SIGNING_NAME = "backup-manifest"
_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class BlobEntry:
    key: str
    size: int
    sha256: str


@dataclass
class Manifest:
    """Everything a restore must know and check about one backup."""

    taken_at: datetime
    app_version: str
    schema_revision: str
    dialect: str
    database_file: str
    database_size: int
    database_sha256: str
    storage: str
    key_manager: str
    ledger: Mark
    master_key_versions: list[int]
    blobs: list[BlobEntry] = field(default_factory=list)
    missing_blobs: list[str] = field(default_factory=list)
    #: Per master key version: a random key wrapped by it, so a restore can tell before
    #: touching anything whether the key manager still holds that version.
    key_probes: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    format: str = FORMAT

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["taken_at"] = self.taken_at.isoformat()
        data["ledger"]["taken_at"] = self.ledger.taken_at.isoformat()
        last = self.ledger.last_at
        data["ledger"]["last_at"] = last.isoformat() if last else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        try:
            if data.get("format") != FORMAT:
                raise IntegrityError(f"not a backup this version reads ({data.get('format')!r})")
            raw_ledger = dict(data["ledger"])
            last = raw_ledger["last_at"]
            ledger = Mark(
                taken_at=datetime.fromisoformat(raw_ledger["taken_at"]),
                offset=int(raw_ledger["offset"]),
                lines=int(raw_ledger["lines"]),
                last_at=datetime.fromisoformat(last) if last else None,
                digest=str(raw_ledger["digest"]),
            )
            fields = {k: v for k, v in data.items() if k not in ("ledger", "blobs", "taken_at")}
            return cls(
                **fields,
                taken_at=datetime.fromisoformat(data["taken_at"]),
                ledger=ledger,
                blobs=[BlobEntry(**b) for b in data["blobs"]],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(f"the backup manifest is malformed ({exc})") from None


def _signing_key(settings: Settings, *, create: bool) -> bytes:
    path = settings.keys_dir / f"{SIGNING_NAME}.key"
    if not create and not path.exists():
        raise ConfigurationError(
            f"{path} is missing: restore the keys directory from its own backup first "
            "(docs/backups.md), then run the restore again"
        )
    return read_secret(settings.keys_dir, SIGNING_NAME)


def _signature(key: bytes, body: bytes) -> str:
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def write_manifest(settings: Settings, folder: Path, manifest: Manifest) -> None:
    """Write the signed manifest (last, atomically): the backup is then complete."""
    body = json.dumps(manifest.to_json(), sort_keys=True, indent=2).encode()
    signed = {"manifest": json.loads(body), "hmac_sha256": ""}
    signed["hmac_sha256"] = _signature(_signing_key(settings, create=True), body)
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(signed, sort_keys=True, indent=2), encoding="utf-8")
    fsync_file(tmp)
    os.replace(tmp, folder / MANIFEST)
    fsync_dir(folder)


def read_manifest(settings: Settings, folder: Path) -> Manifest:
    """Read and authenticate a backup's manifest."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a directory", field="from")
    if not path.is_file():
        raise IntegrityError(f"{folder} has no {MANIFEST}: it is not a complete backup")
    try:
        signed = json.loads(path.read_text(encoding="utf-8"))
        data, claimed = signed["manifest"], str(signed["hmac_sha256"])
    except (ValueError, KeyError, TypeError):
        raise IntegrityError("the backup manifest is unreadable") from None
    body = json.dumps(data, sort_keys=True, indent=2).encode()
    expected = _signature(_signing_key(settings, create=False), body)
    if not hmac.compare_digest(expected, claimed):
        raise IntegrityError(
            "the backup manifest's signature does not verify: the backup was altered, or it "
            "was made with another keys directory"
        )
    return Manifest.from_json(data)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while piece := handle.read(_CHUNK):
            digest.update(piece)
    return digest.hexdigest()


def verify_files(folder: Path, manifest: Manifest) -> None:
    """Check every file the manifest lists against its size and checksum."""
    database = folder / manifest.database_file
    if not database.is_file() or sha256_file(database) != manifest.database_sha256:
        raise IntegrityError(f"{manifest.database_file} is missing or does not match its checksum")
    for blob in manifest.blobs:
        path = blob_path(folder, blob.key)
        if not path.is_file() or path.stat().st_size != blob.size:
            raise IntegrityError(f"vault blob {blob.key} is missing or has the wrong size")
        if sha256_file(path) != blob.sha256:
            raise IntegrityError(f"vault blob {blob.key} does not match its checksum")


def blob_path(folder: Path, key: str) -> Path:
    from attunely.vault.storage import check_key

    return folder / VAULT_DIR / check_key(key)


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fsync_file(path)
