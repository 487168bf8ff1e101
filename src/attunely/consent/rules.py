"""Who must have agreed before footage of some people may be made or used (pure rules).

The rule, in words:

* Everyone identifiable in a film is a *subject*: the filming session's `filmed_people`. When a
  session names nobody, every person in the case counts as a subject, because nobody has said
  who can be seen.
* An adult caregiver who is a subject is covered only by their own consent (with or without
  parental responsibility: they decide for themselves).
* A child who is a subject is covered when *every* caregiver in the case with parental
  responsibility has agreed. A child with nobody recorded as holding parental responsibility
  cannot be covered at all.
* Filming and upload additionally need every caregiver with parental responsibility in the case,
  filmed or not: they decide whether their family is filmed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

CAREGIVER = "caregiver"
CHILD = "child"


@dataclass(frozen=True)
class Person:
    """The facts about a case person that consent depends on."""

    id: str
    kind: str
    parental_responsibility: bool


@dataclass(frozen=True)
class Requirement:
    """Whose agreement is needed; `unrepresented` means no one can give it (refuse)."""

    consenters: frozenset[str]
    unrepresented: bool

    def met_by(self, agreed: Collection[str]) -> bool:
        """Say whether the people in `agreed` cover the requirement."""
        if self.unrepresented or not self.consenters:
            return False
        return self.consenters <= set(agreed)


def who_must_agree(
    people: Sequence[Person], *, filmed: Collection[str], filming: bool = False
) -> Requirement:
    """Return whose agreement covers `filmed` (ids of case people) under the rule above.

    `filming=True` adds every caregiver with parental responsibility (making or uploading film).
    """
    chosen = set(filmed)
    subjects = [p for p in people if p.id in chosen] if chosen else list(people)
    holders = {p.id for p in people if p.kind == CAREGIVER and p.parental_responsibility}
    needed = {p.id for p in subjects if p.kind == CAREGIVER}
    children = any(p.kind == CHILD for p in subjects)
    if children or filming:
        needed |= holders
    return Requirement(
        consenters=frozenset(needed),
        unrepresented=(children or filming) and not holders,
    )
