"""Coding schemes: each team's schemes, the default one, and new versions on every edit."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from attunely.accounts.models import Team
from attunely.audit import service as audit
from attunely.db import utcnow
from attunely.errors import InvalidInput, NotFound
from attunely.guard import require
from attunely.inputs import is_id, printable
from attunely.policy import Action, Actor, TeamScope
from attunely.workspace.default_scheme import (
    DEFAULT_CODES,
    DEFAULT_SCHEME_DESCRIPTION,
    DEFAULT_SCHEME_NAME,
)
from attunely.workspace.errors import StaleRevision
from attunely.workspace.models import CodingScheme, CodingSchemeVersion
from attunely.workspace.schemas import CodeDef, SchemeCreate, SchemeEdit, SchemeVersionRead

#: Namespace of the default schemes' ids: one fixed id per team, so two first visits at
#: once cannot both create it.
_DEFAULT_NS = uuid.UUID("6f1d1c3e-27a4-4c51-9a6b-5f0e0b7c2d11")


def team_scope(team: Team) -> TeamScope:
    return TeamScope(team_id=team.id, organisation_id=team.organisation_id)


def authorized_team(db: Session, *, actor: Actor, team_id: str, action: Action) -> Team:
    """Load a team and check the actor may do `action` to its schemes (404 to outsiders)."""
    team = db.get(Team, team_id) if is_id(team_id) else None
    if team is None:
        require(db, actor=actor, action=action, object_type="team", object_id=printable(team_id))
        raise NotFound("no such team")
    require(
        db,
        actor=actor,
        action=action,
        resource=team_scope(team),
        object_type="team",
        object_id=team.id,
    )
    return team


def codes_of(version: CodingSchemeVersion) -> list[CodeDef]:
    """The codes a version holds (validated when they were written)."""
    return [CodeDef.model_validate(c) for c in json.loads(version.codes or "[]")]


def code_in(version: CodingSchemeVersion, code: str) -> CodeDef | None:
    return next((c for c in codes_of(version) if c.code == code), None)


def version_read(version: CodingSchemeVersion, scheme: CodingScheme) -> SchemeVersionRead:
    return SchemeVersionRead(
        id=version.id,
        scheme_id=scheme.id,
        team_id=scheme.team_id,
        version=version.version,
        current=version.version == scheme.current_version,
        name=version.name,
        description=version.description,
        codes=codes_of(version),
        created_at=version.created_at,
    )


def _codes_json(codes: list[CodeDef]) -> str:
    return json.dumps([c.model_dump(mode="json") for c in codes], separators=(",", ":"))


def default_scheme_id(team_id: str) -> str:
    return str(uuid.uuid5(_DEFAULT_NS, f"default-scheme:{team_id}"))


def ensure_default(db: Session, *, actor: Actor, team_id: str) -> None:
    """Give the team the default scheme the first time anyone in it opens a workspace."""
    scheme_id = default_scheme_id(team_id)
    if db.get(CodingScheme, scheme_id) is not None:
        return
    codes = [CodeDef.model_validate(c) for c in DEFAULT_CODES]
    try:
        with db.begin_nested():
            db.add(
                CodingScheme(
                    id=scheme_id,
                    team_id=team_id,
                    name=DEFAULT_SCHEME_NAME,
                    current_version=1,
                    created_by="attunely",
                )
            )
            db.flush()
            db.add(
                CodingSchemeVersion(
                    id=str(uuid.uuid5(_DEFAULT_NS, f"default-scheme:{team_id}:1")),
                    scheme_id=scheme_id,
                    version=1,
                    name=DEFAULT_SCHEME_NAME,
                    description=DEFAULT_SCHEME_DESCRIPTION,
                    codes=_codes_json(codes),
                    created_by="attunely",
                )
            )
            db.flush()
    except IntegrityError:
        # Someone else created it meanwhile, or the team already has a scheme of that name.
        return
    audit.record(
        db,
        actor=actor,
        action="scheme.create",
        object_type="coding_scheme",
        object_id=scheme_id,
        purpose="casework",
        detail={"team": team_id, "default": True},
    )


def current_versions(db: Session, *, team_id: str) -> list[SchemeVersionRead]:
    """The newest version of each of a team's schemes: the default first, then by name."""
    rows = db.execute(
        select(CodingScheme, CodingSchemeVersion)
        .join(CodingSchemeVersion, CodingSchemeVersion.scheme_id == CodingScheme.id)
        .where(
            CodingScheme.team_id == team_id,
            CodingSchemeVersion.version == CodingScheme.current_version,
        )
    ).all()
    default_id = default_scheme_id(team_id)
    ordered = sorted(rows, key=lambda r: (r[0].id != default_id, r[0].name.lower()))
    return [version_read(version, scheme) for scheme, version in ordered]


def list_schemes(db: Session, *, actor: Actor, team_id: str) -> list[SchemeVersionRead]:
    """A team's schemes (each at its newest version)."""
    team = authorized_team(db, actor=actor, team_id=team_id, action=Action.SCHEME_VIEW)
    ensure_default(db, actor=actor, team_id=team.id)
    return current_versions(db, team_id=team.id)


