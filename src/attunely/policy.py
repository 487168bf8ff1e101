"""The one place that decides who may do what.

Every route names an action from `Action`; every service asks `decide`/`authorize`
before it touches an object. The rules are deny-by-default: an action without a rule,
or an actor without a matching role and relationship, is refused.

This module is pure: it knows roles, actions and the relationship between an actor and
a case, nothing about the database or the web.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Roles a user can hold; a user may hold several."""

    GUIDER = "guider"
    TRAINEE_GUIDER = "trainee_guider"
    SUPERVISOR = "supervisor"
    MANAGER = "manager"
    DPO = "dpo"
    ADMIN = "admin"


ROLE_LABELS: dict[Role, str] = {
    Role.GUIDER: "Guider",
    Role.TRAINEE_GUIDER: "Trainee guider",
    Role.SUPERVISOR: "Supervisor",
    Role.MANAGER: "Team manager",
    Role.DPO: "Data protection officer",
    Role.ADMIN: "Administrator",
}

#: Roles that must pass a second factor before doing anything.
MFA_REQUIRED_ROLES = frozenset({Role.ADMIN, Role.DPO})

PRACTITIONER_ROLES = frozenset({Role.GUIDER, Role.TRAINEE_GUIDER, Role.SUPERVISOR})


class Action(StrEnum):
    """Everything a route or command can do. Each has exactly one rule below."""

    PUBLIC_PAGE = "public.page"
    SESSION_LOGIN = "session.login"
    SESSION_LOGOUT = "session.logout"
    SELF_VIEW = "self.view"
    SELF_MFA = "self.mfa"
    CASE_LIST_OWN = "case.list_own"
    CASE_LIST_TEAM = "case.list_team"
    CASE_CREATE = "case.create"
    CASE_VIEW = "case.view"
    CASE_EDIT = "case.edit"
    CASE_ASSIGN = "case.assign"
    PERSON_ADD = "person.add"
    PERSON_EDIT = "person.edit"
    FILM_LIST = "film.list"
    FILM_UPLOAD = "film.upload"
    FILM_PLAY = "film.play"
    FILM_EXPORT = "film.export"
    CONSENT_VIEW = "consent.view"
    CONSENT_RECORD = "consent.record"
    ANNOTATION_VIEW = "annotation.view"
    ANNOTATION_EDIT = "annotation.edit"
    SCHEME_VIEW = "scheme.view"
    SCHEME_MANAGE = "scheme.manage"
    USER_LIST = "user.list"
    USER_MANAGE = "user.manage"
    TEAM_MANAGE = "team.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_VERIFY = "audit.verify"
    SYSTEM_ADMIN = "system.admin"
    SHARE_CREATE = "share.create"
    SHARE_LIST = "share.list"
    SHARE_REVOKE = "share.revoke"
    SHARE_WATCH = "share.watch"
    RETENTION_VIEW = "retention.view"
    RETENTION_RUN = "retention.run"
    RETENTION_HOLD = "retention.hold"
    RIGHTS_VIEW = "rights.view"
    RIGHTS_EXPORT = "rights.export"
    RIGHTS_ERASE = "rights.erase"
    DPIA_VIEW = "dpia.view"


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or the local operator at the command line."""

    id: str
    label: str
    organisation_id: str | None
    roles: frozenset[Role] = frozenset()
    team_ids: frozenset[str] = frozenset()
    managed_team_ids: frozenset[str] = frozenset()
    local_operator: bool = False
    authenticated: bool = True

    @property
    def audit_id(self) -> str:
        return f"local:{self.label}" if self.local_operator else self.id


ANONYMOUS = Actor(id="anonymous", label="anonymous", organisation_id=None, authenticated=False)


def local_operator(name: str) -> Actor:
    """Return the actor for the named administrator running commands on the server itself."""
    return Actor(id=f"local:{name}", label=name, organisation_id=None, local_operator=True)


@dataclass(frozen=True)
class CaseScope:
    """The facts about a case that access depends on (never its content)."""

    case_id: str
    organisation_id: str
    team_id: str
    guider_id: str | None
    supervisor_id: str | None


@dataclass(frozen=True)
class TeamScope:
    """A team, for actions on a team as a whole (caseload, creating cases in it)."""

    team_id: str
    organisation_id: str


Resource = CaseScope | TeamScope | None


@dataclass(frozen=True)
class Decision:
    """The policy's answer, with the reason in words for the audit trail."""

    allowed: bool
    reason: str
    #: When refused, whether to hide that the object exists (answer "not found").
    conceal: bool = False


Rule = Callable[[Actor, Resource], Decision]


def _allow(reason: str) -> Decision:
    return Decision(True, reason)


def _deny(reason: str, *, conceal: bool = False) -> Decision:
    return Decision(False, reason, conceal)


def _public(_actor: Actor, _res: Resource) -> Decision:
    return _allow("public")


def _share_link(_actor: Actor, _res: Resource) -> Decision:
    # The recipient is outside the organisation and has no account: the link's token is the
    # credential, and the sharing service checks it (expiry, revocation, consent) every time.
    return _allow("share link; the token is checked")


