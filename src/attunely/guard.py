"""Enforce policy decisions: refuse, conceal and audit in one place."""

from __future__ import annotations

from sqlalchemy.orm import Session

from attunely import policy
from attunely.audit import service as audit
from attunely.errors import AuthenticationRequired, NotFound, PermissionDenied
from attunely.policy import Action, Actor, Resource


def require(
    db: Session,
    *,
    actor: Actor,
    action: Action,
    resource: Resource = None,
    object_type: str = "system",
    object_id: str = "-",
) -> policy.Decision:
    """Return the decision if allowed; otherwise audit the refusal and raise.

    Refusals that must not reveal an object's existence raise `NotFound`.
    """
    decision = policy.decide(actor, action, resource)
    if decision.allowed:
        return decision
    if not actor.authenticated:
        raise AuthenticationRequired("please sign in")
    audit.record_failure(
        db,
        actor=actor,
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        outcome="denied",
        detail={"reason": decision.reason},
    )
    if decision.conceal:
        raise NotFound(f"no such {object_type.replace('_', ' ')}")
    raise PermissionDenied("you do not have permission to do that")
