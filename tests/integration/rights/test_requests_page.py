"""The DPO's page: requests against their one-month deadline, marked complete; audited."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.policy import Role
from attunely.rights.service import due_date
from tests.support.factories import World


def _row(page: str, name: str) -> str:
    found = re.search(
        r"<tr data-request=[^>]*>(?:(?!</tr>).)*" + name + r"(?:(?!</tr>).)*</tr>", page, re.S
    )
    assert found, name
    return found.group(0)


def test_requests_show_their_deadline_days_left_and_overdue(world: World, db: Session) -> None:
    team = world.team()
    case = world.case(team)
    late = world.person(case, kind="caregiver", display_name="Late Person")
    soon = world.person(case, kind="caregiver", display_name="Soon Person")
    fresh = world.person(case, kind="child", display_name="Fresh Person", born="2025-01-01")
    dpo = world.user(Role.DPO)
    client = world.client_for(dpo)
    today = date.today()
    received = {late: today - timedelta(days=45), soon: today - timedelta(days=27), fresh: today}
    for person, day in received.items():
        made = client.post(
            "/rights/requests",
            data={"person_id": person, "received_on": day.isoformat(), "note": "all my data"},
            follow_redirects=False,
        )
        assert made.status_code == 303, made.text
    page = client.get("/rights").text

    late_row = _row(page, "Late Person")
    late_due = due_date(received[late])
    assert late_due.isoformat() in late_row and 'class="overdue"' in late_row
    assert f"overdue by {(today - late_due).days} days" in late_row
    soon_row = _row(page, "Soon Person")
    soon_due = due_date(received[soon])
    assert soon_due.isoformat() in soon_row and "overdue" not in soon_row
    assert f"{(soon_due - today).days} day" in soon_row
    fresh_row = _row(page, "Fresh Person")
    assert f"{(due_date(today) - today).days} days left" in fresh_row
    # Open requests are listed by deadline, the overdue one first.
    assert page.index("Late Person") < page.index("Soon Person") < page.index("Fresh Person")

    request_id = re.search(r'data-request="([0-9a-f-]+)"', late_row).group(1)  # type: ignore[union-attr]
    done = client.post(f"/rights/requests/{request_id}/complete", follow_redirects=False)
    assert done.status_code == 303
    after = _row(client.get("/rights").text, "Late Person")
    assert "answered" in after and 'class="overdue"' not in after
    again = client.post(f"/rights/requests/{request_id}/complete")
    assert again.status_code == 409

    actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("rights.%"))))
    assert {"rights.request.open", "rights.request.complete"} <= actions


def test_bad_requests_are_refused_clearly(world: World) -> None:
    team = world.team()
    case = world.case(team)
    person = world.person(case, kind="caregiver", display_name="Some Person")
    client = world.client_for(world.user(Role.ADMIN))
    future = (date.today() + timedelta(days=3)).isoformat()
    for data, words in (
        ({"person_id": person, "received_on": future}, "future"),
        ({"person_id": "nobody", "received_on": "2026-01-01"}, "person_id"),
        (
            {"person_id": "0d4049c5-46f5-4b5a-a34c-77155630bdbc", "received_on": "2026-01-01"},
            "no such person",
        ),
        ({"person_id": person, "received_on": "yesterday"}, "received_on"),
    ):
        refused = client.post("/rights/requests", data=data)
        assert refused.status_code in (404, 422), refused.text
        assert words in refused.text
    assert (
        client.get("/rights/requests/0d4049c5-46f5-4b5a-a34c-77155630bdbc/package").status_code
        == 404
    )
    assert client.get("/rights/erasures/nope").status_code == 404


def test_a_legal_hold_refuses_erasure_until_it_is_lifted(world: World, db: Session) -> None:
    team = world.team()
    case = world.case(team)
    person = world.person(case, kind="caregiver", display_name="Held Person")
    client = world.client_for(world.user(Role.DPO))
    from sqlalchemy import insert, update

    from attunely.db import Base, new_id, unit_of_work, utcnow
    from attunely.models import load_all

    load_all()
    holds = Base.metadata.tables["retention_holds"]
    hold = new_id()
    with unit_of_work(world.app.state.session_factory) as work:
        work.execute(
            insert(holds).values(id=hold, case_id=case.id, reason="court order", set_by="t")
        )
    for path, data in (
        ("/rights/erase/person", {"person_id": person, "confirm": "ERASE"}),
        ("/rights/erase/case", {"reference": case.reference, "confirm": case.reference}),
    ):
        refused = client.post(path, data={**data, "reason": "asked to"})
        assert refused.status_code == 409 and "legal hold" in refused.text
    with unit_of_work(world.app.state.session_factory) as work:
        work.execute(update(holds).where(holds.c.id == hold).values(lifted_at=utcnow()))
    erased = client.post(
        "/rights/erase/case",
        data={"reference": case.reference, "confirm": case.reference, "reason": "asked to"},
        follow_redirects=False,
    )
    assert erased.status_code == 303, erased.text
    assert db.execute(select(holds).where(holds.c.case_id == case.id)).all() == []
