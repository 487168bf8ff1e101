"""Organisation, teams and users: the rules for creating and reading them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.accounts.models import Organisation, Team, TeamMembership, User, UserRole
from attunely.accounts.schemas import TeamCreate, UserCreate, UserRead
from attunely.audit import service as audit
from attunely.auth.passwords import hash_password
from attunely.errors import Conflict, InvalidInput, NotFound
from attunely.guard import require
from attunely.inputs import has_control_chars, is_id
from attunely.policy import Action, Actor, Role


def get_or_create_organisation(db: Session, *, name: str) -> Organisation:
    """Return the organisation this installation serves, creating it on first use."""
    org = db.scalars(select(Organisation).order_by(Organisation.created_at).limit(1)).first()
    if org is None:
        org = Organisation(name=name)
        db.add(org)
        db.flush()
    return org


def create_team(db: Session, *, actor: Actor, data: TeamCreate, organisation_name: str) -> Team:
    """Create a team in the organisation."""
    require(db, actor=actor, action=Action.TEAM_MANAGE, object_type="team")
    org = get_or_create_organisation(db, name=organisation_name)
    if actor.organisation_id not in (None, org.id):
        raise NotFound("no such organisation")
    if db.scalars(
        select(Team).where(Team.organisation_id == org.id, Team.name == data.name)
    ).first():
        raise Conflict(f"a team called {data.name!r} already exists", field="name")
    team = Team(organisation_id=org.id, name=data.name)
    db.add(team)
    db.flush()
    audit.record(db, actor=actor, action="team.create", object_type="team", object_id=team.id)
    return team


def list_teams(db: Session, *, organisation_id: str | None = None) -> list[Team]:
    """Return the teams, by name."""
    query = select(Team).order_by(Team.name)
    if organisation_id:
        query = query.where(Team.organisation_id == organisation_id)
    return list(db.scalars(query))


def find_team(db: Session, *, name_or_id: str) -> Team:
    """Find a team by its name or id."""
    team = (
        db.get(Team, name_or_id) or db.scalars(select(Team).where(Team.name == name_or_id)).first()
    )
    if team is None:
        raise NotFound(f"no team called {name_or_id!r}")
    return team


def create_user(db: Session, *, actor: Actor, data: UserCreate, organisation_name: str) -> User:
    """Create a user with roles and team memberships."""
    require(db, actor=actor, action=Action.USER_MANAGE, object_type="user")
    org = get_or_create_organisation(db, name=organisation_name)
    if actor.organisation_id not in (None, org.id):
        raise NotFound("no such organisation")
    if db.scalars(select(User).where(User.username == data.username)).first():
        raise Conflict("that username is taken", field="username")
    teams = [find_team(db, name_or_id=t) for t in dict.fromkeys(data.teams)]
    if Role.MANAGER in data.roles and data.manages_teams and not teams:
        raise InvalidInput("a manager needs at least one team to manage", field="teams")
    user = User(
        organisation_id=org.id,
        username=data.username,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
    )
    user.roles = [UserRole(role=str(r)) for r in sorted(set(data.roles))]
    user.memberships = [
        TeamMembership(team_id=t.id, manages=data.manages_teams and Role.MANAGER in data.roles)
        for t in teams
    ]
    db.add(user)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        detail={"roles": sorted(str(r) for r in data.roles), "teams": [t.id for t in teams]},
    )
    return user


def set_roles(db: Session, *, actor: Actor, user_id: str, roles: list[Role]) -> User:
    """Replace a user's roles."""
    require(db, actor=actor, action=Action.USER_MANAGE, object_type="user", object_id=user_id)
    user = get_user(db, user_id=user_id, organisation_id=actor.organisation_id)
    if not roles:
        raise InvalidInput("a user needs at least one role", field="roles")
    before = sorted(r.role for r in user.roles)
    user.roles = [UserRole(role=str(r)) for r in sorted(set(roles))]
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="user.roles",
        object_type="user",
        object_id=user.id,
        detail={"before": before, "after": sorted(str(r) for r in set(roles))},
    )
    return user


def get_user(db: Session, *, user_id: str, organisation_id: str | None) -> User:
    """Return a user of the organisation (any organisation for the local operator)."""
    user = db.get(User, user_id) if is_id(user_id) else None
    if user is None or (organisation_id and user.organisation_id != organisation_id):
        raise NotFound("no such user")
    return user


def find_user_by_username(db: Session, *, username: str) -> User | None:
    """Return the user with this username, or None."""
    name = username.strip().lower()
    if len(name) > 64 or has_control_chars(name):
        return None
    return db.scalars(select(User).where(User.username == name)).first()


def list_users(db: Session, *, actor: Actor) -> list[User]:
    """Return the organisation's users, by name."""
    require(db, actor=actor, action=Action.USER_LIST, object_type="user")
    query = select(User).order_by(User.display_name)
    if actor.organisation_id:
        query = query.where(User.organisation_id == actor.organisation_id)
    return list(db.scalars(query))


def users_with_role(db: Session, *, team_id: str, roles: set[Role]) -> list[User]:
    """Return the active members of a team holding any of the roles (for assignment lists)."""
    query = (
        select(User)
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(TeamMembership.team_id == team_id, User.is_active.is_(True))
        .where(UserRole.role.in_([str(r) for r in roles]))
        .order_by(User.display_name)
        .distinct()
    )
    return list(db.scalars(query))


def actor_for(user: User) -> Actor:
    """Build the policy's view of a signed-in user."""
    return Actor(
        id=user.id,
        label=user.username,
        organisation_id=user.organisation_id,
        roles=frozenset(Role(r.role) for r in user.roles if r.role in Role.__members__.values()),
        team_ids=frozenset(m.team_id for m in user.memberships),
        managed_team_ids=frozenset(m.team_id for m in user.memberships if m.manages),
    )


def to_read(user: User) -> UserRead:
    """Describe a user for the API."""
    return UserRead(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=[Role(r.role) for r in user.roles],
        team_ids=[m.team_id for m in user.memberships],
        mfa_enabled=user.totp_enabled,
        is_active=user.is_active,
    )
