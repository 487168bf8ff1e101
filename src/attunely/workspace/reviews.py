"""Reviews of proposed moments: accept, reject, take back, move the boundaries.

Accepting codes the moment as an event under the scheme in use (the code named like the
moment's principle) and marks it a clip candidate; taking an acceptance back removes that
event. Every review names the revision it was made from and is audited with ids only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.db import utcnow
from attunely.errors import InvalidInput, NotFound
from attunely.films import service as films
from attunely.policy import Action, Actor
from attunely.vault.context import Vault
from attunely.workspace import proposals, schemes
from attunely.workspace import service as workspace
from attunely.workspace.analysis_view import moment_flag, recount
from attunely.workspace.errors import StaleRevision
from attunely.workspace.models import Annotation
from attunely.workspace.proposal_schemas import Decision, ProposalRead, ReviewWrite
from attunely.workspace.review_models import ProposalReview
from attunely.workspace.schemas import AnnotationCreate, CodeType, Subject


def _moment(opened: proposals.Opened, proposal_id: str) -> dict[str, Any]:
    for moment in opened.moments:
        if moment.get("id") == proposal_id:
            return moment
    ids = [str(m.get("id")) for m in opened.moments]
    listed = f"it proposes {', '.join(ids)}" if ids else "it proposes no moments"
    raise NotFound(f"this film's analysis has no proposed moment '{proposal_id[:16]}' ({listed})")


def _check_bounds(
    db: Session, opened: proposals.Opened, proposal_id: str, start: int, end: int
) -> None:
    on = opened.on
    if end <= start:
        raise InvalidInput(
            "a moment needs at least one frame: its end must come after its start",
            field="end_frame",
        )
    if start >= on.frame_count:
        raise InvalidInput(
            f"frame {start} is beyond the end of the film, which has {on.frame_count} frames "
            f"(0 to {on.frame_count - 1})",
            field="start_frame",
        )
    if end > on.frame_count:
        raise InvalidInput(
            f"the moment ends after the end of the film (frame {on.frame_count - 1} is its last)",
            field="end_frame",
        )
    reviews = proposals.reviews_of(db, on.film.id)
    for other in opened.moments:
        other_id = str(other.get("id"))
        if other_id == proposal_id:
            continue
        o_start, o_end = opened.proposed_range(other)
        row = reviews.get(other_id)
        if row is not None and row.start_frame is not None and row.end_frame is not None:
            o_start, o_end = row.start_frame, row.end_frame
        if o_start < end and start < o_end:
            raise InvalidInput(
                f"the moment would overlap the proposed moment {other_id} (frames {o_start} to "
                f"{o_end - 1}); proposed moments may not overlap",
                field="start_frame",
            )


def _principle_code(db: Session, on: workspace.OnFilm, version_id: str, principle: str) -> str:
    version = schemes.team_version(
        db, team_id=on.team_id, version_id=version_id, field="scheme_version_id"
    )
    wanted = principle.strip().lower()
    for code in schemes.codes_of(version):
        if code.name.strip().lower() == wanted or code.code == wanted:
            return code.code
    raise InvalidInput(
        f"the scheme “{version.name}” has no code for “{principle}”; "
        "name the code to accept this moment as",
        field="code",
    )


def _accept(
    db: Session,
    *,
    actor: Actor,
    opened: proposals.Opened,
    moment: Mapping[str, Any],
    row: ProposalReview,
    data: ReviewWrite,
) -> None:
    on = opened.on
    if row.annotation_id is not None and db.get(Annotation, row.annotation_id) is not None:
        return  # accepted already, and its coded event is still there
    version_id = data.scheme_version_id
    if version_id is None:
        schemes.ensure_default(db, actor=actor, team_id=on.team_id)
        version_id = schemes.current_versions(db, team_id=on.team_id)[0].id
    principle = str(moment.get("principle", ""))
    code = data.code or _principle_code(db, on, version_id, principle)
    version = schemes.team_version(
        db, team_id=on.team_id, version_id=version_id, field="scheme_version_id"
    )
    definition = schemes.code_in(version, code)
    start, end = row.start_frame, row.end_frame
    if start is None or end is None:
        start, end = opened.proposed_range(moment)
    if definition is not None and definition.type == CodeType.POINT:
        # A point event sits at the reply the moment was proposed for.
        still = opened.frame_of(proposals.seconds(moment.get("still_s")))
        start = end = still if start <= still < end else start
    reasons = moment.get("reasons")
    reasons_text = "; ".join(str(r) for r in reasons) if isinstance(reasons, list) else ""
    note = f"Accepted proposed moment {row.proposal_id}: {reasons_text}"[:2000]
    made, _ = workspace.create_annotation(
        db,
        actor=actor,
        film_id=on.film.id,
        data=AnnotationCreate(
            id=data.annotation_id,
            scheme_version_id=version_id,
            code=code,
            subject=data.subject or Subject.BOTH,
            start_frame=start,
            end_frame=end,
            note=note,
        ),
    )
    row.annotation_id = made.id
    row.clip_candidate = True


def _release(db: Session, *, actor: Actor, opened: proposals.Opened, row: ProposalReview) -> None:
    """Taking an acceptance back removes the coded event it made."""
    if row.annotation_id is not None:
        made = db.get(Annotation, row.annotation_id)
        if made is not None:
            workspace.delete_annotation(
                db, actor=actor, annotation_id=made.id, revision=made.revision
            )
    row.annotation_id = None
    row.clip_candidate = False


def _same(current: ProposalRead, data: ReviewWrite) -> bool:
    """Whether the change asked for is already how things stand (a resent request)."""
    # The subject is how an acceptance codes the event, not part of the review itself.
    sent = data.model_fields_set - {"revision", "subject"}
    wanted = data.model_dump(include=sent)
    have = current.model_dump(include=sent)
    if "reason" in wanted and wanted["reason"] == "" and current.reason == "":
        wanted.pop("reason")
        have.pop("reason")
    return bool(sent) and wanted == have


def review(
    db: Session, *, vault: Vault, actor: Actor, film_id: str, proposal_id: str, data: ReviewWrite
) -> ProposalRead:
    """Accept, reject, reopen or re-bound one proposed moment, made from `data.revision`."""
    on = proposals.on_film(db, actor=actor, film_id=film_id, action=Action.ANNOTATION_EDIT)
    workspace._writable(on)
    opened = proposals.open_analysis(db, vault=vault, actor=actor, on=on)
    moment = _moment(opened, proposal_id)
    row = proposals.reviews_of(db, on.film.id).get(proposal_id)
    segments, _, _ = proposals.corrected_segments(db, opened)
    flag = moment_flag(moment, recount(segments), [s for s in segments if s.corrected])

    def read() -> ProposalRead:
        made = db.get(Annotation, row.annotation_id) if row and row.annotation_id else None
        return proposals.proposal_read(opened, moment, row, made, flag)

    current = read()
    if data.revision != current.revision:
        if _same(current, data):
            return current
        raise StaleRevision("proposed moment", current)
    sent = data.model_fields_set
    if row is None:
        row = ProposalReview(
            film_id=on.film.id,
            proposal_id=proposal_id,
            principle=str(moment.get("principle", ""))[:80],
            proposed_start_s=proposals.seconds(moment.get("start")),
            proposed_end_s=proposals.seconds(moment.get("end")),
            decision=Decision.OPEN,
            reason="",
            clip_candidate=False,
            revision=0,
            created_by=actor.audit_id,
            updated_by=actor.audit_id,
        )
        db.add(row)
    actions: list[str] = []
    if "start_frame" in sent or "end_frame" in sent:
        start = current.start_frame if data.start_frame is None else data.start_frame
        end = current.end_frame if data.end_frame is None else data.end_frame
        _check_bounds(db, opened, proposal_id, start, end)
        as_proposed = (start, end) == opened.proposed_range(moment)
        row.start_frame, row.end_frame = (None, None) if as_proposed else (start, end)
        actions.append("adjust")
    decision = data.decision or Decision(row.decision)
    if decision == Decision.ACCEPTED:
        if row.decision != Decision.ACCEPTED or row.annotation_id is None:
            actions.append("accept")
        db.flush()
        _accept(db, actor=actor, opened=opened, moment=moment, row=row, data=data)
        row.reason = ""
    else:
        if row.decision == Decision.ACCEPTED:
            _release(db, actor=actor, opened=opened, row=row)
        if decision == Decision.REJECTED:
            row.reason = data.reason if data.reason is not None else row.reason
        else:
            row.reason = ""
        if decision != row.decision:
            actions.append("reject" if decision == Decision.REJECTED else "reopen")
    row.decision = decision
    row.revision += 1
    row.updated_by = actor.audit_id
    row.updated_at = utcnow()
    db.flush()
    for action in actions or ["edit"]:
        audit.record(
            db,
            actor=actor,
            action=f"proposal.{action}",
            object_type="proposal",
            object_id=row.id,
            purpose=films.purpose_for(actor, on.case),
            detail={"film": on.film.id, "proposal": proposal_id},
        )
    return read()
