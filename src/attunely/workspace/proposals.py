"""Proposed moments in the workspace: the sealed analysis with the guider's reviews on top.

The analysis itself is sealed and never rewritten. A guider accepts a proposal (it becomes
a coded event under the scheme in use, and a clip candidate), rejects it (with a reason if
they like), takes a decision back, or moves its boundaries; each review is a row per film
and proposal id, revisioned like every workspace object and audited with ids only. Speaker
corrections (attunely.workspace.speech) are applied whenever the analysis is read.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from attunely.errors import Conflict
from attunely.films import service as films
from attunely.films.analysis import KIND as ANALYSIS_JOB
from attunely.films.analysis import read_analysis
from attunely.films.models import Film, FilmAnalysis
from attunely.films.schemas import FilmState
from attunely.jobs import service as jobs
from attunely.policy import Action, Actor
from attunely.vault.context import Vault
from attunely.workspace import service as workspace
from attunely.workspace.analysis_view import (
    Correction,
    SpeechSegment,
    apply_corrections,
    moment_flag,
    recount,
    segments_of,
    turns_json,
)
from attunely.workspace.models import Annotation
from attunely.workspace.proposal_schemas import (
    AnalysisStatus,
    Decision,
    MotionRead,
    ProposalCounts,
    ProposalRead,
    ProposalsRead,
    SegmentRead,
    Speaker,
    SyncWindowRead,
    TurnRead,
)
from attunely.workspace.review_models import ProposalReview, SpeakerCorrection


class NoAnalysis(Conflict):
    """The film has no analysis to review yet (or cannot have one)."""

    code = "no_analysis"


@dataclass
class Opened:
    """A film's sealed analysis, read for one request, with the facts every rule needs."""

    on: workspace.OnFilm
    document: dict[str, Any]
    fps: float

    @property
    def moments(self) -> list[dict[str, Any]]:
        found = self.document.get("moments")
        return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []

    def frame_of(self, seconds: float) -> int:
        frame = math.floor(seconds * self.fps + 1e-6)
        return max(0, min(self.on.frame_count - 1, frame))

    def proposed_range(self, moment: Mapping[str, Any]) -> tuple[int, int]:
        start = self.frame_of(seconds(moment.get("start")))
        end = math.ceil(seconds(moment.get("end")) * self.fps - 1e-6)
        return start, max(start + 1, min(self.on.frame_count, end))


