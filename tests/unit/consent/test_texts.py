"""The consent form is filled from the live settings and policy: change one, the words and
the hash change; the plain-language version stays short and plain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from attunely import policy
from attunely.config import Settings
from attunely.consent import texts
from attunely.consent.schemas import Purpose
from attunely.policy import Action


def _settings(**changes: object) -> Settings:
    return Settings(data_dir=Path("/nonexistent"), database_url=None, **changes)  # type: ignore[arg-type]


def test_the_same_settings_give_the_same_form() -> None:
    one, two = texts.render(_settings()), texts.render(_settings())
    assert one == two
    assert one.version == texts.TEMPLATE_VERSION and re.fullmatch(r"[0-9a-f]{64}", one.sha256)
    assert one.label == f"{one.version} · {one.sha256[:8]}"


@pytest.mark.parametrize(
    ("change", "plain_words", "full_words"),
    [
        ({"organisation_name": "Riverside Family Centre"}, "Riverside Family Centre", None),
        (
            {"storage": "s3", "s3_bucket": "riverside-films", "s3_endpoint": "https://s3.example"},
            "safe online store",
            "bucket 'riverside-films' at https://s3.example",
        ),
        ({"retention_films_months": 18}, "We keep the film for 18 months", "Films: kept for 18"),
        ({"retention_audit_months": 120}, "for 10 years", "Audit: kept for 10 years"),
        ({"shred_grace_days": 7.0}, "destroy the film after 1 week", "grace period of 1 week"),
        ({"key_manager": "kms.module:factory"}, None, "external key management service"),
    ],
)
def test_changing_a_setting_changes_the_words_and_the_hash(
    change: dict[str, object], plain_words: str | None, full_words: str | None
) -> None:
    before = texts.render(_settings())
    after = texts.render(_settings(**change))
    assert after.sha256 != before.sha256
    assert after.version == before.version
    if plain_words:
        assert plain_words in after.plain and plain_words not in before.plain
    if full_words:
        assert full_words in after.full and full_words not in before.full


def test_the_film_retention_the_records_state_follows_the_setting() -> None:
    assert texts.film_retention_months(_settings(retention_films_months=18)) == 18
    assert texts.film_retention_months(_settings(retention_films_months=36)) == 36


def test_who_has_access_is_read_from_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    before = texts.render(_settings())
    assert "Who can see it: the guider's supervisor." in before.plain
    assert "the team manager" not in before.plain
    assert texts.who_has_access(Purpose.SUPERVISION) == "the supervisor assigned to the case"
    # Let team managers play films: the form must say so at once, under filming and feedback.
    widened = policy._case_rule(
        "assigned guider", "assigned supervisor", "manager of the team", local=True
    )
    monkeypatch.setitem(policy.RULES, Action.FILM_PLAY, widened)
    after = texts.render(_settings())
    assert after.sha256 != before.sha256
    assert "the manager of the team" in texts.who_has_access(Purpose.FILMING_FEEDBACK)
    assert "the team manager" in after.plain


def test_a_purpose_nobody_can_use_says_so() -> None:
    form = texts.render(_settings())
    assert "Attunely does not yet give access for this purpose" in form.full
    assert texts.who_has_access(Purpose.RESEARCH).startswith("no one at present")


def _sentences(text: str) -> list[str]:
    body = " ".join(line for line in text.splitlines() if not line.startswith("## "))
    return [s for s in re.split(r"(?<=[.!?])\s+", body) if s.strip()]


def test_the_plain_version_is_short_and_plain() -> None:
    form = texts.render(_settings())
    plain, full = _sentences(form.plain), _sentences(form.full)
    words = [len(s.split()) for s in plain]
    assert sum(words) / len(words) <= 12, "plain sentences average more than 12 words"
    assert sum(words) / len(words) < sum(len(s.split()) for s in full) / len(full)
    for jargon in ("AES", "controller", "retention", "intervision", "subject access"):
        assert jargon.lower() not in form.plain.lower(), jargon


def test_blocks_split_headings_and_paragraphs() -> None:
    assert texts.blocks("## Title\n\nOne.\nTwo.\n\n## Next\nThree.") == [
        ("heading", "Title"),
        ("para", "One."),
        ("para", "Two."),
        ("heading", "Next"),
        ("para", "Three."),
    ]


@pytest.mark.parametrize(
    ("number", "unit", "words"),
    [(730, "days", "2 years"), (24, "months", "2 years"), (18, "months", "18 months"),
     (14, "days", "2 weeks"), (1, "days", "1 day"), (12, "hours", "12 hours")],
)  # fmt: skip
def test_period_words(number: int, unit: str, words: str) -> None:
    assert texts.period_words(number, unit) == words


def test_sharing_names_who_sends_clips_and_the_recipient() -> None:
    who = texts.who_has_access(Purpose.PROFESSIONAL_NETWORK)
    assert "the supervisor assigned to the case" in who
    assert who.endswith("the named professional a clip is shared with, through an expiring, "
                        "revocable link")  # fmt: skip
