"""Sharing a clip with the professional network: what may be shared, the labelled clip, and
the link that expires, can be revoked and stops when consent is withdrawn."""

from __future__ import annotations

import io
from datetime import date, timedelta

import av
import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from attunely.audit.models import AuditEntry
from attunely.backup import ledger
from attunely.jobs.registry import load_handlers
from attunely.media.watermark import Label
from attunely.policy import local_operator
from attunely.sharing import jobs as sharing_jobs
from attunely.sharing.models import ClipShare
from attunely.vault.models import VaultObject
from tests.integration.sharing.conftest import CLIP_IN, CLIP_OUT, Sharing, run_render, visitor
from tests.support.media_files import read_frame_number


def _shares(db: Session) -> int:
    count = db.scalar(select(func.count()).select_from(ClipShare)) or 0
    db.rollback()
    return int(count)


def _token(link: str) -> str:
    assert link.startswith("/s/"), link
    return link.removeprefix("/s/")


def test_only_a_clip_can_be_shared_never_a_whole_film(sharing: Sharing, db: Session) -> None:
    whole_film = sharing.body(film_id=sharing.film_id)
    del whole_film["clip_id"]
    refused = sharing.client.post("/api/shares", json=whole_film)
    assert refused.status_code == 422, refused.text
    # A clip stretched over the whole film is a whole film too.
    stretched = sharing.client.patch(
        f"/api/clips/{sharing.clip_id}", json={"revision": 1, "in_frame": 0, "out_frame": 90}
    )
    assert stretched.status_code == 200, stretched.text
    refused = sharing.share()
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "clip_id"
    assert "never a whole film" in refused.json()["error"]["message"]
    # So is one trimmed by a few frames at each end (85 of 90 frames) ...
    trimmed = sharing.client.patch(
        f"/api/clips/{sharing.clip_id}", json={"revision": 2, "in_frame": 3, "out_frame": 88}
    )
    assert trimmed.status_code == 200, trimmed.text
    assert sharing.share().status_code == 422
    assert _shares(db) == 0
    # ... while a clip of most of it may go (80 of 90 frames).
    shorter = sharing.client.patch(
        f"/api/clips/{sharing.clip_id}", json={"revision": 3, "in_frame": 5, "out_frame": 85}
    )
    assert shorter.status_code == 200, shorter.text
    assert sharing.share().status_code == 201


