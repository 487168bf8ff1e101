"""Behind a share link: the recipient's page and the clip's byte ranges.

The link's token is the recipient's credential. Every view and every byte range read checks
the link again (known, not revoked, not expired, clip ready) and the consent for sharing, and
is audited under the recipient's own actor (`share:<id>`, purpose `professional_network`).
When the consent no longer covers everyone in the film, the share is revoked on the spot.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.config import Settings
from attunely.consent import service as consent
from attunely.db import utcnow
from attunely.errors import Conflict, NotFound
from attunely.films.models import Film
from attunely.policy import Actor
from attunely.sharing import service
from attunely.sharing.models import ClipShare
from attunely.vault import service as vault_service
from attunely.vault.context import Vault

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class ShareUnavailable(NotFound):
    """The link shows nothing: unknown, expired, revoked, or its clip could not be made."""

    code = "share_unavailable"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = {"reason": reason}


def recipient_actor(share: ClipShare) -> Actor:
    """Who watches through the link, for the audit trail: the share's recipient."""
    return Actor(
        id=f"share:{share.id}",
        label=f"recipient of share {share.id}",
        organisation_id=None,
        authenticated=False,
    )


@dataclass(frozen=True)
class Viewing:
    """What the recipient's page shows: the clip's title, who shared it, until when."""

    share_id: str
    clip_title: str
    recipient_name: str
    recipient_organisation: str
    expires_at: datetime
    duration_s: float | None
    width: int | None
    height: int | None


def _by_token(db: Session, token: str) -> ClipShare:
    share = (
        db.scalars(
            select(ClipShare).where(ClipShare.token_hash == service.token_hash(token))
        ).first()
        if _TOKEN.fullmatch(token)
        else None
    )
    if share is None:
        raise ShareUnavailable(
            "There is no shared clip at this address. Check that the whole link was copied.",
            reason="unknown",
        )
    return share


def _refuse(db: Session, *, share: ClipShare, action: str, reason: str) -> None:
    audit.record_failure(
        db,
        actor=recipient_actor(share),
        action=action,
        object_type="clip_share",
        object_id=share.id,
        outcome=reason,
        purpose=service.AUDIT_PURPOSE,
        detail={"case": share.case_id},
    )


def _usable(db: Session, *, settings: Settings, vault: Vault, token: str, action: str) -> ClipShare:
    """Return the share behind a live link, or refuse (audited) saying only what the
    recipient needs to know."""
    share = _by_token(db, token)
    if share.revoked_at is not None:
        _refuse(db, share=share, action=action, reason="revoked")
        raise ShareUnavailable(
            "This clip is no longer shared. Ask the person who shared it if you still need it.",
            reason="revoked",
        )
    if share.expires_at <= utcnow():
        _refuse(db, share=share, action=action, reason="expired")
        raise ShareUnavailable(
            f"This link expired on {share.expires_at.date().isoformat()}. "
            "Ask the person who shared it if you still need it.",
            reason="expired",
        )
    if share.state == "failed" or (share.state == "ready" and share.object_id is None):
        _refuse(db, share=share, action=action, reason="unavailable")
        raise ShareUnavailable("This clip could not be prepared.", reason="failed")
    film = db.get(Film, share.film_id)
    if film is None:
        raise ShareUnavailable("This clip is no longer shared.", reason="revoked")
    recipient = recipient_actor(share)
    try:
        service.require_consent(
            db, actor=recipient, film=film, object_type="clip_share", object_id=share.id
        )
    except consent.ConsentMissing:
        # Consent was withdrawn (or ran out): the share ends now, not at its expiry.
        share = db.get(ClipShare, share.id)  # type: ignore[assignment]
        service.revoke(
            db,
            settings=settings,
            vault=vault,
            actor=recipient,
            share=share,
            reason="consent for sharing withdrawn",
            by="consent",
        )
        db.commit()
        raise ShareUnavailable(
            "This clip is no longer shared. Ask the person who shared it if you still need it.",
            reason="revoked",
        ) from None
    if share.state != "ready":
        raise Conflict("This clip is still being prepared. Please try again in a minute.")
    return share


def open_view(
    db: Session, *, settings: Settings, vault: Vault, token: str, viewer: Actor
) -> Viewing:
    """Open the recipient's page: one audited view, counted on the share."""
    share = _usable(db, settings=settings, vault=vault, token=token, action="share.view")
    share.views += 1
    share.last_viewed_at = utcnow()
    detail: dict[str, object] = {"case": share.case_id, "view": share.views}
    if viewer.authenticated:
        detail["signed_in_user"] = viewer.audit_id
    audit.record(
        db,
        actor=recipient_actor(share),
        action="share.view",
        object_type="clip_share",
        object_id=share.id,
        purpose=service.AUDIT_PURPOSE,
        detail=detail,
    )
    info = json.loads(share.render_info or "{}")
    return Viewing(
        share_id=share.id,
        clip_title=share.clip_title,
        recipient_name=share.recipient_name,
        recipient_organisation=share.recipient_organisation,
        expires_at=share.expires_at,
        duration_s=info.get("duration_s"),
        width=info.get("width"),
        height=info.get("height"),
    )


def open_stream(
    db: Session, *, settings: Settings, vault: Vault, token: str, byte_range: str | None
) -> vault_service.VaultReader:
    """Open the rendered clip for one (range) request; the read is audited."""
    share = _usable(db, settings=settings, vault=vault, token=token, action="share.stream")
    assert share.object_id is not None
    return vault_service.open_reader(
        db,
        vault=vault,
        actor=recipient_actor(share),
        object_id=share.object_id,
        purpose=service.AUDIT_PURPOSE,
        detail={"share": share.id, "range": (byte_range or "all")[:60]},
    )
