"""Open, read, change and staff family cases."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from attunely.accounts.models import Team, TeamMembership, User, UserRole
from attunely.audit import service as audit
from attunely.cases.models import Case, CasePerson
from attunely.cases.schemas import (
    PROGRAMME_LABELS,
    STATUS_STEPS,
    CaseAssign,
    CaseCreate,
    CaseRead,
    CaseStatus,
    CaseSummary,
    CaseUpdate,
    PersonCreate,
    PersonKind,
    PersonRead,
    Programme,
    age_in_months,
)
from attunely.errors import Conflict, InvalidInput, NotFound
from attunely.guard import require
from attunely.inputs import is_id, printable
from attunely.policy import Action, Actor, CaseScope, Role, TeamScope, decide

GUIDING_ROLES = {Role.GUIDER, Role.TRAINEE_GUIDER}


def scope_of(case: Case) -> CaseScope:
    """Return the facts about a case that the policy needs."""
    return CaseScope(
        case_id=case.id,
        organisation_id=case.organisation_id,
        team_id=case.team_id,
        guider_id=case.guider_id,
        supervisor_id=case.supervisor_id,
    )


def authorized_case(db: Session, *, actor: Actor, case_id: str, action: Action) -> Case:
    """Load a case and check that the actor may do `action` on it (404 to outsiders)."""
    case = db.get(Case, case_id) if is_id(case_id) else None
    if case is None:
        # Ask the policy anyway, so a role that may never do this is refused (and audited).
        require(db, actor=actor, action=action, object_type="case", object_id=printable(case_id))
        raise NotFound("no such case")
    require(
        db,
        actor=actor,
        action=action,
        resource=scope_of(case),
        object_type="case",
        object_id=case.id,
    )
    return case


def _user_with_roles(
    db: Session,
    *,
    user_id: str,
    organisation_id: str,
    roles: set[Role],
    team_id: str | None,
    field: str,
) -> User:
    user = db.get(User, user_id) if is_id(user_id) else None
    held = {r.role for r in user.roles} if user else set()
    if (
        user is None
        or user.organisation_id != organisation_id
        or not user.is_active
        or not held & {str(r) for r in roles}
    ):
        wanted = " or ".join(sorted(str(r).replace("_", " ") for r in roles))
        raise InvalidInput(f"choose an active {wanted}", field=field)
    if team_id and team_id not in {m.team_id for m in user.memberships}:
        raise InvalidInput("that person is not a member of the case's team", field=field)
    return user


def _default_team(db: Session, *, actor: Actor) -> Team:
    if actor.local_operator:
        teams = list(db.scalars(select(Team).order_by(Team.name)))
    else:
        ids = actor.managed_team_ids | actor.team_ids
        teams = list(db.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.name)))
    if len(teams) == 1:
        return teams[0]
    if not teams:
        raise InvalidInput(
            "there is no team to open the case in; create a team first", field="team_id"
        )
    raise InvalidInput("choose the team the case belongs to", field="team_id")


def create_case(db: Session, *, actor: Actor, data: CaseCreate) -> Case:
    """Open a case in a team; the opener is its guider unless another is named."""
    require(db, actor=actor, action=Action.CASE_CREATE, object_type="case")
    if data.team_id:
        team = db.get(Team, data.team_id) if is_id(data.team_id) else None
        if team is None:
            raise NotFound("no such team")
    else:
        team = _default_team(db, actor=actor)
    require(
        db,
        actor=actor,
        action=Action.CASE_CREATE,
        resource=TeamScope(team_id=team.id, organisation_id=team.organisation_id),
        object_type="team",
        object_id=team.id,
    )
    guider_id = data.guider_id
    if guider_id is None and actor.roles & GUIDING_ROLES:
        guider_id = actor.id
    if guider_id:
        _user_with_roles(
            db,
            user_id=guider_id,
            organisation_id=team.organisation_id,
            roles=GUIDING_ROLES,
            team_id=team.id,
            field="guider_id",
        )
    if data.supervisor_id:
        _user_with_roles(
            db,
            user_id=data.supervisor_id,
            organisation_id=team.organisation_id,
            roles={Role.SUPERVISOR},
            team_id=None,
            field="supervisor_id",
        )
    reference_taken = db.scalars(
        select(Case.id).where(
            Case.organisation_id == team.organisation_id, Case.reference == data.reference
        )
    ).first()
    if reference_taken:
        raise Conflict("a case with that reference already exists", field="reference")
    case = Case(
        organisation_id=team.organisation_id,
        team_id=team.id,
        reference=data.reference,
        programme=str(data.programme),
        status=str(CaseStatus.REFERRED),
        guider_id=guider_id,
        supervisor_id=data.supervisor_id,
        suitability=data.suitability,
        concerns_shared=data.concerns_shared,
        created_by=actor.audit_id,
    )
    db.add(case)
    try:
        db.flush()
    except IntegrityError as exc:
        # Two people opening the same reference at once: the second gets a clear answer.
        raise Conflict("a case with that reference already exists", field="reference") from exc
    audit.record(
        db,
        actor=actor,
        action="case.create",
        object_type="case",
        object_id=case.id,
        purpose="casework",
    )
    return case


def view_case(db: Session, *, actor: Actor, case_id: str) -> Case:
    """Return a case for reading, auditing the view."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CASE_VIEW)
    audit.record(
        db,
        actor=actor,
        action="case.view",
        object_type="case",
        object_id=case.id,
        purpose="casework",
    )
    return case