def _signed_in(actor: Actor, _res: Resource) -> Decision:
    if actor.authenticated and not actor.local_operator:
        return _allow("signed in")
    return _deny("not signed in")


def _has_role(actor: Actor, roles: frozenset[Role]) -> bool:
    return bool(actor.roles & roles)


def _roles(*roles: Role, local: bool = False) -> Rule:
    wanted = frozenset(roles)

    def rule(actor: Actor, _res: Resource) -> Decision:
        if local and actor.local_operator:
            return _allow("local operator")
        if actor.authenticated and _has_role(actor, wanted):
            return _allow("role " + "/".join(sorted(actor.roles & wanted)))
        return _deny("role required: " + "/".join(sorted(wanted)))

    return rule


def _case_relationship(actor: Actor, scope: CaseScope) -> set[str]:
    """Name every way the actor is related to the case."""
    related: set[str] = set()
    if actor.organisation_id != scope.organisation_id:
        return related
    if actor.id == scope.guider_id and _has_role(
        actor, frozenset({Role.GUIDER, Role.TRAINEE_GUIDER})
    ):
        related.add("assigned guider")
    if actor.id == scope.supervisor_id and Role.SUPERVISOR in actor.roles:
        related.add("assigned supervisor")
    if scope.team_id in actor.managed_team_ids and Role.MANAGER in actor.roles:
        related.add("manager of the team")
    return related


_RELATION_ROLES = {
    "assigned guider": frozenset({Role.GUIDER, Role.TRAINEE_GUIDER}),
    "assigned supervisor": frozenset({Role.SUPERVISOR}),
    "manager of the team": frozenset({Role.MANAGER}),
}


def _case_rule(*relations: str, dpo: bool = False, local: bool = False) -> Rule:
    wanted = set(relations)
    gate_roles: frozenset[Role] = frozenset().union(*(_RELATION_ROLES[r] for r in relations))

    def rule(actor: Actor, res: Resource) -> Decision:
        if local and actor.local_operator:
            return _allow("local operator")
        if not actor.authenticated:
            return _deny("not signed in")
        if res is None:
            # Asked without an object: may this actor ever do it? (route-level gate)
            if dpo and Role.DPO in actor.roles:
                return _allow("role dpo")
            if _has_role(actor, gate_roles):
                return _allow("role may act on assigned cases")
            return _deny("no role acts on cases this way")
        if not isinstance(res, CaseScope):
            return _deny("not a case")
        if dpo and Role.DPO in actor.roles and actor.organisation_id == res.organisation_id:
            return _allow("data protection officer of the organisation")
        found = _case_relationship(actor, res) & wanted
        if found:
            return _allow(", ".join(sorted(found)))
        # Never tell an outsider that the case exists.
        return _deny("not assigned to this case", conceal=True)

    return rule


def _team_rule(actor: Actor, res: Resource) -> Decision:
    """Create a case in a team: a guider of that team, or its manager."""
    if actor.local_operator:
        return _allow("local operator")
    if not actor.authenticated:
        return _deny("not signed in")
    if res is None:
        if _has_role(actor, frozenset({Role.GUIDER, Role.TRAINEE_GUIDER, Role.MANAGER})):
            return _allow("role may open cases")
        return _deny("role required: guider/trainee_guider/manager")
    if not isinstance(res, TeamScope) or res.organisation_id != actor.organisation_id:
        return _deny("not a team of this organisation", conceal=True)
    if Role.MANAGER in actor.roles and res.team_id in actor.managed_team_ids:
        return _allow("manager of the team")
    if _has_role(actor, frozenset({Role.GUIDER, Role.TRAINEE_GUIDER})) and (
        res.team_id in actor.team_ids
    ):
        return _allow("guider in the team")
    return _deny("not a member of this team", conceal=True)


def _team_member_rule(*roles: Role) -> Rule:
    """Act on a team's shared things (coding schemes): a member holding one of `roles`, or
    the team's manager."""
    wanted = frozenset(roles)

    def rule(actor: Actor, res: Resource) -> Decision:
        if actor.local_operator:
            return _allow("local operator")
        if not actor.authenticated:
            return _deny("not signed in")
        if res is None:
            if _has_role(actor, wanted | {Role.MANAGER}):
                return _allow("role may act on team schemes")
            return _deny("role required: " + "/".join(sorted(wanted | {Role.MANAGER})))
        if not isinstance(res, TeamScope) or res.organisation_id != actor.organisation_id:
            return _deny("not a team of this organisation", conceal=True)
        if Role.MANAGER in actor.roles and res.team_id in actor.managed_team_ids:
            return _allow("manager of the team")
        if _has_role(actor, wanted) and res.team_id in actor.team_ids:
            return _allow("member of the team")
        return _deny("not a member of this team", conceal=True)

    return rule


def _caseload_rule(actor: Actor, res: Resource) -> Decision:
    if not actor.authenticated or Role.MANAGER not in actor.roles:
        return _deny("role required: manager")
    if res is None:
        return _allow("role manager")
    if isinstance(res, TeamScope) and res.team_id in actor.managed_team_ids:
        return _allow("manager of the team")
    return _deny("not a manager of this team", conceal=True)


