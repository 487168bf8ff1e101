"""Share a clip with the professional network: the rules, for the case's people and the
recipient.

A share names one clip (never a whole film), a recipient, the consent purpose for sharing
with the professional network, the agreement it is made under and an expiry. A job renders
the clip with the recipient's name and the date burned in and seals it in the vault; the
recipient watches it through a link whose token is the credential (only its SHA-256 is kept).

Every view and every byte range read checks the link (known, not revoked, not expired) and
the consent again, and is audited under the recipient's own actor (`share:<id>`). When the
consent no longer covers everyone in the film, the share is revoked on the spot.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.backup import ledger
from attunely.cases.models import Case, CasePerson
from attunely.cases.service import authorized_case
from attunely.config import Settings
from attunely.consent import service as consent
from attunely.consent.rules import Person, who_must_agree
from attunely.consent.schemas import Purpose
from attunely.db import utcnow
from attunely.errors import Conflict, InvalidInput, NotFound
from attunely.films import service as films
from attunely.films.models import Film, FilmingSession
from attunely.films.schemas import FilmState
from attunely.guard import require
from attunely.inputs import is_id
from attunely.jobs import service as jobs
from attunely.policy import Action, Actor
from attunely.sharing.models import ClipShare
from attunely.sharing.schemas import (
    MAX_SHARE_DAYS,
    MAX_SHARE_SECONDS,
    ShareCreate,
    ShareRead,
    ShareStatus,
)
from attunely.vault import service as vault_service
from attunely.vault.context import Vault
from attunely.workspace.models import Clip

PURPOSE = Purpose.PROFESSIONAL_NETWORK
#: The audit purpose of everything done for a share.
AUDIT_PURPOSE = str(PURPOSE)
RENDER_JOB = "sharing.render"
#: A clip covering this share of its film or more counts as the whole film.
WHOLE_FILM_SHARE = 0.9


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def link_for(token: str) -> str:
    """The path the recipient opens (the page adds the site's address)."""
    return f"/s/{token}"


# --- facts about a film ---------------------------------------------------------------------


def filmed_people(db: Session, film: Film) -> list[str]:
    session = db.get(FilmingSession, film.session_id)
    return list(json.loads(session.filmed_people or "[]")) if session else []


def sharing_covered(db: Session, *, film: Film) -> bool:
    """Say, without auditing, whether consent for sharing covers everyone in the film."""
    people = [
        Person(id=p.id, kind=p.kind, parental_responsibility=p.parental_responsibility)
        for p in db.scalars(select(CasePerson).where(CasePerson.case_id == film.case_id))
    ]
    needed = who_must_agree(people, filmed=filmed_people(db, film))
    return needed.met_by(consent.agreed(db, case_id=film.case_id, purpose=PURPOSE))


def proxy_facts(film: Film) -> tuple[Fraction, int]:
    info = json.loads(film.proxy_info or "{}")
    fps = Fraction(str(info.get("fps") or "0"))
    count = info.get("frame_count")
    return fps, count if isinstance(count, int) else 0


def require_consent(
    db: Session, *, actor: Actor, film: Film, object_type: str, object_id: str
) -> None:
    consent.require_purpose(
        db,
        actor=actor,
        case_id=film.case_id,
        person_ids=filmed_people(db, film),
        purpose=PURPOSE,
        object_type=object_type,
        object_id=object_id,
    )


# --- the case's people ----------------------------------------------------------------------


def _expiry(expires_on: date, *, today: date) -> datetime:
    if expires_on <= today:
        raise InvalidInput("the link must stay open at least until tomorrow", field="expires_on")
    if expires_on > today + timedelta(days=MAX_SHARE_DAYS):
        raise InvalidInput(
            f"a link may stay open at most {MAX_SHARE_DAYS} days; choose an earlier date",
            field="expires_on",
        )
    # The link stops working at the start of the expiry day (UTC), as consent expiry does.
    return datetime.combine(expires_on, time(0), tzinfo=UTC)


def _check_clip(film: Film, clip: Clip) -> None:
    fps, frame_count = proxy_facts(film)
    if film.state != FilmState.READY or film.proxy_object_id is None or fps <= 0:
        raise Conflict("the film is not ready to play, so no clip of it can be shared yet")
    # Trimming a frame or two off each end does not turn a film into a clip.
    if (clip.out_frame - clip.in_frame) >= WHOLE_FILM_SHARE * frame_count:
        raise InvalidInput(
            "only clips can be shared, never a whole film: this clip covers "
            f"{(clip.out_frame - clip.in_frame) * 100 // max(frame_count, 1)} % of the film; "
            "make a shorter clip of the moment to share",
            field="clip_id",
        )
    if Fraction(clip.out_frame - clip.in_frame) / fps > MAX_SHARE_SECONDS:
        raise InvalidInput(
            f"a shared clip may last at most {MAX_SHARE_SECONDS // 60} minutes; "
            "make a shorter clip",
            field="clip_id",
        )


def create_share(
    db: Session, *, actor: Actor, data: ShareCreate, today: date | None = None
) -> tuple[ClipShare, str]:
    """Share a clip; return the share and its link's token (never stored, shown once)."""
    clip = db.get(Clip, data.clip_id) if is_id(data.clip_id) else None
    if clip is None:
        require(db, actor=actor, action=Action.SHARE_CREATE, object_type="clip", object_id="-")
        raise NotFound("no such clip")
    film, case = films.get_film(db, actor=actor, film_id=clip.film_id, action=Action.SHARE_CREATE)
    if data.purpose != PURPOSE:
        raise InvalidInput(
            "clips are shared only for the purpose 'sharing with the professional network' "
            f"({PURPOSE}); other purposes are not shared by link",
            field="purpose",
        )
    expires_at = _expiry(data.expires_on, today=today or date.today())
    _check_clip(film, clip)
    require_consent(db, actor=actor, film=film, object_type="clip", object_id=clip.id)
    token = secrets.token_urlsafe(32)
    share = ClipShare(
        case_id=case.id,
        film_id=film.id,
        clip_id=clip.id,
        clip_title=clip.title,
        in_frame=clip.in_frame,
        out_frame=clip.out_frame,
        recipient_name=data.recipient_name,
        recipient_organisation=data.recipient_organisation,
        recipient_email=data.recipient_email,
        purpose=str(PURPOSE),
        agreement_reference=data.agreement_reference,
        expires_at=expires_at,
        token_hash=token_hash(token),
        state="rendering",
        created_by=actor.audit_id,
    )
    db.add(share)
    db.flush()
    jobs.enqueue(db, kind=RENDER_JOB, subject_id=share.id, dedupe_key=f"{RENDER_JOB}:{share.id}")
    audit.record(
        db,
        actor=actor,
        action="share.create",
        object_type="clip_share",
        object_id=share.id,
        purpose=AUDIT_PURPOSE,
        detail={
            "case": case.id,
            "film": film.id,
            "clip": clip.id,
            "frames": [clip.in_frame, clip.out_frame],
            "agreement": data.agreement_reference,
            "expires_at": expires_at.isoformat(),
        },
    )
    return share, token


def status_of(share: ClipShare, *, covered: bool, now: datetime | None = None) -> ShareStatus:
    if share.revoked_at is not None:
        return ShareStatus.REVOKED
    if share.expires_at <= (now or utcnow()):
        return ShareStatus.EXPIRED
    if share.state == "failed":
        return ShareStatus.FAILED
    if not covered:
        return ShareStatus.NO_CONSENT
    if share.state == "rendering":
        return ShareStatus.RENDERING
    return ShareStatus.ACTIVE


def share_read(share: ClipShare, *, covered: bool) -> ShareRead:
    info = json.loads(share.render_info or "{}")
    duration = info.get("duration_s")
    return ShareRead(
        id=share.id,
        case_id=share.case_id,
        film_id=share.film_id,
        clip_id=share.clip_id,
        clip_title=share.clip_title,
        in_frame=share.in_frame,
        out_frame=share.out_frame,
        duration_s=float(duration) if isinstance(duration, int | float) else None,
        recipient_name=share.recipient_name,
        recipient_organisation=share.recipient_organisation,
        recipient_email=share.recipient_email,
        purpose=Purpose(share.purpose),
        agreement_reference=share.agreement_reference,
        expires_at=share.expires_at,
        status=status_of(share, covered=covered),
        problem=share.problem,
        views=share.views,
        last_viewed_at=share.last_viewed_at,
        created_by=share.created_by,
        created_at=share.created_at,
        revoked_at=share.revoked_at,
        revoked_by=share.revoked_by,
        revoke_reason=share.revoke_reason,
    )


def reads(db: Session, shares: list[ClipShare]) -> list[ShareRead]:
    """Describe shares, asking once per film whether consent still covers it."""
    covered: dict[str, bool] = {}
    for share in shares:
        if share.film_id not in covered:
            film = db.get(Film, share.film_id)
            covered[share.film_id] = film is not None and sharing_covered(db, film=film)
    return [share_read(s, covered=covered[s.film_id]) for s in shares]


def _listed(db: Session, *, actor: Actor, case: Case, query: object, what: str) -> None:
    audit.record(
        db,
        actor=actor,
        action="share.list",
        object_type=what,
        object_id=str(query),
        purpose="governance",
        detail={"case": case.id},
    )


def list_for_case(db: Session, *, actor: Actor, case_id: str) -> list[ClipShare]:
    """Every share of a case, newest first (audited)."""
    case = authorized_case(db, actor=actor, case_id=case_id, action=Action.SHARE_LIST)
    shares = list(
        db.scalars(
            select(ClipShare)
            .where(ClipShare.case_id == case.id)
            .order_by(ClipShare.created_at.desc())
        )
    )
    _listed(db, actor=actor, case=case, query=case.id, what="case")
    return shares


def list_for_film(db: Session, *, actor: Actor, film_id: str) -> list[ClipShare]:
    """Every share of a film's clips, newest first (audited)."""
    film, case = films.get_film(db, actor=actor, film_id=film_id, action=Action.SHARE_LIST)
    shares = list(
        db.scalars(
            select(ClipShare)
            .where(ClipShare.film_id == film.id)
            .order_by(ClipShare.created_at.desc())
        )
    )
    _listed(db, actor=actor, case=case, query=film.id, what="film")
    return shares


def get_share(db: Session, *, actor: Actor, share_id: str, action: Action) -> ClipShare:
    """Load a share the actor may act on (404 to anyone outside its case)."""
    share = db.get(ClipShare, share_id) if is_id(share_id) else None
    if share is None:
        require(db, actor=actor, action=action, object_type="clip_share", object_id="-")
        raise NotFound("no such share")
    authorized_case(db, actor=actor, case_id=share.case_id, action=action)
    return share


def drop_clip(db: Session, *, vault: Vault, actor: Actor, share: ClipShare) -> None:
    """Destroy the rendered clip: once a link is dead, nothing of it is kept."""
    if share.object_id is None:
        return
    object_id = share.object_id
    share.object_id = None
    db.flush()
    vault_service.delete_object(
        db, vault=vault, actor=actor, object_id=object_id, purpose=AUDIT_PURPOSE
    )


#: The erasure-ledger entry of a revocation: a backup taken before it must not bring the
#: link or its clip back when restored.
LEDGER_OP = "share_revoke"


def revoke(
    db: Session,
    *,
    settings: Settings,
    vault: Vault,
    actor: Actor,
    share: ClipShare,
    reason: str,
    by: str,
) -> None:
    """Close the link at once and destroy its rendered clip (audited, and in the erasure
    ledger before the caller commits)."""
    ledger.append(settings, op=LEDGER_OP, target={"share_id": share.id, "case_id": share.case_id})
    share.revoked_at = utcnow()
    share.revoked_by = by
    share.revoke_reason = reason[:200]
    drop_clip(db, vault=vault, actor=actor, share=share)
    audit.record(
        db,
        actor=actor,
        action="share.revoke",
        object_type="clip_share",
        object_id=share.id,
        purpose=AUDIT_PURPOSE,
        detail={"case": share.case_id, "reason": reason[:200]},
    )


def revoke_share(
    db: Session, *, settings: Settings, vault: Vault, actor: Actor, share_id: str, reason: str = ""
) -> ClipShare:
    """Revoke a share for the case's people; a revoked share stays revoked."""
    share = get_share(db, actor=actor, share_id=share_id, action=Action.SHARE_REVOKE)
    if share.revoked_at is not None:
        raise Conflict("this share was already revoked")
    revoke(
        db,
        settings=settings,
        vault=vault,
        actor=actor,
        share=share,
        reason=reason or "revoked",
        by=actor.audit_id,
    )
    return share


@ledger.reapplies(LEDGER_OP)
def _revoke_again(db: Session, vault: Vault, actor: Actor, target: dict[str, Any]) -> None:
    """After a restore: the share stays revoked and its clip destroyed."""
    share = db.get(ClipShare, str(target.get("share_id", "")))
    if share is None:
        return
    if share.revoked_at is None:
        share.revoked_at = utcnow()
        share.revoked_by = "restore"
        share.revoke_reason = "revoked before the backup was restored"
    drop_clip(db, vault=vault, actor=actor, share=share)
