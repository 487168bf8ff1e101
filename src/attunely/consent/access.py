"""Who can see footage for each consent purpose, read off the live access policy.

The consent text must tell the truth about access, so it is not written by hand: every kind of
person who could be related to a case is put to `policy.decide` for the actions that read
footage, and the films service says which consent purpose their reading needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from attunely.consent.schemas import Purpose
from attunely.policy import ANONYMOUS, Action, Actor, CaseScope, Role, decide, local_operator

#: Actions that show footage or what is in it (films, clips, stills, codes).
FOOTAGE_ACTIONS = (Action.FILM_PLAY, Action.ANNOTATION_VIEW)

_ORG = "probe-organisation"
_TEAM = "probe-team"
_SCOPE = CaseScope(
    case_id="probe-case",
    organisation_id=_ORG,
    team_id=_TEAM,
    guider_id="probe-guider",
    supervisor_id="probe-supervisor",
)


@dataclass(frozen=True)
class Reader:
    """A kind of person who can see footage, in plain words and in full."""

    key: str
    plain: str
    full: str


def _user(ident: str, *roles: Role, manages: bool = False) -> Actor:
    return Actor(
        id=ident,
        label=ident,
        organisation_id=_ORG,
        roles=frozenset(roles),
        team_ids=frozenset({_TEAM}),
        managed_team_ids=frozenset({_TEAM}) if manages else frozenset(),
    )


#: Everyone who could stand in some relation to a family's case, most involved first.
CANDIDATES: tuple[tuple[Reader, Actor], ...] = (
    (
        Reader("guider", "your guider", "the guider assigned to the family"),
        _user("probe-guider", Role.GUIDER),
    ),
    (
        Reader("trainee_guider", "your guider", "a trainee guider assigned to the family"),
        _user("probe-guider", Role.TRAINEE_GUIDER),
    ),
    (
        Reader("supervisor", "the guider's supervisor", "the supervisor assigned to the case"),
        _user("probe-supervisor", Role.SUPERVISOR),
    ),
    (
        Reader("team_guider", "other guiders in the team", "other guiders in the same team"),
        _user("probe-colleague", Role.GUIDER, Role.TRAINEE_GUIDER),
    ),
    (
        Reader("team_supervisor", "other supervisors", "supervisors not assigned to the case"),
        _user("probe-other-supervisor", Role.SUPERVISOR),
    ),
    (
        Reader("manager", "the team manager", "the manager of the team"),
        _user("probe-manager", Role.MANAGER, manages=True),
    ),
    (
        Reader("dpo", "the data protection officer", "the organisation's data protection officer"),
        _user("probe-dpo", Role.DPO),
    ),
    (
        Reader("admin", "the computer administrators", "administrators of user accounts"),
        _user("probe-admin", Role.ADMIN),
    ),
    (
        Reader(
            "operator",
            "the person who looks after the computer (only to fix problems)",
            "the system operator working at the server itself (every use is audited)",
        ),
        local_operator("probe-operator"),
    ),
)


def _purpose_of(actor: Actor) -> Purpose:
    # Imported here: the films service imports the consent service, which imports this module.
    from attunely.cases.models import Case
    from attunely.films.service import CONSENT_PURPOSES, purpose_for

    probe = Case(id=_SCOPE.case_id, supervisor_id=_SCOPE.supervisor_id)
    return CONSENT_PURPOSES[purpose_for(actor, probe)]


#: Whoever a clip is shared with: outside the organisation, reached by a link.
RECIPIENT = Reader(
    "recipient",
    "the person we send it to",
    "the named professional a clip is shared with, through an expiring, revocable link",
)


def readers_by_purpose() -> dict[Purpose, list[Reader]]:
    """Return, for every purpose, who can see footage for it under today's policy."""
    found: dict[Purpose, list[Reader]] = {p: [] for p in Purpose}
    for reader, actor in CANDIDATES:
        if any(decide(actor, action, _SCOPE).allowed for action in FOOTAGE_ACTIONS):
            found[_purpose_of(actor)].append(reader)
    # Sharing with the professional network: those who may send a clip see it, and so does
    # the recipient the link is for.
    network = found[Purpose.PROFESSIONAL_NETWORK]
    for reader, actor in CANDIDATES:
        if decide(actor, Action.SHARE_CREATE, _SCOPE).allowed:
            network.append(reader)
    if network and decide(ANONYMOUS, Action.SHARE_WATCH).allowed:
        network.append(RECIPIENT)
    return found
