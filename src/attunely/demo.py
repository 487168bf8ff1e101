"""Demo data: a small organisation to try Attunely with. Never use these accounts for real."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from attunely.accounts import service as accounts
from attunely.accounts.schemas import TeamCreate, UserCreate
from attunely.cases import service as cases
from attunely.cases.models import Case
from attunely.cases.schemas import CaseCreate, PersonCreate
from attunely.config import Settings
from attunely.policy import Actor, Role

DEMO_TEAMS = ("North Team", "South Team")

#: username, full name, roles, team, manages
DEMO_USERS: tuple[tuple[str, str, tuple[Role, ...], str | None, bool], ...] = (
    ("sam", "Sam Guider", (Role.TRAINEE_GUIDER,), "North Team", False),
    ("jo", "Jo Guider", (Role.GUIDER,), "North Team", False),
    ("pat", "Pat Supervisor", (Role.SUPERVISOR,), "North Team", False),
    ("morgan", "Morgan Manager", (Role.MANAGER,), "North Team", True),
    ("alex", "Alex Data Protection", (Role.DPO,), None, False),
    ("admin", "Ada Administrator", (Role.ADMIN,), None, False),
    ("riley", "Riley Guider", (Role.GUIDER,), "South Team", False),
)
DEMO_CASE = "DEMO-001"


def demo_password(username: str) -> str:
    """Return the demo-only password of a demo user."""
    return f"demo-{username}-attunely"


@dataclass
class Seeded:
    """What the seed made (or found already there)."""

    created: bool
    users: list[tuple[str, str, str]] = field(default_factory=list)
    case_reference: str = DEMO_CASE


def seed(db: Session, *, actor: Actor, settings: Settings) -> Seeded:
    """Create the demo organisation once; later runs change nothing."""
    result = Seeded(created=False)
    for username, _name, roles, _team, _m in DEMO_USERS:
        result.users.append((username, demo_password(username), ", ".join(r.value for r in roles)))
    if accounts.find_user_by_username(db, username="sam") is not None:
        return result
    result.created = True
    org_name = "Demo Family Service (demo data)"
    teams = {
        name: accounts.create_team(
            db, actor=actor, data=TeamCreate(name=name), organisation_name=org_name
        )
        for name in DEMO_TEAMS
    }
    users = {}
    for username, name, roles, team, manages in DEMO_USERS:
        users[username] = accounts.create_user(
            db,
            actor=actor,
            organisation_name=org_name,
            data=UserCreate(
                username=username,
                display_name=name,
                password=demo_password(username),
                roles=list(roles),
                teams=[teams[team].id] if team else [],
                manages_teams=manages,
            ),
        )
    case: Case = cases.create_case(
        db,
        actor=actor,
        data=CaseCreate.model_validate(
            {
                "reference": DEMO_CASE,
                "programme": "vig",
                "team_id": teams["North Team"].id,
                "guider_id": users["sam"].id,
                "supervisor_id": users["pat"].id,
                "suitability": "Parent keen to take part; settled home; no current crisis.",
                "concerns_shared": "Health visitor noted baby is often unsettled in the evenings; "
                "discussed openly with the parent at the first visit.",
            }
        ),
    )
    parent = cases.add_person(
        db,
        actor=actor,
        case_id=case.id,
        data=PersonCreate.model_validate(
            {
                "kind": "caregiver",
                "display_name": "Parent A (demo)",
                "parental_responsibility": True,
            }
        ),
    )
    # Without consent nothing may be filmed; the demo parent agreed on (imaginary) paper.
    from attunely.consent import service as consent
    from attunely.consent.schemas import ConsentCreate

    consent.record_consent(
        db,
        actor=actor,
        case_id=case.id,
        data=ConsentCreate.model_validate(
            {
                "person_id": parent.id,
                "purposes": ["filming_feedback", "supervision"],
                "text_version": "demo",
                "retention_months": 12,
                "access": "the family's guider and the guider's supervisor",
                "method": "paper",
                "given_by": "Parent A (demo)",
                "given_on": date.today().isoformat(),
            }
        ),
    )
    cases.add_person(
        db,
        actor=actor,
        case_id=case.id,
        data=PersonCreate.model_validate(
            {
                "kind": "child",
                "display_name": "Baby B (demo)",
                "born": (date.today() - timedelta(days=7 * 30)).isoformat(),
            }
        ),
    )
    return result


def describe(seeded: Seeded) -> str:
    """Say how to sign in to the demo, clearly marked as demo-only."""
    lines = [
        "",
        "=" * 68,
        "  DEMO DATA ONLY - these accounts are for trying Attunely out.",
        "  Never use them, or this data directory, for real families.",
        "=" * 68,
        f"  {'username':<10} {'password':<26} role",
    ]
    lines += [f"  {u:<10} {p:<26} {r}" for u, p, r in seeded.users]
    lines += [
        f"  Demo case: {seeded.case_reference} (guider sam, supervisor pat).",
        "  admin and alex set up an authenticator app at first sign-in.",
        "=" * 68,
    ]
    if not seeded.created:
        lines.insert(1, "  (demo data was already there; nothing changed)")
    return "\n".join(lines)