def seconds(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else 0.0


def _fps(film: Film) -> float:
    info = json.loads(film.proxy_info or "{}")
    value = info.get("fps_float") if isinstance(info, dict) else None
    return float(value) if isinstance(value, int | float) and value > 0 else 0.0


# --- status and reading ---------------------------------------------------------------------


def _status(db: Session, film: Film) -> tuple[AnalysisStatus, str, float | None]:
    if film.state in (FilmState.UPLOADING, FilmState.PROCESSING):
        return (
            AnalysisStatus.PREPARING,
            "The film is still being transcoded for watching; it is analysed after that.",
            None,
        )
    if film.state != FilmState.READY or film.proxy_object_id is None:
        return AnalysisStatus.UNPLAYABLE, "This film cannot be played, so it is not analysed.", None
    if db.get(FilmAnalysis, film.id) is not None:
        return AnalysisStatus.READY, "", None
    job = next(
        (j for j in reversed(jobs.jobs_for(db, subject_id=film.id)) if j.kind == ANALYSIS_JOB),
        None,
    )
    if job is not None and job.state in ("queued", "running"):
        return (
            AnalysisStatus.ANALYSING,
            "The automatic analysis is running; proposed moments appear when it is done.",
            job.progress,
        )
    if job is not None and job.state == "failed":
        return (
            AnalysisStatus.FAILED,
            "The automatic analysis could not be completed"
            + (f": {job.message}" if job.message else "")
            + ". Coding by hand works as usual.",
            None,
        )
    return AnalysisStatus.NONE, "This film has no analysis yet, so there are no proposals.", None


def on_film(db: Session, *, actor: Actor, film_id: str, action: Action) -> workspace.OnFilm:
    film, case = films.get_film(db, actor=actor, film_id=film_id, action=action)
    films.consented_purpose(db, actor=actor, film=film, case=case)
    return workspace.OnFilm(film=film, case=case, frame_count=workspace._frame_count(film))


def open_analysis(db: Session, *, vault: Vault, actor: Actor, on: workspace.OnFilm) -> Opened:
    """Read the film's sealed analysis (audited), or say clearly why there is none."""
    status, message, _ = _status(db, on.film)
    if status != AnalysisStatus.READY:
        raise NoAnalysis(message)
    document = json.loads(read_analysis(db, vault=vault, actor=actor, film_id=on.film.id))
    if not isinstance(document, dict):
        raise NoAnalysis("the film's analysis could not be read")
    fps = _fps(on.film)
    if fps <= 0 or on.frame_count <= 0:
        raise NoAnalysis("the film's frame rate is unknown, so moments cannot be placed on it")
    return Opened(on=on, document=document, fps=fps)


def reviews_of(db: Session, film_id: str) -> dict[str, ProposalReview]:
    rows = db.scalars(select(ProposalReview).where(ProposalReview.film_id == film_id))
    return {r.proposal_id: r for r in rows}


def _corrections(db: Session, film_id: str) -> dict[int, SpeakerCorrection]:
    rows = db.scalars(select(SpeakerCorrection).where(SpeakerCorrection.film_id == film_id))
    return {r.segment_index: r for r in rows}


def corrected_segments(
    db: Session, opened: Opened
) -> tuple[list[SpeechSegment], dict[int, SpeakerCorrection], int]:
    rows = _corrections(db, opened.on.film.id)
    fixes = {i: Correction(r.start_s, r.end_s, r.speaker) for i, r in rows.items()}
    segments, stale = apply_corrections(segments_of(opened.document), fixes)
    return segments, rows, stale


# --- reading proposals ----------------------------------------------------------------------


def proposal_read(
    opened: Opened,
    moment: Mapping[str, Any],
    review: ProposalReview | None,
    annotation: Annotation | None,
    flag: str | None,
) -> ProposalRead:
    start, end = opened.proposed_range(moment)
    has_bounds = review is not None and review.start_frame is not None
    reasons = moment.get("reasons")
    strength = moment.get("strength")
    return ProposalRead(
        id=str(moment.get("id", "")),
        film_id=opened.on.film.id,
        principle=str(moment.get("principle", "")),
        kind=str(moment.get("kind", "")),
        strength=float(strength) if isinstance(strength, int | float) else 0.0,
        reasons=[str(r) for r in reasons] if isinstance(reasons, list) else [],
        start_s=seconds(moment.get("start")),
        end_s=seconds(moment.get("end")),
        still_s=seconds(moment.get("still_s")),
        proposed_start_frame=start,
        proposed_end_frame=end,
        start_frame=review.start_frame if review and review.start_frame is not None else start,
        end_frame=review.end_frame if review and review.end_frame is not None else end,
        adjusted=has_bounds,
        decision=Decision(review.decision) if review else Decision.OPEN,
        reason=review.reason if review else "",
        annotation_id=review.annotation_id if review else None,
        scheme_version_id=annotation.scheme_version_id if annotation else None,
        code=annotation.code if annotation else None,
        clip_candidate=review.clip_candidate if review else False,
        annotation=workspace.annotation_read(annotation) if annotation else None,
        flag=flag,
        revision=review.revision if review else 0,
        reviewed_at=review.updated_at if review else None,
    )


def counts_of(moment_ids: list[str], reviews: Mapping[str, ProposalReview]) -> ProposalCounts:
    """Accepted, rejected and open proposals of a film (reviews of moments no longer
    proposed, after a new analysis, still count as decisions made)."""
    decided = [r for r in reviews.values() if r.decision != Decision.OPEN]
    accepted = sum(1 for r in decided if r.decision == Decision.ACCEPTED)
    rejected = sum(1 for r in decided if r.decision == Decision.REJECTED)
    open_ = sum(1 for m in moment_ids if m not in reviews or reviews[m].decision == Decision.OPEN)
    return ProposalCounts(
        proposed=len(moment_ids),
        accepted=accepted,
        rejected=rejected,
        open=open_,
        adjusted=sum(1 for r in reviews.values() if r.start_frame is not None),
    )


def _annotations(db: Session, reviews: Mapping[str, ProposalReview]) -> dict[str, Annotation]:
    ids = [r.annotation_id for r in reviews.values() if r.annotation_id]
    if not ids:
        return {}
    rows = db.scalars(select(Annotation).where(Annotation.id.in_(ids)))
    return {a.id: a for a in rows}


def _tracks(document: Mapping[str, Any]) -> tuple[MotionRead | None, list[SyncWindowRead]]:
    motion = document.get("motion")
    motion_read = None
    if isinstance(motion, dict) and isinstance(motion.get("rate_hz"), int | float):
        motion_read = MotionRead(
            rate_hz=float(motion["rate_hz"]),
            adult=motion.get("adult") if isinstance(motion.get("adult"), list) else None,
            child=motion.get("child") if isinstance(motion.get("child"), list) else None,
        )
    sync = document.get("synchrony")
    windows = sync.get("windows") if isinstance(sync, dict) else None
    return motion_read, [
        SyncWindowRead(
            start=seconds(w.get("start")),
            end=seconds(w.get("end")),
            z=seconds(w.get("z")),
            lag_s=seconds(w.get("lag_s")),
            above_chance=bool(w.get("above_chance")),
        )
        for w in (windows if isinstance(windows, list) else [])
        if isinstance(w, dict)
    ]


def view(db: Session, opened: Opened) -> ProposalsRead:
    """Proposals with reviews, corrected speech and recounted turns, and the other tracks."""
    film = opened.on.film
    segments, rows, stale = corrected_segments(db, opened)
    changed = [s for s in segments if s.corrected]
    turns_doc = opened.document.get("turns")
    sealed_count = turns_doc.get("count") if isinstance(turns_doc, dict) else None
    sealed_count = sealed_count if isinstance(sealed_count, int) else 0
    found = recount(segments)
    if changed:
        items = turns_json(found)
    else:
        # Untouched: show exactly what the analysis sealed.
        raw = turns_doc.get("items") if isinstance(turns_doc, dict) else None
        items = raw if isinstance(raw, list) else []
    reviews = reviews_of(db, film.id)
    annotations = _annotations(db, reviews)
    moments = opened.moments
    proposals = [
        proposal_read(
            opened,
            m,
            reviews.get(str(m.get("id"))),
            annotations.get(reviews[str(m.get("id"))].annotation_id or "")
            if str(m.get("id")) in reviews
            else None,
            moment_flag(m, found, changed),
        )
        for m in moments
    ]
    motion, synchrony = _tracks(opened.document)
    notes = opened.document.get("notes")
    return ProposalsRead(
        film_id=film.id,
        status=AnalysisStatus.READY,
        message="",
        fps=opened.fps,
        frame_count=opened.on.frame_count,
        proposals=proposals,
        counts=counts_of([p.id for p in proposals], reviews),
        segments=[
            SegmentRead(
                index=s.index,
                start=s.start,
                end=s.end,
                speaker=Speaker(s.speaker),
                original_speaker=Speaker(s.original),
                corrected=s.corrected,
                confidence=s.confidence,
                revision=rows[s.index].revision if s.index in rows else 0,
            )
            for s in segments
            if s.speaker in (Speaker.ADULT, Speaker.CHILD)
            and s.original in (Speaker.ADULT, Speaker.CHILD)
        ],
        turns=[TurnRead.model_validate(t) for t in items],
        turn_count=len(items),
        analysed_turn_count=sealed_count,
        corrections=len(changed),
        stale_corrections=stale,
        turn_caveat=str(turns_doc.get("caveat", "")) if isinstance(turns_doc, dict) else "",
        strength_meaning=str(opened.document.get("strength_meaning", "")),
        motion=motion,
        synchrony=synchrony,
        notes=[str(n) for n in notes] if isinstance(notes, list) else [],
    )


def proposals(db: Session, *, vault: Vault, actor: Actor, film_id: str) -> ProposalsRead:
    """The film's proposals and analysis tracks for the workspace, or its analysis status."""
    on = on_film(db, actor=actor, film_id=film_id, action=Action.FILM_PLAY)
    status, message, progress = _status(db, on.film)
    if status != AnalysisStatus.READY:
        reviews = reviews_of(db, on.film.id)
        return ProposalsRead(
            film_id=on.film.id,
            status=status,
            message=message,
            progress=progress,
            fps=_fps(on.film),
            frame_count=on.frame_count,
            counts=counts_of([], reviews),
        )
    return view(db, open_analysis(db, vault=vault, actor=actor, on=on))
