"""Background work for shares: render the labelled clip, and close dead links' clips.

Rendering reads the film's proxy through the vault's decrypting reader and writes the clip
into the vault's encryptor: no plaintext touches the disk. Run twice, it finds the work done.
"""

from __future__ import annotations

import json
from datetime import timedelta
from fractions import Fraction

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from attunely.audit import service as audit
from attunely.config import Settings
from attunely.consent.service import ConsentMissing
from attunely.db import unit_of_work, utcnow
from attunely.errors import AttunelyError
from attunely.films.models import Film
from attunely.films.vaultfile import VaultFile
from attunely.jobs.registry import JobContext, register, register_maintenance
from attunely.media.watermark import cut_labelled_clip
from attunely.policy import local_operator
from attunely.sharing import service
from attunely.sharing.models import ClipShare
from attunely.vault import service as vault_service
from attunely.vault.context import Vault, vault_for
from attunely.vault.models import ObjectKind, ObjectState, VaultObject

WORKER = local_operator("background-jobs")


def label_lines(share: ClipShare) -> list[str]:
    """The words burned into every picture: who it was shared with, and when."""
    made = share.created_at.date().isoformat()
    return [
        f"Shared with {share.recipient_name} ({share.recipient_organisation})",
        f"{made} · {share.agreement_reference} · not to be copied or passed on",
    ]


def _fail(ctx: JobContext, problem: str) -> str:
    with unit_of_work(ctx.sessions) as db:
        share = db.get(ClipShare, ctx.subject_id)
        if share is not None and share.state == "rendering":
            share.state = "failed"
            share.problem = problem[:500]
            audit.record(
                db,
                actor=WORKER,
                action="share.fail",
                object_type="clip_share",
                object_id=share.id,
                purpose=service.AUDIT_PURPOSE,
                detail={"problem": problem[:200]},
            )
    return "failed: " + problem


def _open_proxy(
    db: Session, *, vault: Vault, share: ClipShare, film: Film | None
) -> tuple[str, vault_service.VaultReader | None]:
    """Open the film's proxy for rendering once consent still allows it; else say why not."""
    if film is None or film.proxy_object_id is None:
        return "the film can no longer be played", None
    try:
        service.require_consent(
            db, actor=WORKER, film=film, object_type="clip_share", object_id=share.id
        )
        reader = vault_service.open_reader(
            db,
            vault=vault,
            actor=WORKER,
            object_id=film.proxy_object_id,
            purpose=service.AUDIT_PURPOSE,
            detail={"share": share.id, "step": "render"},
        )
    except ConsentMissing:
        return "consent for sharing no longer covers everyone in the film", None
    except AttunelyError as exc:
        return exc.message, None
    return "", reader


@register(service.RENDER_JOB)
def render(ctx: JobContext) -> str:
    """Cut the clip from the proxy, burn in the label, seal it as the share's clip."""
    vault = vault_for(ctx.settings, ctx.sessions)
    with unit_of_work(ctx.sessions) as db:
        share = db.get(ClipShare, ctx.subject_id)
        if share is None or share.state != "rendering" or share.revoked_at is not None:
            return "nothing to do"
        film = db.get(Film, share.film_id)
        problem, reader = _open_proxy(db, vault=vault, share=share, film=film)
        fps = Fraction(str(json.loads(film.proxy_info or "{}").get("fps") or "0") if film else "0")
        case_id, start, end = share.case_id, share.in_frame, share.out_frame
        lines = label_lines(share)
    # Outside the first unit of work: on SQLite it would hold the write lock.
    if reader is None:
        return _fail(ctx, problem)
    ctx.progress(0.0, "making the shared clip")
    try:
        with vault_service.open_writer(
            vault,
            actor=WORKER,
            case_id=case_id,
            kind=ObjectKind.SHARE,
            purpose=service.AUDIT_PURPOSE,
            detail={"share": ctx.subject_id},
        ) as writer:
            result = cut_labelled_clip(
                VaultFile(reader),
                writer,
                start_frame=start,
                end_frame=end,
                fps=fps,
                lines=lines,
                progress=lambda f: ctx.progress(0.95 * f, "making the shared clip"),
            )
            stored = writer.finish()
    except AttunelyError as exc:
        return _fail(ctx, exc.message)
    with unit_of_work(ctx.sessions) as db:
        share = db.get(ClipShare, ctx.subject_id)
        if share is None or share.state != "rendering" or share.revoked_at is not None:
            # Revoked (or gone) while rendering: the clip must not outlive the link.
            vault_service.delete_object(
                db, vault=vault, actor=WORKER, object_id=stored.id, purpose="maintenance"
            )
            return "revoked meanwhile"
        share.object_id = stored.id
        share.state = "ready"
        share.render_info = json.dumps(
            {
                "width": result.width,
                "height": result.height,
                "fps": f"{result.fps.numerator}/{result.fps.denominator}",
                "frame_count": result.frame_count,
                "duration_s": result.duration_s,
                "has_audio": result.has_audio,
                "bytes": result.bytes_written,
                "label": lines,
            }
        )
        audit.record(
            db,
            actor=WORKER,
            action="share.ready",
            object_type="clip_share",
            object_id=share.id,
            purpose=service.AUDIT_PURPOSE,
            detail={"frames": result.frame_count},
        )
    return "ready"


def close_dead_links(settings: Settings, sessions: sessionmaker[Session]) -> int:
    """Destroy the clips of expired links, and revoke links whose consent is gone."""
    vault = vault_for(settings, sessions)
    closed = 0
    with unit_of_work(sessions) as db:
        now = utcnow()
        live = list(
            db.scalars(
                select(ClipShare).where(
                    ClipShare.object_id.is_not(None),
                    or_(ClipShare.revoked_at.is_not(None), ClipShare.expires_at <= now),
                )
            )
        )
        for share in live:
            service.drop_clip(db, vault=vault, actor=WORKER, share=share)
            closed += 1
        covered: dict[str, bool] = {}
        for share in db.scalars(
            select(ClipShare).where(ClipShare.revoked_at.is_(None), ClipShare.expires_at > now)
        ):
            if share.film_id not in covered:
                film = db.get(Film, share.film_id)
                covered[share.film_id] = film is not None and service.sharing_covered(db, film=film)
            if not covered[share.film_id]:
                service.revoke(
                    db,
                    settings=settings,
                    vault=vault,
                    actor=WORKER,
                    share=share,
                    reason="consent for sharing withdrawn",
                    by="consent",
                )
                closed += 1
    return closed


def collect_garbage(settings: Settings, sessions: sessionmaker[Session]) -> int:
    """Delete rendered clips no share points at (a render killed before linking its clip)."""
    vault = vault_for(settings, sessions)
    cutoff = utcnow() - timedelta(hours=1)
    with unit_of_work(sessions) as db:
        linked = set(
            db.scalars(select(ClipShare.object_id).where(ClipShare.object_id.is_not(None)))
        )
        loose = [
            row.id
            for row in db.scalars(
                select(VaultObject).where(
                    VaultObject.kind == str(ObjectKind.SHARE),
                    VaultObject.state == ObjectState.COMPLETE,
                    VaultObject.created_at < cutoff,
                )
            )
            if row.id not in linked
        ]
        for object_id in loose:
            vault_service.delete_object(
                db, vault=vault, actor=WORKER, object_id=object_id, purpose="maintenance"
            )
    return len(loose)


@register_maintenance
def housekeeping(settings: Settings, sessions: sessionmaker[Session]) -> None:
    """Close dead links and drop unlinked rendered clips."""
    close_dead_links(settings, sessions)
    collect_garbage(settings, sessions)
