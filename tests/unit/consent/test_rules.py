"""Who must agree before footage of some people is made or used."""

from __future__ import annotations

from attunely.consent.rules import Person, who_must_agree

MUM = Person("mum", "caregiver", True)
DAD = Person("dad", "caregiver", True)
NAN = Person("nan", "caregiver", False)
BABY = Person("baby", "child", False)


def test_a_filmed_child_needs_every_caregiver_with_parental_responsibility() -> None:
    need = who_must_agree([MUM, DAD, NAN, BABY], filmed=["baby"])
    assert need.consenters == {"mum", "dad"}
    assert not need.met_by({"mum"})
    assert need.met_by({"mum", "dad"})


def test_a_filmed_adult_without_parental_responsibility_agrees_for_herself() -> None:
    need = who_must_agree([MUM, NAN, BABY], filmed=["nan"])
    assert need.consenters == {"nan"}
    assert not need.met_by({"mum"})
    with_child = who_must_agree([MUM, NAN, BABY], filmed=["nan", "baby"])
    assert with_child.consenters == {"nan", "mum"}


def test_a_session_naming_nobody_counts_everyone_in_the_case() -> None:
    need = who_must_agree([MUM, NAN, BABY], filmed=[])
    assert need.consenters == {"mum", "nan"}


def test_filming_needs_every_holder_of_parental_responsibility_even_if_not_filmed() -> None:
    need = who_must_agree([MUM, DAD, NAN], filmed=["nan"], filming=True)
    assert need.consenters == {"mum", "dad", "nan"}


def test_nobody_to_agree_means_refused() -> None:
    # A child with no one recorded as holding parental responsibility cannot be covered.
    orphan = who_must_agree([NAN, BABY], filmed=["baby", "nan"])
    assert orphan.unrepresented and not orphan.met_by({"nan"})
    # Filming a case with nobody in it is refused too.
    assert not who_must_agree([], filmed=[], filming=True).met_by(set())
    assert not who_must_agree([], filmed=[]).met_by(set())
