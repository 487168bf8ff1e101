"""Consistent copies of the database, and putting one back (SQLite and PostgreSQL).

A backup reads what it needs from the same snapshot it copies: for SQLite the copy itself,
for PostgreSQL a REPEATABLE READ transaction whose snapshot pg_dump is told to use.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from attunely.config import Settings
from attunely.db import engine_for_url
from attunely.errors import ConfigurationError, IntegrityError


@dataclass(frozen=True)
class SnapshotFacts:
    """What the backup records about the snapshot it copied."""

    revision: str
    #: (storage key, state) of every vault object.
    objects: list[tuple[str, str]]
    #: Master key versions that wrap a case key that is not shredded.
    master_key_versions: list[int]
    counts: dict[str, int]


def read_facts(conn: Connection) -> SnapshotFacts:
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    objects = [(str(k), str(s)) for k, s in conn.execute(text(_OBJECTS))]
    versions = sorted(int(v) for (v,) in conn.execute(text(_VERSIONS)))
    counts = {
        name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
        for name in ("cases", "films", "vault_objects", "audit_entries")
    }
    return SnapshotFacts(str(revision), objects, versions, counts)


_OBJECTS = "SELECT storage_key, state FROM vault_objects ORDER BY storage_key"
_VERSIONS = "SELECT DISTINCT key_version FROM vault_case_keys WHERE wrapped_key IS NOT NULL"


# --- SQLite ---------------------------------------------------------------------------------


def sqlite_path(settings: Settings) -> Path:
    url = make_url(settings.sqlalchemy_url)
    if not url.database:
        raise ConfigurationError("the SQLite database has no file (in-memory databases)")
    return Path(url.database)


def sqlite_snapshot(settings: Settings, dest: Path) -> SnapshotFacts:
    """Copy the live SQLite database to `dest` as one consistent snapshot."""
    source = sqlite_path(settings)
    if not source.is_file():
        raise ConfigurationError(f"there is no database at {source}")
    conn = sqlite3.connect(source, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("VACUUM INTO ?", (str(dest),))
    finally:
        conn.close()
    engine = engine_for_url(f"sqlite:///{dest}")
    try:
        with engine.connect() as connection:
            return read_facts(connection)
    finally:
        engine.dispose()


def sqlite_settle(path: Path) -> None:
    """Fold a database's write-ahead log into its file, so the file alone is the database."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def sqlite_install(staged: Path, target: Path) -> None:
    """Put the staged database in place of `target`, dropping the old one's WAL files."""
    sqlite_settle(staged)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)


def sqlite_in_use(settings: Settings) -> bool:
    """Say whether the SQLite database holds any table (a restore would overwrite it)."""
    path = sqlite_path(settings)
    if not path.is_file() or path.stat().st_size == 0:
        return False
    engine = engine_for_url(f"sqlite:///{path}")
    try:
        return bool(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# --- PostgreSQL -----------------------------------------------------------------------------


def pg_tool(settings: Settings, name: str) -> Path:
    """Find pg_dump or pg_restore: ATTUNELY_PG_BINDIR, PATH, then Debian's versioned dirs."""
    if settings.pg_bindir is not None:
        candidate = settings.pg_bindir.expanduser() / name
        if candidate.is_file():
            return candidate
        raise ConfigurationError(f"{name} is not in ATTUNELY_PG_BINDIR ({settings.pg_bindir})")
    found = shutil.which(name)
    if found:
        return Path(found)
    versioned = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if versioned:
        return Path(versioned[-1])
    raise ConfigurationError(
        f"{name} was not found: install the PostgreSQL client tools (the same major version "
        "as the server or newer), or set ATTUNELY_PG_BINDIR"
    )


def _libpq_env(settings: Settings) -> dict[str, str]:
    """Connection settings for libpq tools, the password in the environment, not argv."""
    url = make_url(settings.sqlalchemy_url)
    env = dict(os.environ)
    values = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
    }
    for name, value in values.items():
        if isinstance(value, str) and value:
            env[name] = value
    return env


def _run(args: list[str], settings: Settings, what: str) -> None:
    # Our own tool path and options; the password travels in the environment only.
    done = subprocess.run(args, env=_libpq_env(settings), capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise ConfigurationError(f"{what} failed: {lines[0] if lines else done.returncode}")


def pg_snapshot(settings: Settings, engine: Engine, dest: Path) -> SnapshotFacts:
    """Dump the database (custom format) from one snapshot, read the facts from the same."""
    pg_dump = pg_tool(settings, "pg_dump")
    with engine.connect() as raw:
        conn = raw.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            facts = read_facts(conn)
            _run(
                [
                    str(pg_dump),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={dest}",
                ],
                settings,
                "pg_dump",
            )
    return facts


def pg_in_use(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def pg_clear(engine: Engine) -> None:
    """Drop every table of the application's schema (after the operator said --yes)."""
    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.begin() as conn:
        meta.drop_all(bind=conn)


def pg_load(settings: Settings, dump: Path) -> None:
    """Load a custom-format dump into the (empty) configured database, all or nothing."""
    pg_restore = pg_tool(settings, "pg_restore")
    url = make_url(settings.sqlalchemy_url)
    _run(
        [
            str(pg_restore),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={url.database}",
            str(dump),
        ],
        settings,
        "pg_restore",
    )


@contextmanager
def staged_sqlite(folder: Path, name: str) -> Iterator[Path]:
    """Yield a path for a staged database in `folder`, removed again unless installed."""
    path = folder / name
    try:
        yield path
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{path}{suffix}").unlink()


def check_revision(revision: str) -> None:
    """Refuse a backup whose schema this version of Attunely does not know."""
    from alembic.script import ScriptDirectory

    from attunely.db import MIGRATIONS_DIR

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    try:
        known = script.get_revision(revision)
    except Exception:  # alembic raises several kinds for an unknown id
        known = None
    if known is None:
        raise IntegrityError(
            f"the backup's schema revision {revision!r} is newer than (or unknown to) this "
            "version of Attunely; restore it with the version that made it"
        )