RULES: dict[Action, Rule] = {
    Action.PUBLIC_PAGE: _public,
    Action.SESSION_LOGIN: _public,
    Action.SESSION_LOGOUT: _signed_in,
    Action.SELF_VIEW: _signed_in,
    Action.SELF_MFA: _signed_in,
    Action.CASE_LIST_OWN: _roles(
        Role.GUIDER, Role.TRAINEE_GUIDER, Role.SUPERVISOR, Role.MANAGER, Role.DPO
    ),
    Action.CASE_LIST_TEAM: _caseload_rule,
    Action.CASE_CREATE: _team_rule,
    Action.CASE_VIEW: _case_rule(
        "assigned guider", "assigned supervisor", "manager of the team", dpo=True, local=True
    ),
    Action.CASE_EDIT: _case_rule("assigned guider", "manager of the team", local=True),
    Action.CASE_ASSIGN: _case_rule("manager of the team", local=True),
    Action.PERSON_ADD: _case_rule("assigned guider", "manager of the team", local=True),
    Action.PERSON_EDIT: _case_rule("assigned guider", "manager of the team", local=True),
    # Film metadata (states, dates) follows case access; footage itself is narrower:
    # managers and the DPO see that films exist, not what is in them (minimum necessary).
    Action.FILM_LIST: _case_rule(
        "assigned guider", "assigned supervisor", "manager of the team", dpo=True, local=True
    ),
    Action.FILM_UPLOAD: _case_rule("assigned guider", local=True),
    Action.FILM_PLAY: _case_rule("assigned guider", "assigned supervisor", local=True),
    Action.FILM_EXPORT: _case_rule(local=True),
    # Consent: the guider records what the family agreed (or withdrew); the team manager and
    # the DPO can too (a withdrawal must never wait for one person). The supervisor only reads.
    Action.CONSENT_VIEW: _case_rule(
        "assigned guider", "assigned supervisor", "manager of the team", dpo=True, local=True
    ),
    Action.CONSENT_RECORD: _case_rule(
        "assigned guider", "manager of the team", dpo=True, local=True
    ),
    # Codes and clips describe what is in the footage: the same people as watching it.
    Action.ANNOTATION_VIEW: _case_rule("assigned guider", "assigned supervisor", local=True),
    Action.ANNOTATION_EDIT: _case_rule("assigned guider", local=True),
    Action.SCHEME_VIEW: _team_member_rule(Role.GUIDER, Role.TRAINEE_GUIDER, Role.SUPERVISOR),
    Action.SCHEME_MANAGE: _team_member_rule(Role.GUIDER, Role.SUPERVISOR),
    Action.USER_LIST: _roles(Role.ADMIN, Role.MANAGER, Role.DPO, local=True),
    Action.USER_MANAGE: _roles(Role.ADMIN, local=True),
    Action.TEAM_MANAGE: _roles(Role.ADMIN, local=True),
    Action.AUDIT_VIEW: _roles(Role.DPO, Role.ADMIN, local=True),
    Action.AUDIT_VERIFY: _roles(Role.DPO, Role.ADMIN, local=True),
    Action.SYSTEM_ADMIN: _roles(local=True),
    # Retention: the DPO and administrators see what expires, run expiry and set legal holds.
    Action.RETENTION_VIEW: _roles(Role.DPO, Role.ADMIN, local=True),
    Action.RETENTION_RUN: _roles(Role.DPO, Role.ADMIN, local=True),
    Action.RETENTION_HOLD: _roles(Role.DPO, Role.ADMIN, local=True),
    # Data rights: the DPO handles requests; an administrator may stand in. The package holds
    # decrypted footage and erasure destroys it, so no practitioner role may do either.
    Action.RIGHTS_VIEW: _roles(Role.DPO, Role.ADMIN, local=True),
    Action.RIGHTS_EXPORT: _roles(Role.DPO, Role.ADMIN, local=True),
    Action.RIGHTS_ERASE: _roles(Role.DPO, Role.ADMIN, local=True),
    # Sharing a clip outside: the people who work with the footage decide; everyone who
    # oversees the case can see what went out, and stop it at once.
    Action.SHARE_CREATE: _case_rule("assigned guider", "assigned supervisor", local=True),
    Action.SHARE_LIST: _case_rule(
        "assigned guider", "assigned supervisor", "manager of the team", dpo=True, local=True
    ),
    Action.SHARE_REVOKE: _case_rule(
        "assigned guider", "assigned supervisor", "manager of the team", dpo=True, local=True
    ),
    Action.SHARE_WATCH: _share_link,
    # The DPIA data map names places, processors and who may do what (not people's data).
    Action.DPIA_VIEW: _roles(Role.DPO, Role.ADMIN, local=True),
}


def decide(actor: Actor, action: Action, resource: Resource = None) -> Decision:
    """Answer whether `actor` may do `action` on `resource` (None: in general)."""
    rule = RULES.get(action)
    if rule is None:
        return _deny(f"no rule for {action}")
    return rule(actor, resource)