def find_by_reference(db: Session, *, actor: Actor, reference: str) -> Case:
    """Return the case with this reference, if the actor may see it."""
    query = select(Case).where(Case.reference == reference.strip())
    if actor.organisation_id:
        query = query.where(Case.organisation_id == actor.organisation_id)
    case = db.scalars(query).first()
    if case is None:
        raise NotFound(f"no case with reference {reference!r}")
    require(
        db,
        actor=actor,
        action=Action.CASE_VIEW,
        resource=scope_of(case),
        object_type="case",
        object_id=case.id,
    )
    return case


def update_case(db: Session, *, actor: Actor, case_id: str, data: CaseUpdate) -> Case:
    """Change a case's programme, status or assessment notes."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CASE_EDIT)
    if case.status == CaseStatus.CLOSED:
        raise InvalidInput("a closed case cannot be changed", field="status")
    changed: list[str] = []
    if data.status is not None and data.status != case.status:
        current = CaseStatus(case.status)
        if data.status not in STATUS_STEPS[current]:
            raise InvalidInput(f"a {current} case cannot become {data.status}", field="status")
        case.status = str(data.status)
        changed.append("status")
    if data.programme is not None and data.programme != case.programme:
        case.programme = str(data.programme)
        changed.append("programme")
    for name in ("suitability", "concerns_shared"):
        value = getattr(data, name)
        if value is not None and value != getattr(case, name):
            setattr(case, name, value)
            changed.append(name)
    if changed:
        db.flush()
        audit.record(
            db,
            actor=actor,
            action="case.edit",
            object_type="case",
            object_id=case.id,
            purpose="casework",
            detail={"fields": changed},
        )
    return case


def assign_case(db: Session, *, actor: Actor, case_id: str, data: CaseAssign) -> Case:
    """Set a case's guider and supervisor."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.CASE_ASSIGN)
    if data.guider_id:
        _user_with_roles(
            db,
            user_id=data.guider_id,
            organisation_id=case.organisation_id,
            roles=GUIDING_ROLES,
            team_id=case.team_id,
            field="guider_id",
        )
    if data.supervisor_id:
        _user_with_roles(
            db,
            user_id=data.supervisor_id,
            organisation_id=case.organisation_id,
            roles={Role.SUPERVISOR},
            team_id=None,
            field="supervisor_id",
        )
    case.guider_id = data.guider_id
    case.supervisor_id = data.supervisor_id
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="case.assign",
        object_type="case",
        object_id=case.id,
        purpose="casework",
        detail={"guider": data.guider_id, "supervisor": data.supervisor_id},
    )
    return case


