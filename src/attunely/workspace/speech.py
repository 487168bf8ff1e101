"""Speaker corrections: the guider says who really spoke in one speech segment.

A correction is stored beside the sealed analysis (never written into it) and applied
whenever the analysis is read; the film's turns are then recounted by the same LENA rule
and the moments built on turns are checked again (attunely.workspace.analysis_view).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.db import utcnow
from attunely.errors import NotFound
from attunely.films import service as films
from attunely.policy import Action, Actor
from attunely.vault.context import Vault
from attunely.workspace import proposals
from attunely.workspace import service as workspace
from attunely.workspace.errors import StaleRevision
from attunely.workspace.proposal_schemas import (
    ProposalsRead,
    SegmentRead,
    Speaker,
    SpeakerWrite,
)
from attunely.workspace.review_models import SpeakerCorrection


def correct_speaker(
    db: Session, *, vault: Vault, actor: Actor, film_id: str, index: int, data: SpeakerWrite
) -> ProposalsRead:
    """Set the speaker of segment `index`, made from `data.revision`; returns the new view."""
    on = proposals.on_film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_EDIT)
    workspace._writable(on)
    opened = proposals.open_analysis(db, vault=vault, actor=actor, on=on)
    segments, rows, _ = proposals.corrected_segments(db, opened)
    found = next((s for s in segments if s.index == index), None)
    if found is None or found.original not in (Speaker.ADULT, Speaker.CHILD):
        count = len(segments)
        raise NotFound(
            f"this film's analysis has no speech segment {index} "
            + (f"(its segments are numbered 0 to {count - 1})" if count else "(it found no speech)")
        )
    row = rows.get(index)
    have = row.revision if row is not None else 0
    if data.revision != have:
        if found.speaker == data.speaker:
            return proposals.view(db, opened)  # a resent request: already so
        raise StaleRevision(
            "speaker of this speech segment",
            SegmentRead(
                index=found.index,
                start=found.start,
                end=found.end,
                speaker=Speaker(found.speaker),
                original_speaker=Speaker(found.original),
                corrected=found.corrected,
                confidence=found.confidence,
                revision=have,
            ),
        )
    if row is None:
        row = SpeakerCorrection(
            film_id=on.film.id,
            segment_index=index,
            revision=0,
            created_by=actor.audit_id,
        )
        db.add(row)
    # The times pin the correction to this segment, should the film be analysed again.
    row.start_s, row.end_s = found.start, found.end
    row.original_speaker = found.original
    row.speaker = str(data.speaker)
    row.revision += 1
    row.updated_by = actor.audit_id
    row.updated_at = utcnow()
    db.flush()
    audit.record(
        db,
        actor=actor,
        action="speech.correct",
        object_type="speech_segment",
        object_id=row.id,
        purpose=films.purpose_for(actor, on.case),
        detail={"film": on.film.id, "segment": index, "speaker": row.speaker},
    )
    return proposals.view(db, opened)
