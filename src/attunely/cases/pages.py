"""Pages for cases: my cases, the team's caseload, a case, opening a case."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from attunely.accounts import service as accounts
from attunely.accounts.models import Team
from attunely.cases import service
from attunely.cases.models import Case
from attunely.cases.schemas import (
    PROGRAMME_LABELS,
    CaseAssign,
    CaseCreate,
    CaseUpdate,
    PersonCreate,
    PersonKind,
)
from attunely.errors import AttunelyError
from attunely.films.pages import case_films
from attunely.policy import Action, Actor, Role, decide
from attunely.web.deps import FormDep, FormFields, OptionalSession, SessionDep, allow
from attunely.web.errors import describe_validation, status_for
from attunely.web.templating import render

router = APIRouter(include_in_schema=False)


def _problem(exc: Exception) -> tuple[str, int]:
    if isinstance(exc, ValidationError):
        return describe_validation(exc)[0], 422
    assert isinstance(exc, AttunelyError)
    return exc.message, status_for(exc)


@router.get("/")
def home(
    request: Request,
    db: SessionDep,
    current: OptionalSession,
    actor: Annotated[Actor, allow(Action.SELF_VIEW)],
) -> Response:
    """Start page: the cases you work on, and shortcuts for your roles."""
    cases: list[Case] = []
    if actor.roles & {Role.GUIDER, Role.TRAINEE_GUIDER, Role.SUPERVISOR, Role.MANAGER, Role.DPO}:
        cases = service.list_my_cases(db, actor=actor)
    names = service.people_names(
        db, {c.guider_id or "" for c in cases} | {c.supervisor_id or "" for c in cases}
    )
    return render(
        request, "home.html", {"cases": cases, "names": names, "programmes": PROGRAMME_LABELS}
    )


@router.get("/team")
def caseload(
    request: Request, db: SessionDep, actor: Annotated[Actor, allow(Action.CASE_LIST_TEAM)]
) -> Response:
    """The caseload of the teams you manage, without any footage."""
    cases = service.list_team_cases(db, actor=actor)
    names = service.people_names(
        db, {c.guider_id or "" for c in cases} | {c.supervisor_id or "" for c in cases}
    )
    teams = {t.id: t.name for t in accounts.list_teams(db, organisation_id=actor.organisation_id)}
    by_status: dict[str, int] = {}
    for case in cases:
        by_status[case.status] = by_status.get(case.status, 0) + 1
    return render(
        request,
        "caseload.html",
        {
            "cases": cases,
            "names": names,
            "teams": teams,
            "by_status": by_status,
            "programmes": PROGRAMME_LABELS,
        },
    )


def _new_case_form(
    request: Request,
    db: Session,
    actor: Actor,
    *,
    form: FormFields | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    team_ids = actor.team_ids | actor.managed_team_ids
    teams = [
        t
        for t in accounts.list_teams(db, organisation_id=actor.organisation_id)
        if t.id in team_ids
    ]
    staff = {t.id: service.team_staff(db, team_id=t.id) for t in teams}
    return render(
        request,
        "case_new.html",
        {
            "teams": teams,
            "staff": staff,
            "form": form,
            "error": error,
            "programmes": PROGRAMME_LABELS,
        },
        status_code=status_code,
    )


@router.get("/cases/new")
def new_case_page(
    request: Request, db: SessionDep, actor: Annotated[Actor, allow(Action.CASE_CREATE)]
) -> Response:
    """Show the form to open a case."""
    return _new_case_form(request, db, actor)


@router.post("/cases/new")
def new_case_submit(
    request: Request,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_CREATE)],
) -> Response:
    """Open the case and go to its page."""
    try:
        data = CaseCreate.model_validate(
            {
                "reference": form.get("reference"),
                "programme": form.get("programme"),
                "team_id": form.get("team_id") or None,
                "guider_id": form.get("guider_id") or None,
                "supervisor_id": form.get("supervisor_id") or None,
                "suitability": form.get("suitability"),
                "concerns_shared": form.get("concerns_shared"),
            }
        )
        case = service.create_case(db, actor=actor, data=data)
    except (ValidationError, AttunelyError) as exc:
        db.rollback()
        message, status = _problem(exc)
        return _new_case_form(request, db, actor, form=form, error=message, status_code=status)
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def _case_page(
    request: Request,
    db: Session,
    actor: Actor,
    case: Case,
    *,
    error: str | None = None,
    form: FormFields | None = None,
    status_code: int = 200,
) -> Response:
    scope = service.scope_of(case)
    may = {
        name: decide(actor, action, scope).allowed
        for name, action in {
            "edit": Action.CASE_EDIT,
            "assign": Action.CASE_ASSIGN,
            "add_person": Action.PERSON_ADD,
        }.items()
    }
    team = db.get(Team, case.team_id)
    names = service.people_names(db, {case.guider_id or "", case.supervisor_id or ""})
    staff = service.team_staff(db, team_id=case.team_id) if may["assign"] else None
    return render(
        request,
        "case.html",
        {
            "case": service.to_read(case),
            "team": team,
            "names": names,
            "may": may,
            "staff": staff,
            "error": error,
            "form": form,
            "programmes": PROGRAMME_LABELS,
            "kinds": list(PersonKind),
            "films": case_films(db, actor=actor, case=case),
        },
        status_code=status_code,
    )


@router.get("/cases/{case_id}")
def case_page(
    request: Request, case_id: str, db: SessionDep, actor: Annotated[Actor, allow(Action.CASE_VIEW)]
) -> Response:
    """Show a case: its people, assessment notes and who works on it."""
    case = service.view_case(db, actor=actor, case_id=case_id)
    return _case_page(request, db, actor, case)


def _after_change(
    request: Request, db: Session, actor: Actor, case_id: str, exc: Exception, form: FormFields
) -> Response:
    db.rollback()
    message, status = _problem(exc)
    case = service.authorized_case(db, actor=actor, case_id=case_id, action=Action.CASE_VIEW)
    return _case_page(request, db, actor, case, error=message, form=form, status_code=status)


@router.post("/cases/{case_id}/people")
def add_person(
    request: Request,
    case_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.PERSON_ADD)],
) -> Response:
    """Add a caregiver or a child."""
    try:
        data = PersonCreate.model_validate(
            {
                "kind": form.get("kind"),
                "display_name": form.get("display_name"),
                "born": form.get("born") or None,
                "parental_responsibility": form.get("parental_responsibility") == "on",
            }
        )
        service.add_person(db, actor=actor, case_id=case_id, data=data)
    except (ValidationError, AttunelyError) as exc:
        return _after_change(request, db, actor, case_id, exc, form)
    return RedirectResponse(f"/cases/{case_id}#people", status_code=303)


@router.post("/cases/{case_id}/edit")
def edit_case(
    request: Request,
    case_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_EDIT)],
) -> Response:
    """Change status, programme or assessment notes."""
    try:
        data = CaseUpdate.model_validate(
            {
                "status": form.get("status") or None,
                "programme": form.get("programme") or None,
                "suitability": form.get("suitability") if "suitability" in form else None,
                "concerns_shared": form.get("concerns_shared")
                if "concerns_shared" in form
                else None,
            }
        )
        service.update_case(db, actor=actor, case_id=case_id, data=data)
    except (ValidationError, AttunelyError) as exc:
        return _after_change(request, db, actor, case_id, exc, form)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/assign")
def assign_case(
    request: Request,
    case_id: str,
    form: FormDep,
    db: SessionDep,
    actor: Annotated[Actor, allow(Action.CASE_ASSIGN)],
) -> Response:
    """Set the guider and supervisor."""
    try:
        data = CaseAssign.model_validate(
            {
                "guider_id": form.get("guider_id") or None,
                "supervisor_id": form.get("supervisor_id") or None,
            }
        )
        service.assign_case(db, actor=actor, case_id=case_id, data=data)
    except (ValidationError, AttunelyError) as exc:
        return _after_change(request, db, actor, case_id, exc, form)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


# The helping questions' page is served with the case pages.
from attunely.cases.helping_pages import router as _helping_router  # noqa: E402

router.include_router(_helping_router)
