"""Collect the data map from the live configuration, database schema and access policy.

Nothing here is a hand-kept description of the system: tables come from the database,
their purpose from each feature's models module, access from `attunely.policy`, periods
and places from the settings. Change a setting and the pack changes with it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Connection, func, inspect, select, table
from sqlalchemy.engine import make_url

from attunely import __version__, policy
from attunely.config import Settings
from attunely.db import Base
from attunely.models import load_all
from attunely.policy import Action, Actor, CaseScope, Role, TeamScope


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


@dataclass
class Pack:
    organisation: str
    generated_at: datetime
    app_version: str
    sections: list[Section]


def redacted_url(url: str) -> str:
    """Return a database URL with its password masked."""
    return make_url(url).render_as_string(hide_password=True)


# --- what is stored -------------------------------------------------------------------------


def _table_features() -> dict[str, str]:
    load_all()
    owners: dict[str, str] = {}
    for mapper in Base.registry.mappers:
        module = mapper.class_.__module__.split(".")
        name = getattr(mapper.class_, "__tablename__", None)
        if name and len(module) > 1:
            owners[str(name)] = module[1]
    return owners


def _feature_summary(feature: str) -> str:
    try:
        module = importlib.import_module(f"attunely.{feature}.models")
    except ModuleNotFoundError:
        return ""
    return (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""


def stored(conn: Connection) -> Section:
    """Every table of the live database, grouped by the feature that owns it."""
    from alembic.runtime.migration import MigrationContext

    owners = _table_features()
    revision = MigrationContext.configure(conn).get_current_revision()
    inspector = inspect(conn)
    names = sorted(inspector.get_table_names())
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(owners.get(name, "other"), []).append(name)
    section = Section(
        "stored",
        "What is stored",
        [
            f"The live database holds {len(names)} tables at schema revision {revision}, "
            "grouped below by the feature that owns them, with their row counts. Footage "
            "and everything derived from it (proxies, thumbnails, sound, analyses, clips) is "
            "never in the database: it is sealed in the vault (see 'Vault object kinds')."
        ],
    )
    for feature in sorted(groups):
        rows = []
        for name in groups[feature]:
            columns = ", ".join(c["name"] for c in inspector.get_columns(name))
            count = conn.execute(select(func.count()).select_from(table(name))).scalar_one()
            rows.append([name, str(count), columns])
        summary = _feature_summary(feature) or (
            "Migration bookkeeping." if feature == "other" else ""
        )
        section.tables.append(Table(f"{feature}: {summary}", ["Table", "Rows", "Columns"], rows))
    return section


def vault_kinds() -> Section:
    from attunely.vault import crypto
    from attunely.vault.models import ObjectKind

    return Section(
        "vault",
        "Vault object kinds",
        ["Each kind is sealed the same way (see 'Encryption'); only ciphertext is stored."],
        [
            Table(
                "Kinds of sealed objects",
                ["Kind", "Chunk size (default)"],
                [[k.value, f"{crypto.DEFAULT_CHUNK_SIZE // 1024} KiB"] for k in ObjectKind],
            )
        ],
    )


# --- where ----------------------------------------------------------------------------------


def _storage_rows(settings: Settings) -> list[list[str]]:
    if settings.storage == "s3":
        endpoint = settings.s3_endpoint or "AWS S3 (default endpoint)"
        return [
            ["Film vault", f"S3 object storage: bucket {settings.s3_bucket or '(not set)'}"],
            ["S3 endpoint", endpoint],
            ["S3 region", settings.s3_region],
            ["S3 key prefix", settings.s3_prefix or "(none)"],
        ]
    return [["Film vault", f"local directory {settings.resolved_data_dir / 'vault'}"]]


def where(settings: Settings, conn: Connection) -> Section:
    kind = "SQLite file" if conn.dialect.name == "sqlite" else "PostgreSQL server"
    rows = [
        ["Database", f"{kind}: {redacted_url(settings.sqlalchemy_url)}"],
        *_storage_rows(settings),
        ["Master keys", _key_manager_text(settings)],
        ["Erasure ledger", str(settings.resolved_ledger_dir)],
        ["Temporary files", f"{settings.tmp_dir} (encrypted pieces only)"],
        ["Data directory", str(settings.resolved_data_dir)],
    ]
    return Section(
        "where",
        "Where it is kept",
        ["Passwords in connection settings are masked."],
        [Table("Locations", ["What", "Where"], rows)],
    )


def _key_manager_text(settings: Settings) -> str:
    if settings.key_manager.strip() == "local":
        return f"key files in {settings.keys_dir} (owner-only), outside the database"
    return f"external key manager {settings.key_manager.strip()} (KMS); never in the database"


# --- encryption -----------------------------------------------------------------------------


def encryption(settings: Settings, conn: Connection) -> Section:
    from attunely.vault import crypto
    from attunely.vault.models import CaseKey, VaultMasterKey

    versions = conn.execute(
        select(VaultMasterKey.version, VaultMasterKey.state).order_by(VaultMasterKey.version)
    ).all()
    keys = conn.execute(select(func.count()).select_from(CaseKey)).scalar_one()
    shredded = conn.execute(
        select(func.count()).select_from(CaseKey).where(CaseKey.wrapped_key.is_(None))
    ).scalar_one()
    history = ", ".join(f"v{v} {s}" for v, s in versions) or "none yet"
    return Section(
        "encryption",
        "Encryption",
        [
            "Footage is encrypted from the first byte written: AES-256-GCM in independently "
            f"authenticated chunks ({crypto.DEFAULT_CHUNK_SIZE // 1024} KiB by default, "
            f"{crypto.NONCE_SIZE * 8}-bit random nonce and {crypto.TAG_SIZE * 8}-bit tag per "
            "chunk), so any byte range can be served without decrypting the rest.",
            "Key hierarchy: a fresh 256-bit data key per object, wrapped by a case key per "
            "family case, wrapped by a versioned master key that is never stored in the "
            "database. Destroying a case key crypto-shreds all of that case's footage.",
        ],
        [
            Table(
                "Keys",
                ["What", "Value"],
                [
                    ["Key manager", _key_manager_text(settings)],
                    ["Master key versions", history],
                    ["Case keys", f"{keys} ({shredded} shredded)"],
                    ["Backups", "hold ciphertext and wrapped keys only, never a master key"],
                    [
                        "Database at rest",
                        "not encrypted by Attunely (footage never is in it): owner-only files "
                        "for SQLite, the server's storage encryption for PostgreSQL; second-"
                        "factor secrets are sealed with the application key",
                    ],
                ],
            )
        ],
    )


# --- who can access -------------------------------------------------------------------------

_ORG = "org"


def _actor(role: Role) -> Actor:
    return Actor(
        id=f"dpia-{role}",
        label=str(role),
        organisation_id=_ORG,
        roles=frozenset({role}),
        team_ids=frozenset({"team"}),
        managed_team_ids=frozenset({"team"}),
    )


def access_cell(actor: Actor, action: Action) -> str:
    """Say how far `actor` may do `action`: everywhere, where related, or never."""
    gate = policy.decide(actor, action)
    if not gate.allowed:
        return "-"
    unrelated = (CaseScope("c", _ORG, "other", None, None), TeamScope("other", _ORG))
    if any(policy.decide(actor, action, scope).allowed for scope in unrelated):
        return "yes"
    related = (CaseScope("c", _ORG, "team", actor.id, actor.id), TeamScope("team", _ORG))
    for scope in related:
        decision = policy.decide(actor, action, scope)
        if decision.allowed:
            return decision.reason
    # Allowed at the door, but on objects of another kind (a share link, say).
    return gate.reason


def access(settings: Settings) -> Section:
    roles = list(Role)
    operator = policy.local_operator("operator")
    rows = []
    for action in Action:
        cells = [access_cell(_actor(role), action) for role in roles]
        cells.append("yes" if policy.decide(operator, action).allowed else "-")
        rows.append([str(action), *cells])
    return Section(
        "access",
        "Who can access what",
        [
            "Generated from the access policy (attunely/policy.py), the one place that decides. "
            "'yes': on everything in the organisation; a relationship (e.g. 'assigned guider'): "
            "only where the person holds it; '-': never. Media reads also need a current "
            "consent (or other basis) for the purpose, and every read is audited.",
            "Second factor required for: "
            + ", ".join(policy.ROLE_LABELS[r] for r in sorted(policy.MFA_REQUIRED_ROLES))
            + f". Sessions end after {settings.session_idle_minutes} idle minutes and "
            f"{settings.session_absolute_hours} hours at most.",
        ],
        [
            Table(
                "Roles and actions",
                ["Action", *(policy.ROLE_LABELS[r] for r in roles), "Local operator"],
                rows,
            )
        ],
    )


# --- retention, processors, consent ---------------------------------------------------------


def retention(settings: Settings) -> Section:
    rows = []
    for name in type(settings).model_fields:
        if name.startswith(("retention_", "shred_")) or name in (
            "upload_idle_hours",
            "session_absolute_hours",
        ):
            value = getattr(settings, name)
            unit = name.rsplit("_", 1)[-1]
            label = name.removesuffix(f"_{unit}").replace("_", " ")
            rows.append([label, f"{value:g} {unit}", f"ATTUNELY_{name.upper()}"])
    return Section(
        "retention",
        "Retention",
        [
            "Periods from the live settings (ATTUNELY_<NAME>). A legal hold stops expiry; "
            "expired footage is crypto-shredded and every erasure is written to the erasure "
            "ledger, which a restore from backup re-applies."
        ],
        [Table("Retention periods", ["Record class / period", "Value", "Setting"], rows)],
    )


def processors(settings: Settings) -> Section:
    rows = [["Database", "local SQLite file" if settings.database_url is None else "PostgreSQL"]]
    if settings.storage == "s3":
        host = urlsplit(settings.s3_endpoint).hostname if settings.s3_endpoint else None
        where_s3 = host or "Amazon Web Services"
        rows.append(["Object storage", f"S3-compatible storage at {where_s3} (ciphertext only)"])
    else:
        rows.append(["Object storage", "none: footage stays on this server's disk"])
    rows.append(
        [
            "Job queue",
            "the application database itself ("
            + (
                "worker threads in the web app"
                if settings.jobs == "embedded"
                else "attunely worker processes"
            )
            + "); no external queue",
        ]
    )
    external = settings.key_manager.strip() != "local"
    rows.append(["Key manager", settings.key_manager if external else "none: local key files"])
    rows.append(["Analysis", "runs on this server; no footage is sent anywhere"])
    return Section(
        "processors",
        "Processors",
        ["Services that handle data for the organisation, from the live configuration."],
        [Table("Processors", ["Service", "Who"], rows)],
    )


def consent_purposes() -> Section:
    from attunely.consent.schemas import LawfulBasis, Purpose

    return Section(
        "consent",
        "Consent purposes and lawful bases",
        [
            "Each purpose needs its own current consent (or other recorded basis) from everyone "
            "identifiable in a film; withdrawal stops access at once."
        ],
        [
            Table("Purposes", ["Purpose"], [[p.value] for p in Purpose]),
            Table("Lawful bases", ["Basis"], [[b.value] for b in LawfulBasis]),
        ],
    )


def build(settings: Settings, conn: Connection, *, now: datetime) -> Pack:
    """Assemble the whole pack, reading the database through `conn` (nothing is written)."""
    live = [stored(conn), vault_kinds(), where(settings, conn), encryption(settings, conn)]
    return Pack(
        organisation=settings.organisation_name,
        generated_at=now,
        app_version=__version__,
        sections=[
            *live,
            access(settings),
            retention(settings),
            processors(settings),
            consent_purposes(),
        ],
    )
