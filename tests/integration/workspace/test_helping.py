"""The parent's helping questions: kept per case by the guider, linked from clips."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.policy import Role
from tests.integration.workspace.conftest import Desk


def ask(desk: Desk, text: str, **fields: object) -> dict[str, object]:
    made = desk.client.post(
        f"/api/cases/{desk.case_id}/helping-questions", json={"text": text, **fields}
    )
    assert made.status_code == 201, made.text
    return dict(made.json())


def test_a_case_keeps_several_questions_and_the_guider_edits_them(desk: Desk, db: Session) -> None:
    first = ask(desk, "How can I help him settle at bedtime?", set_on="2026-10-01")
    second = ask(desk, "How do I play with her when she won't look at me?")
    assert second["set_on"] == date.today().isoformat() and second["active"] is True
    listed = desk.client.get(f"/api/cases/{desk.case_id}/helping-questions").json()
    assert [q["id"] for q in listed] == [second["id"], first["id"]]  # newest first

    # The first is met: set inactive (not deleted); inactive ones list after active ones.
    done = desk.client.patch(
        f"/api/helping-questions/{first['id']}", json={"revision": 1, "active": False}
    )
    assert done.status_code == 200, done.text
    assert done.json()["active"] is False and done.json()["revision"] == 2
    third = ask(desk, "What does he need when he cries at drop-off?", set_on="2026-09-01")
    listed = desk.client.get(f"/api/cases/{desk.case_id}/helping-questions").json()
    assert [q["id"] for q in listed] == [second["id"], third["id"], first["id"]]

    # An edit made from an old revision is refused with the current one, nothing changed.
    stale = desk.client.patch(
        f"/api/helping-questions/{first['id']}", json={"revision": 1, "text": "Overwritten?"}
    )
    assert stale.status_code == 409, stale.text
    assert stale.json()["error"]["current"]["text"] == first["text"]

    # Clear refusals: empty or too long text, a date in the future, unknown fields.
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for body in ({"text": ""}, {"text": "x" * 501}, {"text": "Fine words", "set_on": tomorrow}):
        refused = desk.client.post(f"/api/cases/{desk.case_id}/helping-questions", json=body)
        assert refused.status_code == 422, (body, refused.text)
    db.rollback()
    actions = db.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "helping_question")
    ).all()
    assert actions.count("helping_question.create") == 3
    assert "helping_question.edit" in actions
    # The family's words are never written into the audit trail.
    details = db.scalars(
        select(AuditEntry.detail).where(AuditEntry.object_type == "helping_question")
    ).all()
    assert not any("bedtime" in (d or "") for d in details)


def test_only_the_guider_edits_and_outsiders_see_nothing(desk: Desk) -> None:
    question = ask(desk, "How can I help him settle at bedtime?")
    supervisor = desk.world.client_for(desk.supervisor)
    seen = supervisor.get(f"/api/cases/{desk.case_id}/helping-questions")
    assert seen.status_code == 200 and len(seen.json()) == 1
    refused = supervisor.patch(
        f"/api/helping-questions/{question['id']}", json={"revision": 1, "text": "Changed"}
    )
    assert refused.status_code == 403, refused.text
    other_team = desk.world.team()
    outsider = desk.world.client_for(desk.world.user(Role.GUIDER, team=other_team))
    assert outsider.get(f"/api/cases/{desk.case_id}/helping-questions").status_code in (403, 404)
    hidden = outsider.patch(
        f"/api/helping-questions/{question['id']}", json={"revision": 1, "text": "Changed"}
    )
    assert hidden.status_code in (403, 404)


def test_a_clip_links_to_one_of_its_own_cases_questions(desk: Desk) -> None:
    question = ask(desk, "How can I help him settle at bedtime?")
    clip = desk.clip(in_frame=0, out_frame=10, helping_question_id=question["id"])
    assert clip.status_code == 201, clip.text
    assert clip.json()["helping_question_id"] == question["id"]
    opened = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()
    assert [q["id"] for q in opened["helping_questions"]] == [question["id"]]
    assert opened["clips"][0]["helping_question_id"] == question["id"]

    # Another case's question is refused, and the clip is left as it was.
    other = desk.world.case(desk.team, guider=desk.guider, supervisor=desk.supervisor)
    foreign = desk.client.post(
        f"/api/cases/{other.id}/helping-questions", json={"text": "Someone else's question"}
    ).json()
    refused = desk.client.patch(
        f"/api/clips/{clip.json()['id']}",
        json={"revision": 1, "helping_question_id": foreign["id"], "title": "Renamed"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "helping_question_id"
    assert desk.clip(in_frame=20, out_frame=30, helping_question_id=foreign["id"]).status_code == (
        422
    )
    after = desk.client.get(f"/api/films/{desk.film_id}/workspace").json()["clips"]
    assert [(c["title"], c["helping_question_id"]) for c in after] == [("A moment", question["id"])]
    # Unlinked by sending null.
    unlinked = desk.client.patch(
        f"/api/clips/{clip.json()['id']}", json={"revision": 1, "helping_question_id": None}
    )
    assert unlinked.status_code == 200 and unlinked.json()["helping_question_id"] is None


def test_the_guider_keeps_them_on_their_page(desk: Desk) -> None:
    url = f"/cases/{desk.case_id}/helping-questions"
    case_page = desk.client.get(f"/cases/{desk.case_id}")
    assert f'href="{url}"' in case_page.text
    added = desk.client.post(
        url, data={"text": "How can I help him settle at bedtime?"}, follow_redirects=False
    )
    assert added.status_code == 303, added.text
    page = desk.client.get(url)
    assert "How can I help him settle at bedtime?" in page.text
    question = desk.client.get(f"/api/cases/{desk.case_id}/helping-questions").json()[0]
    # The form's checkbox left unticked: no longer active.
    edited = desk.client.post(
        f"/helping-questions/{question['id']}/edit",
        data={
            "revision": "1",
            "case_id": desk.case_id,
            "text": "How can I help him settle at night?",
            "set_on": question["set_on"],
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303, edited.text
    now = desk.client.get(f"/api/cases/{desk.case_id}/helping-questions").json()[0]
    assert now["text"] == "How can I help him settle at night?" and now["active"] is False
    refused = desk.client.post(url, data={"text": ""})
    assert refused.status_code == 422 and "Add the question" in refused.text
    # The supervisor reads them but gets no forms.
    seen = desk.world.client_for(desk.supervisor).get(url)
    assert seen.status_code == 200 and "settle at night" in seen.text
    assert "Save this question" not in seen.text