def _name_free(db: Session, *, team_id: str, name: str, scheme_id: str | None) -> None:
    clash = db.scalar(
        select(CodingScheme.id).where(CodingScheme.team_id == team_id, CodingScheme.name == name)
    )
    if clash is not None and clash != scheme_id:
        raise InvalidInput("the team already has a scheme of that name", field="name")


def create_scheme(
    db: Session, *, actor: Actor, team_id: str, data: SchemeCreate
) -> SchemeVersionRead:
    """Start a new scheme in a team, at version 1."""
    team = authorized_team(db, actor=actor, team_id=team_id, action=Action.SCHEME_MANAGE)
    _name_free(db, team_id=team.id, name=data.name, scheme_id=None)
    scheme = CodingScheme(
        team_id=team.id, name=data.name, current_version=1, created_by=actor.audit_id
    )
    db.add(scheme)
    db.flush()
    version = CodingSchemeVersion(
        scheme_id=scheme.id,
        version=1,
        name=data.name,
        description=data.description,
        codes=_codes_json(data.codes),
        created_by=actor.audit_id,
    )
    db.add(version)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="scheme.create",
        object_type="coding_scheme",
        object_id=scheme.id,
        purpose="casework",
        detail={"team": team.id, "version": version.id},
    )
    return version_read(version, scheme)


def _scheme(db: Session, *, actor: Actor, scheme_id: str, action: Action) -> CodingScheme:
    scheme = db.get(CodingScheme, scheme_id) if is_id(scheme_id) else None
    if scheme is None:
        require(
            db,
            actor=actor,
            action=action,
            object_type="coding_scheme",
            object_id=printable(scheme_id),
        )
        raise NotFound("no such coding scheme")
    authorized_team(db, actor=actor, team_id=scheme.team_id, action=action)
    return scheme


def scheme_for(db: Session, *, actor: Actor, scheme_id: str, action: Action) -> CodingScheme:
    """Load a scheme the actor may do `action` to (404 to outsiders)."""
    return _scheme(db, actor=actor, scheme_id=scheme_id, action=action)


def _version(db: Session, scheme: CodingScheme, number: int) -> CodingSchemeVersion:
    version = db.scalar(
        select(CodingSchemeVersion).where(
            CodingSchemeVersion.scheme_id == scheme.id, CodingSchemeVersion.version == number
        )
    )
    if version is None:
        raise NotFound("no such version of the scheme")
    return version


def edit_scheme(
    db: Session, *, actor: Actor, scheme_id: str, data: SchemeEdit
) -> SchemeVersionRead:
    """Write the edit as a new version; annotations made with older versions keep theirs."""
    scheme = _scheme(db, actor=actor, scheme_id=scheme_id, action=Action.SCHEME_MANAGE)
    if data.version != scheme.current_version:
        current = _version(db, scheme, scheme.current_version)
        raise StaleRevision("scheme", version_read(current, scheme))
    _name_free(db, team_id=scheme.team_id, name=data.name, scheme_id=scheme.id)
    version = CodingSchemeVersion(
        scheme_id=scheme.id,
        version=scheme.current_version + 1,
        name=data.name,
        description=data.description,
        codes=_codes_json(data.codes),
        created_by=actor.audit_id,
    )
    db.add(version)
    scheme.current_version = version.version
    scheme.name = data.name
    scheme.updated_at = utcnow()
    try:
        db.flush()
    except IntegrityError:
        # Another edit took this version number first.
        db.rollback()
        raise StaleRevision("scheme", None) from None
    audit.record(
        db,
        actor=actor,
        action="scheme.edit",
        object_type="coding_scheme",
        object_id=scheme.id,
        purpose="casework",
        detail={"version": version.id},
    )
    return version_read(version, scheme)


def get_version(db: Session, *, actor: Actor, version_id: str) -> SchemeVersionRead:
    """One version of a scheme, current or not."""
    version = db.get(CodingSchemeVersion, version_id) if is_id(version_id) else None
    if version is None:
        require(
            db,
            actor=actor,
            action=Action.SCHEME_VIEW,
            object_type="coding_scheme",
            object_id=printable(version_id),
        )
        raise NotFound("no such version of a coding scheme")
    scheme = _scheme(db, actor=actor, scheme_id=version.scheme_id, action=Action.SCHEME_VIEW)
    return version_read(version, scheme)


def team_version(db: Session, *, team_id: str, version_id: str, field: str) -> CodingSchemeVersion:
    """A version of one of the team's schemes, or a clear refusal naming `field`."""
    version = db.get(CodingSchemeVersion, version_id)
    scheme = db.get(CodingScheme, version.scheme_id) if version else None
    if version is None or scheme is None or scheme.team_id != team_id:
        raise InvalidInput("that is not one of the team's coding schemes", field=field)
    return version


def versions_by_id(db: Session, ids: set[str]) -> list[SchemeVersionRead]:
    """Read the given versions (e.g. older ones annotations on a film were made with)."""
    if not ids:
        return []
    rows = db.execute(
        select(CodingSchemeVersion, CodingScheme)
        .join(CodingScheme, CodingScheme.id == CodingSchemeVersion.scheme_id)
        .where(CodingSchemeVersion.id.in_(ids))
    ).all()
    return [version_read(v, s) for v, s in rows]
