"""The policy alone: deny by default, relationships decide case access."""

from __future__ import annotations

import pytest

from attunely.policy import (
    ANONYMOUS,
    RULES,
    Action,
    Actor,
    CaseScope,
    Role,
    TeamScope,
    decide,
    local_operator,
)

CASE = CaseScope(
    case_id="c1", organisation_id="org", team_id="north", guider_id="g1", supervisor_id="s1"
)


def actor(
    uid: str,
    *roles: Role,
    teams: set[str] | None = None,
    manages: set[str] | None = None,
    org: str = "org",
) -> Actor:
    return Actor(
        id=uid,
        label=uid,
        organisation_id=org,
        roles=frozenset(roles),
        team_ids=frozenset(teams or set()),
        managed_team_ids=frozenset(manages or set()),
    )


def test_every_action_has_a_rule() -> None:
    assert set(RULES) == set(Action)


def test_anonymous_reaches_only_public_actions() -> None:
    allowed = {a for a in Action if decide(ANONYMOUS, a).allowed}
    # A share link is for a recipient without an account: its token is checked by the
    # sharing service, not by the policy.
    assert allowed == {Action.PUBLIC_PAGE, Action.SESSION_LOGIN, Action.SHARE_WATCH}


def test_unknown_action_is_denied() -> None:
    assert not decide(actor("x", *Role), "made.up").allowed  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "who, allowed",
    [
        (actor("g1", Role.GUIDER, teams={"north"}), True),
        (actor("g1", Role.TRAINEE_GUIDER, teams={"north"}), True),
        (actor("g2", Role.GUIDER, teams={"north"}), False),
        (actor("s1", Role.SUPERVISOR), True),
        (actor("s1", Role.GUIDER), False),  # the right id with the wrong role is not enough
        (actor("m", Role.MANAGER, teams={"north"}, manages={"north"}), True),
        (actor("m", Role.MANAGER, teams={"north"}), False),
        (actor("m", Role.MANAGER, manages={"south"}), False),
        (actor("d", Role.DPO), True),
        (actor("d", Role.DPO, org="other-org"), False),
        (actor("g1", Role.GUIDER, org="other-org"), False),
        (actor("a", Role.ADMIN), False),
    ],
)
def test_case_view(who: Actor, allowed: bool) -> None:
    decision = decide(who, Action.CASE_VIEW, CASE)
    assert decision.allowed is allowed, decision.reason
    if not allowed and Role.ADMIN not in who.roles:
        assert decision.conceal


def test_only_managers_assign_and_supervisors_do_not_edit() -> None:
    manager = actor("m", Role.MANAGER, manages={"north"})
    assert decide(manager, Action.CASE_ASSIGN, CASE).allowed
    assert not decide(actor("g1", Role.GUIDER), Action.CASE_ASSIGN, CASE).allowed
    assert not decide(actor("s1", Role.SUPERVISOR), Action.CASE_EDIT, CASE).allowed


def test_case_creation_needs_membership_of_that_team() -> None:
    north = TeamScope(team_id="north", organisation_id="org")
    assert decide(actor("g", Role.GUIDER, teams={"north"}), Action.CASE_CREATE, north).allowed
    assert not decide(actor("g", Role.GUIDER, teams={"south"}), Action.CASE_CREATE, north).allowed
    assert not decide(
        actor("s", Role.SUPERVISOR, teams={"north"}), Action.CASE_CREATE, north
    ).allowed


def test_local_operator_administers_but_cannot_use_web_self_actions() -> None:
    op = local_operator("ops")
    assert decide(op, Action.USER_MANAGE).allowed
    assert decide(op, Action.CASE_VIEW, CASE).allowed
    assert not decide(op, Action.SELF_MFA).allowed
    assert op.audit_id == "local:ops"
