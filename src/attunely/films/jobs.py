"""Background work on films: join an upload's parts, then probe, transcode and index.

Each step is idempotent: run twice (a worker died and the job was picked up again), it
finishes the work or finds it done. Objects a killed run left complete but unlinked are
removed by `collect_garbage`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from attunely import faults
from attunely.audit import service as audit
from attunely.config import Settings
from attunely.db import unit_of_work, utcnow
from attunely.errors import AttunelyError, MediaError
from attunely.films.models import Film, FilmAnalysis, UploadPart
from attunely.films.schemas import FilmState
from attunely.films.service import delete_parts
from attunely.films.vaultfile import VaultFile
from attunely.jobs import service as jobs
from attunely.jobs.registry import JobContext, register, register_maintenance
from attunely.media.stills import PeakMeter, ThumbnailCollector
from attunely.media.transcode import make_proxy
from attunely.policy import Actor, local_operator
from attunely.vault import service as vault_service
from attunely.vault.context import Vault, vault_for
from attunely.vault.models import ObjectKind, ObjectState, VaultObject

#: Who background work acts as, in the audit trail.
WORKER = local_operator("background-jobs")
FILM_KINDS = (ObjectKind.ORIGINAL, ObjectKind.PROXY, ObjectKind.THUMBS, ObjectKind.WAVEFORM)


def _vault(ctx: JobContext) -> Vault:
    return vault_for(ctx.settings, ctx.sessions)


def _reject(db: Session, *, vault: Vault, film: Film, problem: str) -> None:
    """Refuse a film that cannot be played: say why, and keep none of its footage."""
    doomed = [
        i
        for i in (
            film.original_object_id,
            film.proxy_object_id,
            film.thumbs_object_id,
            film.waveform_object_id,
        )
        if i
    ]
    film.original_object_id = film.proxy_object_id = None
    film.thumbs_object_id = film.waveform_object_id = None
    film.state = str(FilmState.REJECTED)
    film.problem = problem[:500]
    db.flush()
    for object_id in doomed:
        vault_service.delete_object(
            db, vault=vault, actor=WORKER, object_id=object_id, purpose="feedback"
        )
    audit.record(
        db,
        actor=WORKER,
        action="film.reject",
        object_type="film",
        object_id=film.id,
        purpose="feedback",
        detail={"problem": problem[:200]},
    )


@register("films.assemble")
def assemble(ctx: JobContext) -> str:
    """Join an upload's sealed parts into the film's original, checking the SHA-256."""
    vault = _vault(ctx)
    upload_id = str(ctx.payload["upload_id"])
    with unit_of_work(ctx.sessions) as db:
        film = db.get(Film, ctx.subject_id)
        if film is None or film.state != FilmState.PROCESSING:
            return "nothing to do"
        if film.original_object_id:
            jobs.enqueue(
                db, kind="films.process", subject_id=film.id, dedupe_key=f"films.process:{film.id}"
            )
            return "already joined"
        case_id, expected = film.case_id, film.sha256
        parts = [
            (p.offset, p.length, p.object_id)
            for p in db.scalars(
                select(UploadPart)
                .where(UploadPart.upload_id == upload_id)
                .order_by(UploadPart.offset)
            )
        ]
        total = sum(length for _o, length, _i in parts)
    contiguous = all(
        o == sum(length for _x, length, _y in parts[:n]) for n, (o, _l, _i) in enumerate(parts)
    )
    if not parts or not contiguous:
        with unit_of_work(ctx.sessions) as db:
            film = db.get(Film, ctx.subject_id)
            assert film is not None
            _reject(
                db,
                vault=vault,
                film=film,
                problem="The upload is incomplete (parts are missing). Please upload again.",
            )
        return "rejected: parts missing"

    def pieces() -> Iterator[bytes]:
        for _offset, _length, object_id in parts:
            with ctx.sessions() as db:
                reader = vault_service.open_reader(
                    db, vault=vault, actor=WORKER, object_id=object_id, purpose="feedback"
                )
                db.commit()
                yield from reader.iter_range()

    def progress(done: int) -> None:
        ctx.progress(0.95 * done / max(total, 1), "joining the uploaded parts")

    try:
        original = vault_service.store_stream(
            vault,
            actor=WORKER,
            case_id=case_id,
            kind=ObjectKind.ORIGINAL,
            source=pieces(),
            purpose="feedback",
            expected_sha256=expected,
            progress=progress,
            detail={"film": ctx.subject_id},
        )
    except AttunelyError as exc:
        with unit_of_work(ctx.sessions) as db:
            film = db.get(Film, ctx.subject_id)
            assert film is not None
            _reject(
                db,
                vault=vault,
                film=film,
                problem="The film arrived damaged (its checksum does not match what your "
                f"device sent: {exc.message}). Please upload it again.",
            )
            delete_parts(db, vault=vault, actor=WORKER, upload_id=upload_id)
        return "rejected: checksum"
    faults.point("films.joined_before_link")
    with unit_of_work(ctx.sessions) as db:
        film = db.get(Film, ctx.subject_id)
        assert film is not None
        film.original_object_id = original.id
        delete_parts(db, vault=vault, actor=WORKER, upload_id=upload_id)
        jobs.enqueue(
            db, kind="films.process", subject_id=film.id, dedupe_key=f"films.process:{film.id}"
        )
    return "joined"


@register("films.process")
def process(ctx: JobContext) -> str:
    """Probe the original, make the playback proxy, thumbnails and waveform."""
    vault = _vault(ctx)
    with unit_of_work(ctx.sessions) as db:
        film = db.get(Film, ctx.subject_id)
        if film is None or film.state != FilmState.PROCESSING or not film.original_object_id:
            return "nothing to do"
        case_id, original_id = film.case_id, film.original_object_id
        reader = vault_service.open_reader(
            db,
            vault=vault,
            actor=WORKER,
            object_id=original_id,
            purpose="feedback",
            detail={"film": film.id, "step": "transcode"},
        )
    source = VaultFile(reader)
    ctx.progress(0.0, "checking the film")
    try:
        from attunely.media.probe import probe

        info = probe(source)

        def transcoding(fraction: float) -> None:
            faults.point("films.transcoding")
            ctx.progress(0.9 * fraction, "making the playback copy")

        thumbnails = ThumbnailCollector(duration_s=info.duration_s)
        peaks = PeakMeter()
        with vault_service.open_writer(
            vault, actor=WORKER, case_id=case_id, kind=ObjectKind.PROXY, purpose="feedback"
        ) as writer:
            faults.point("films.transcode_start")
            result = make_proxy(
                source,
                writer,
                thumbnails=thumbnails,
                peaks=peaks,
                progress=transcoding,
            )
            proxy = writer.finish()
    except MediaError as exc:
        with unit_of_work(ctx.sessions) as db:
            film = db.get(Film, ctx.subject_id)
            assert film is not None
            _reject(db, vault=vault, film=film, problem=exc.message)
        return "rejected: not a playable film"
    with vault_service.open_writer(
        vault, actor=WORKER, case_id=case_id, kind=ObjectKind.THUMBS, purpose="feedback"
    ) as writer:
        strip = thumbnails.write_jpeg(writer)
        thumbs = writer.finish()
    faults.point("films.proxy_stored")
    wave = peaks.result()
    waveform = vault_service.store_stream(
        vault,
        actor=WORKER,
        case_id=case_id,
        kind=ObjectKind.WAVEFORM,
        purpose="feedback",
        source=[wave.model_dump_json().encode()],
    )
    faults.point("films.before_ready")
    with unit_of_work(ctx.sessions) as db:
        film = db.get(Film, ctx.subject_id)
        if film is None or film.state != FilmState.PROCESSING:
            return "film changed meanwhile"
        film.proxy_object_id = proxy.id
        film.thumbs_object_id = thumbs.id
        film.waveform_object_id = waveform.id
        film.duration_s = result.duration_s
        film.probe = info.model_dump_json()
        film.proxy_info = json.dumps(
            {
                "width": result.width,
                "height": result.height,
                "fps": f"{result.fps.numerator}/{result.fps.denominator}",
                "fps_float": float(result.fps),
                "frame_count": result.frame_count,
                "duration_s": result.duration_s,
                "mime_type": result.mime_type,
                "rotation_applied": result.rotation_applied,
                "has_audio": result.has_audio,
                "skipped_video": result.skipped_video,
                "skipped_audio": result.skipped_audio,
                "thumbs": strip.model_dump(),
                "waveform_bucket_s": wave.bucket_s,
            }
        )
        film.state = str(FilmState.READY)
        notes = list(info.warnings)
        if result.skipped_video:
            notes.append(f"{result.skipped_video} damaged frames were left out")
        film.problem = "; ".join(notes)[:500]
        audit.record(
            db,
            actor=WORKER,
            action="film.ready",
            object_type="film",
            object_id=film.id,
            purpose="feedback",
        )
        for kind in FOLLOW_ON_JOBS:
            jobs.enqueue(db, kind=kind, subject_id=film.id, dedupe_key=f"{kind}:{film.id}")
    return "ready"


#: Jobs to queue once a film can be played (the analysis adds itself here).
FOLLOW_ON_JOBS: list[str] = []


def collect_garbage(vault: Vault, *, older_than: timedelta = timedelta(hours=1)) -> int:
    """Delete complete film objects that no film or upload part points at (a killed run's)."""
    cutoff = utcnow() - older_than
    with unit_of_work(vault.sessions) as db:
        linked: set[str] = set()
        for row in db.execute(
            select(
                Film.original_object_id,
                Film.proxy_object_id,
                Film.thumbs_object_id,
                Film.waveform_object_id,
            )
        ):
            linked.update(i for i in row if i)
        linked.update(db.scalars(select(UploadPart.object_id)))
        for found in db.execute(
            select(FilmAnalysis.result_object_id, FilmAnalysis.stills_object_id)
        ):
            linked.update(i for i in found if i)
        loose = [
            row.id
            for row in db.scalars(
                select(VaultObject).where(
                    VaultObject.state == ObjectState.COMPLETE,
                    VaultObject.kind.in_(
                        [
                            str(k)
                            for k in (
                                *FILM_KINDS,
                                ObjectKind.UPLOAD,
                                ObjectKind.ANALYSIS,
                                ObjectKind.STILLS,
                            )
                        ]
                    ),
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
def housekeeping(
    settings: Settings, sessions: sessionmaker[Session], actor: Actor = WORKER
) -> None:
    """Abandon idle uploads, drop unlinked objects, then remove orphaned blobs."""
    from attunely.films.service import expire_uploads

    vault = vault_for(settings, sessions)
    with sessions() as db:
        expire_uploads(db, vault=vault, actor=actor, idle_hours=settings.upload_idle_hours)
    collect_garbage(vault)
    vault_service.clean_orphans(vault, actor=actor)