def add_person(db: Session, *, actor: Actor, case_id: str, data: PersonCreate) -> CasePerson:
    """Add a caregiver or child to a case."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.PERSON_ADD)
    if case.status == CaseStatus.CLOSED:
        raise InvalidInput("people cannot be added to a closed case")
    if len(case.people) >= 20:
        raise InvalidInput("a case holds at most 20 people")
    person = CasePerson(
        case_id=case.id,
        kind=str(data.kind),
        display_name=data.display_name,
        born=data.born,
        parental_responsibility=data.parental_responsibility,
    )
    case.people.append(person)
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="person.add",
        object_type="person",
        object_id=person.id,
        purpose="casework",
        detail={"case": case.id, "kind": str(data.kind)},
    )
    return person


def list_my_cases(db: Session, *, actor: Actor) -> list[Case]:
    """Return the cases the actor guides or supervises, newest activity first."""
    require(db, actor=actor, action=Action.CASE_LIST_OWN, object_type="case")
    query = (
        select(Case)
        .where(Case.organisation_id == actor.organisation_id)
        .where(or_(Case.guider_id == actor.id, Case.supervisor_id == actor.id))
        .order_by(Case.updated_at.desc())
    )
    return [c for c in db.scalars(query) if _may_view(actor, c)]


def _may_view(actor: Actor, case: Case) -> bool:
    return decide(actor, Action.CASE_VIEW, scope_of(case)).allowed


def list_team_cases(db: Session, *, actor: Actor, team_id: str | None = None) -> list[Case]:
    """Return the caseload of the teams the actor manages (or one of them)."""
    require(db, actor=actor, action=Action.CASE_LIST_TEAM, object_type="team")
    team_ids = set(actor.managed_team_ids)
    if team_id is not None:
        team = db.get(Team, team_id) if is_id(team_id) else None
        if team is None:
            raise NotFound("no such team")
        require(
            db,
            actor=actor,
            action=Action.CASE_LIST_TEAM,
            resource=TeamScope(team_id=team.id, organisation_id=team.organisation_id),
            object_type="team",
            object_id=team.id,
        )
        team_ids = {team.id}
    query = select(Case).where(Case.team_id.in_(team_ids)).order_by(Case.status, Case.reference)
    cases = list(db.scalars(query))
    audit.record(
        db,
        actor=actor,
        action="case.list_team",
        object_type="team",
        object_id=",".join(sorted(team_ids)) or "-",
        purpose="management",
    )
    return cases


def people_names(db: Session, user_ids: set[str]) -> dict[str, str]:
    """Return display names for staff ids (for showing who is assigned)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.scalars(select(User).where(User.id.in_(ids)))}


def team_staff(db: Session, *, team_id: str) -> dict[str, list[User]]:
    """Return who can be assigned to a team's cases: guiders and supervisors."""
    members = (
        select(User)
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .where(TeamMembership.team_id == team_id, User.is_active.is_(True))
    )
    guiders = [
        u
        for u in db.scalars(members.order_by(User.display_name))
        if {r.role for r in u.roles} & {str(r) for r in GUIDING_ROLES}
    ]
    supervisors = list(
        db.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == str(Role.SUPERVISOR), User.is_active.is_(True))
            .order_by(User.display_name)
        )
    )
    return {"guiders": guiders, "supervisors": supervisors}


def to_summary(case: Case) -> CaseSummary:
    programme = Programme(case.programme)
    return CaseSummary(
        id=case.id,
        reference=case.reference,
        programme=programme,
        programme_label=PROGRAMME_LABELS[programme],
        status=CaseStatus(case.status),
        team_id=case.team_id,
        guider_id=case.guider_id,
        supervisor_id=case.supervisor_id,
        updated_at=case.updated_at,
    )


def person_read(person: CasePerson) -> PersonRead:
    return PersonRead(
        id=person.id,
        kind=PersonKind(person.kind),
        display_name=person.display_name,
        born=person.born,
        age_months=age_in_months(person.born) if person.born else None,
        parental_responsibility=person.parental_responsibility,
    )


def to_read(case: Case) -> CaseRead:
    summary = to_summary(case)
    return CaseRead(
        **summary.model_dump(),
        suitability=case.suitability,
        concerns_shared=case.concerns_shared,
        created_at=case.created_at,
        people=[person_read(p) for p in case.people],
        allowed_statuses=sorted(STATUS_STEPS[CaseStatus(case.status)]),
    )