def test_share_needs_current_consent_for_sharing(sharing: Sharing, db: Session) -> None:
    withdrawn = sharing.client.post(
        f"/api/cases/{sharing.case_id}/consents/withdraw",
        json={"person_id": sharing.parent_id, "purposes": ["professional_network"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    refused = sharing.share()
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["purpose"] == "professional_network"
    assert _shares(db) == 0
    checks = [
        c.outcome
        for c in db.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "consent.check", AuditEntry.object_id == sharing.clip_id
            )
        )
    ]
    db.rollback()
    assert checks == ["denied"]


def test_share_needs_an_expiry_a_purpose_and_an_agreement(sharing: Sharing, db: Session) -> None:
    no_expiry = sharing.body()
    del no_expiry["expires_on"]
    cases = [
        (no_expiry, "expires_on"),
        (sharing.body(expires_on=date.today().isoformat()), "expires_on"),
        (sharing.body(expires_on=(date.today() + timedelta(days=91)).isoformat()), "expires_on"),
        (sharing.body(purpose="supervision"), "purpose"),
        (sharing.body(purpose="anything"), "purpose"),
        (sharing.body(agreement_reference=""), "agreement_reference"),
        (sharing.body(recipient_name=""), "recipient_name"),
        (sharing.body(recipient_email="not an address"), "recipient_email"),
    ]
    for body, field in cases:
        refused = sharing.client.post("/api/shares", json=body)
        assert refused.status_code == 422, (field, refused.text)
        assert refused.json()["error"]["field"] == field, refused.text
    assert _shares(db) == 0
    ninety = sharing.share(expires_on=(date.today() + timedelta(days=90)).isoformat())
    assert ninety.status_code == 201, ninety.text


def _decode(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data), mode="r") as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_rendered_clip_is_the_clip_with_the_recipient_burned_in(
    sharing: Sharing, db: Session
) -> None:
    share, link = sharing.rendered()
    guest = visitor(sharing.app)
    clip = guest.get(f"{link}/clip.mp4")
    assert clip.status_code == 200, clip.text
    assert clip.headers["content-type"] == "video/mp4"
    frames = _decode(clip.content)
    assert abs(len(frames) - (CLIP_OUT - CLIP_IN)) <= 1, len(frames)
    assert share["duration_s"] is not None
    assert abs(share["duration_s"] - (CLIP_OUT - CLIP_IN) / 30) <= 1 / 30
    numbers = [read_frame_number(f) for f in frames]
    assert numbers[0] == CLIP_IN and numbers[-1] == CLIP_OUT - 1, numbers
    source = _decode(sharing.client.get(f"/api/films/{sharing.film_id}/proxy").content)
    row = db.get(ClipShare, share["id"])
    assert row is not None
    from attunely.sharing.jobs import label_lines

    lines = label_lines(row)
    db.rollback()
    assert any("Dr Ada Example" in line for line in lines)
    assert any(date.today().isoformat() in line for line in lines)
    height, width = frames[0].shape[:2]
    label = Label(lines, width=width, height=height)
    for index in (0, len(frames) // 2, len(frames) - 1):
        shared = frames[index].astype(np.float64)
        original = source[CLIP_IN + index].astype(np.float64)
        above = np.abs(shared[: label.top] - original[: label.top]).mean()
        band = np.abs(shared[label.top :] - original[label.top :]).mean()
        assert above < 8, f"frame {index}: the picture above the label changed ({above:.1f})"
        assert band > 30, f"frame {index}: no label burned in ({band:.1f})"
        luma = shared[label.top :].mean(axis=2)
        text, rest = luma[label.text_mask], luma[~label.text_mask]
        # The recipient's words are there, light on the darkened band.
        assert text.mean() > rest.mean() + 60, (text.mean(), rest.mean())
    # A label with another name would not fit the pixels as well.
    other = Label(["Shared with Somebody Else (Elsewhere)", lines[1]], width=width, height=height)
    luma = frames[0][label.top :].astype(np.float64).mean(axis=2)
    own = luma[label.text_mask].mean() - luma[~label.text_mask].mean()
    theirs = luma[other.text_mask].mean() - luma[~other.text_mask].mean()
    assert own > theirs + 20, (own, theirs)


def test_link_plays_without_an_account_and_every_view_is_audited(
    sharing: Sharing, db: Session
) -> None:
    share, link = sharing.rendered()
    guest = visitor(sharing.app)
    page = guest.get(link)
    assert page.status_code == 200, page.text
    assert f'src="{link}/clip.mp4"' in page.text
    assert "Dr Ada Example" in page.text
    first = guest.get(f"{link}/clip.mp4", headers={"Range": "bytes=0-99"})
    assert first.status_code == 206, first.text
    assert len(first.content) == 100
    whole = guest.get(f"{link}/clip.mp4")
    assert whole.status_code == 200 and whole.content[:100] == first.content
    assert first.headers["content-range"] == f"bytes 0-99/{len(whole.content)}"
    actor = f"share:{share['id']}"
    entries = [
        (e.action, e.purpose, e.detail or "")
        for e in db.scalars(select(AuditEntry).where(AuditEntry.actor_id == actor))
    ]
    db.rollback()
    views = [e for e in entries if e[0] == "share.view"]
    reads = [e for e in entries if e[0] == "vault.read"]
    assert len(views) == 1 and views[0][1] == "professional_network"
    assert len(reads) == 2, reads
    assert any("bytes=0-99" in detail for _a, _p, detail in reads)
    described = sharing.client.get(f"/api/shares/{share['id']}").json()
    assert described["views"] == 1 and described["last_viewed_at"]


def test_unknown_link_shows_nothing(sharing: Sharing) -> None:
    sharing.rendered()
    guest = visitor(sharing.app)
    for path in ("/s/" + "A" * 43, "/s/short", "/s/" + "A" * 43 + "/clip.mp4"):
        response = guest.get(path)
        assert response.status_code == 404, (path, response.status_code)
        assert "video/mp4" not in response.headers.get("content-type", "")


def test_revoked_link_stops_at_once_and_its_clip_is_destroyed(
    sharing: Sharing, db: Session
) -> None:
    share, link = sharing.rendered()
    row = db.get(ClipShare, share["id"])
    assert row is not None and row.object_id is not None
    object_id = row.object_id
    db.rollback()
    guest = visitor(sharing.app)
    assert guest.get(f"{link}/clip.mp4").status_code == 200
    revoked = sharing.client.post(f"/api/shares/{share['id']}/revoke", json={"reason": "done"})
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    page = guest.get(link)
    assert page.status_code == 404 and "no longer shared" in page.text
    assert guest.get(f"{link}/clip.mp4").status_code == 404
    assert db.get(VaultObject, object_id) is None
    db.rollback()
    again = sharing.client.post(f"/api/shares/{share['id']}/revoke", json={})
    assert again.status_code == 409


def test_a_restored_backup_does_not_bring_a_revoked_link_back(
    sharing: Sharing, db: Session
) -> None:
    share, link = sharing.rendered()
    revoked = sharing.client.post(f"/api/shares/{share['id']}/revoke", json={})
    assert revoked.status_code == 200, revoked.text
    written = [e for e in ledger.entries(sharing.settings) if e.op == "share_revoke"]
    assert [e.target["share_id"] for e in written] == [share["id"]]
    # What a backup taken before the revocation holds: the share open, its clip linked.
    db.execute(
        update(ClipShare)
        .where(ClipShare.id == share["id"])
        .values(revoked_at=None, revoked_by=None, revoke_reason="")
    )
    db.commit()
    before = sharing.client.get(f"/api/shares/{share['id']}").json()
    assert before["status"] == "active", before
    # The restore re-applies the ledger.
    vault = sharing.app.state.vault
    with sharing.app.state.session_factory() as session:
        for entry in written:
            ledger.handler(entry.op)(session, vault, local_operator("restore"), entry.target)
        session.commit()
    assert visitor(sharing.app).get(link).status_code == 404
    described = sharing.client.get(f"/api/shares/{share['id']}").json()
    assert described["status"] == "revoked", described


def test_expired_link_shows_nothing(sharing: Sharing, db: Session) -> None:
    share, link = sharing.rendered()
    guest = visitor(sharing.app)
    assert guest.get(link).status_code == 200
    from attunely.db import utcnow

    db.execute(
        update(ClipShare)
        .where(ClipShare.id == share["id"])
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    page = guest.get(link)
    assert page.status_code == 404 and "expired" in page.text
    assert guest.get(f"{link}/clip.mp4").status_code == 404
    assert sharing.client.get(f"/api/shares/{share['id']}").json()["status"] == "expired"
    # Housekeeping destroys the clip of a dead link.
    load_handlers()
    sharing_jobs.housekeeping(sharing.settings, sharing.app.state.session_factory)
    row = db.get(ClipShare, share["id"])
    assert row is not None and row.object_id is None
    db.rollback()


def test_withdrawing_consent_for_sharing_stops_the_link(sharing: Sharing, db: Session) -> None:
    share, link = sharing.rendered()
    guest = visitor(sharing.app)
    assert guest.get(link).status_code == 200
    withdrawn = sharing.client.post(
        f"/api/cases/{sharing.case_id}/consents/withdraw",
        json={"person_id": sharing.parent_id, "purposes": ["professional_network"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert guest.get(f"{link}/clip.mp4").status_code == 404
    assert guest.get(link).status_code == 404
    described = sharing.client.get(f"/api/shares/{share['id']}").json()
    assert described["status"] == "revoked", described
    assert described["revoke_reason"] == "consent for sharing withdrawn"
    # Consent given again does not bring a revoked link back.
    sharing.world.consent(sharing.case_id, sharing.parent_id, purposes=("professional_network",))
    assert guest.get(link).status_code == 404


def test_a_withdrawal_before_anyone_watches_is_shown_to_the_guider(sharing: Sharing) -> None:
    share, _link = sharing.rendered()
    sharing.client.post(
        f"/api/cases/{sharing.case_id}/consents/withdraw",
        json={"person_id": sharing.parent_id, "purposes": ["professional_network"]},
    )
    described = sharing.client.get(f"/api/shares/{share['id']}").json()
    assert described["status"] == "no_consent", described
    sharing_jobs.housekeeping(sharing.settings, sharing.app.state.session_factory)
    described = sharing.client.get(f"/api/shares/{share['id']}").json()
    assert described["status"] == "revoked", described


def test_consent_withdrawn_before_rendering_leaves_nothing_to_watch(
    sharing: Sharing, db: Session
) -> None:
    made = sharing.share()
    assert made.status_code == 201, made.text
    share_id = made.json()["share"]["id"]
    sharing.client.post(
        f"/api/cases/{sharing.case_id}/consents/withdraw",
        json={"person_id": sharing.parent_id, "purposes": ["professional_network"]},
    )
    run_render(sharing.app, sharing.settings, share_id)
    described = sharing.client.get(f"/api/shares/{share_id}").json()
    assert described["status"] == "failed" and "consent" in described["problem"], described
    stored = db.scalar(
        select(func.count()).select_from(VaultObject).where(VaultObject.kind == "share")
    )
    db.rollback()
    assert stored == 0
    assert visitor(sharing.app).get(made.json()["link"]).status_code == 404
