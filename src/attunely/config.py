"""Settings from `ATTUNELY_*` environment variables, and the secrets kept in the data directory."""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from attunely.errors import ConfigurationError


class Settings(BaseSettings):
    """Every setting the application reads. Change them with `ATTUNELY_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="ATTUNELY_", extra="ignore")

    data_dir: Path = Field(default=Path("var"))
    database_url: str | None = None
    organisation_name: str = "Family Support Service"
    host: str = "127.0.0.1"
    port: int = 8000
    cookie_secure: bool = True
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    mfa_issuer: str = "Attunely"
    log_level: str = "INFO"
    # Film vault: where ciphertext lives (local directory or S3-compatible) and who holds the
    # master key ("local" key files in keys_dir, or "package.module:factory" for a KMS).
    storage: Literal["local", "s3"] = "local"
    s3_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    s3_prefix: str = ""
    key_manager: str = "local"
    # Background jobs: "embedded" runs worker threads inside the web app; "external" leaves
    # them to `attunely worker` processes (PostgreSQL deployments, several machines).
    jobs: Literal["embedded", "external"] = "embedded"
    job_workers: int = Field(default=1, ge=0, le=16)
    job_lease_seconds: float = Field(default=60.0, ge=1.0, le=3600.0)
    job_poll_seconds: float = Field(default=1.0, ge=0.05, le=60.0)
    maintenance_seconds: float = Field(default=600.0, ge=1.0, le=86400.0)
    #: Open uploads untouched this long are abandoned and their parts destroyed.
    upload_idle_hours: float = Field(default=48.0, ge=0.01, le=24 * 90)
    #: Where the erasure ledger lives; keep it off the backup media (a restore re-applies it).
    ledger_dir: Path | None = None
    #: Days between a withdrawal that leaves a film uncovered and its crypto-shredding
    #: (access is refused at once; re-recording consent in this window cancels it).
    shred_grace_days: float = Field(default=30.0, ge=0.0, le=3650.0)
    #: Retention per record class, in months (docs/retention.md says from when).
    retention_films_months: int = Field(default=12, ge=1, le=600)
    retention_clips_months: int = Field(default=12, ge=1, le=600)
    retention_annotations_months: int = Field(default=24, ge=1, le=600)
    retention_case_records_months: int = Field(default=84, ge=1, le=600)
    retention_audit_months: int = Field(default=84, ge=1, le=600)
    #: Directory holding pg_dump/pg_restore for `attunely backup` (default: found on PATH).
    pg_bindir: Path | None = None

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            url = self.database_url
            # Accept the common short forms and use the psycopg 3 driver for them.
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://") :]
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://") :]
            return url
        return f"sqlite:///{self.resolved_data_dir / 'attunely.db'}"

    @property
    def keys_dir(self) -> Path:
        return self.resolved_data_dir / "keys"

    @property
    def resolved_ledger_dir(self) -> Path:
        if self.ledger_dir is not None:
            return self.ledger_dir.expanduser().resolve()
        return self.resolved_data_dir / "ledger"

    @property
    def tmp_dir(self) -> Path:
        return self.resolved_data_dir / "tmp"


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings, read once."""
    return Settings()


def reset_settings_cache() -> None:
    """Forget cached settings (tests change the environment between apps)."""
    get_settings.cache_clear()
    read_secret.cache_clear()


def ensure_data_dir(settings: Settings) -> Path:
    """Create the data directory tree with owner-only permissions and return it."""
    root = settings.resolved_data_dir
    try:
        for path in (root, settings.keys_dir, settings.tmp_dir):
            path.mkdir(parents=True, exist_ok=True)
            os.chmod(path, 0o700)
    except OSError as exc:
        raise ConfigurationError(f"cannot use data directory {root}: {exc.strerror}") from exc
    return root


@lru_cache
def read_secret(keys_dir: Path, name: str, size: int = 32) -> bytes:
    """Return the named secret, generating it on first use as an owner-only file."""
    path = keys_dir / f"{name}.key"
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(keys_dir, 0o700)
        # Write a private temporary file, then link it into place: a reader never sees a
        # half-written key, and of two processes starting at once the first link wins.
        tmp = keys_dir / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(size))
                handle.flush()
                os.fsync(handle.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    data = path.read_bytes()
    if len(data) != size:
        raise ConfigurationError(f"secret file {path.name} is damaged (wrong length)")
    return data
