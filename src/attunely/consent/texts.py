"""The consent form's words: versioned templates filled from the live settings and policy.

The form always tells the truth because nothing in it about storage, retention or access is
typed by hand: where footage lives and how it is sealed come from the settings, how long each
kind of record is kept from the retention settings, and who can see footage for each purpose
from the access policy (`consent.access`). Each form exists twice: a plain-language version
for the parent (short sentences, everyday words; shown first) and the full version.

A rendered form is identified by the template version and the SHA-256 of its words. Any change
to a setting that the form mentions changes the hash, and every consent record keeps the hash
of the form it was given with (the words themselves are kept in `consent_texts`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from jinja2 import Environment, StrictUndefined

from attunely.config import Settings
from attunely.consent.access import Reader, readers_by_purpose
from attunely.consent.schemas import Purpose

#: Raise whenever the wording of any template below changes.
TEMPLATE_VERSION = "2026.12-1"
#: Stated when no retention setting covers films (the period the form has always said).
DEFAULT_RETENTION_MONTHS = 24

PURPOSE_TITLES: dict[Purpose, tuple[str, str]] = {
    Purpose.FILMING_FEEDBACK: ("Filming and watching it with you", "Filming and feedback"),
    Purpose.SUPERVISION: ("Help for your guider", "Supervision of the guider"),
    Purpose.PEER_INTERVISION: ("Learning in the team", "Peer intervision in the team"),
    Purpose.TRAINING: ("Training days", "Training events"),
    Purpose.PROFESSIONAL_NETWORK: ("Other people who help you", "Professional network"),
    Purpose.RESEARCH: ("Checking our work", "Evaluation and research"),
}

_PLAIN_PURPOSE: dict[Purpose, str] = {
    Purpose.FILMING_FEEDBACK: (
        "We film you and your child at home. Then you and your guider watch the film together. "
        "We look for the good moments."
    ),
    Purpose.SUPERVISION: (
        "Your guider has a supervisor. The supervisor may watch the film. "
        "This helps your guider do good work with you."
    ),
    Purpose.PEER_INTERVISION: "Other guiders in the team may watch the film. They learn together.",
    Purpose.TRAINING: (
        "Short parts of the film may be shown at a training day. The people there learn to "
        "help families."
    ),
    Purpose.PROFESSIONAL_NETWORK: (
        "A short part of the film may be sent to someone else who helps your family. "
        "They get a link that stops working after a while."
    ),
    Purpose.RESEARCH: "The film may help us check that our help is good.",
}

_FULL_PURPOSE: dict[Purpose, str] = {
    Purpose.FILMING_FEEDBACK: (
        "{{ org }} films interactions between you and your child and reviews the footage "
        "with you in feedback sessions, concentrating on moments that go well."
    ),
    Purpose.SUPERVISION: (
        "The guider's supervisor may watch the footage and the guider's notes to support "
        "and check the quality of the guider's work."
    ),
    Purpose.PEER_INTERVISION: (
        "Selected footage may be reviewed by guiders of the same team in peer intervision meetings."
    ),
    Purpose.TRAINING: (
        "Selected clips may be shown at training events for professionals who support families."
    ),
    Purpose.PROFESSIONAL_NETWORK: (
        "Selected clips (never whole films) may be shared with a named professional who "
        "supports your family, under a data-sharing agreement, through a link that expires."
    ),
    Purpose.RESEARCH: (
        "Footage and notes may be used to evaluate the service and for research approved by "
        "{{ org }}."
    ),
}

#: Record classes in everyday words, for the plain-language form.
PLAIN_CLASS_NAMES = {
    "films": "the film",
    "film": "the film",
    "clips": "short parts of the film",
    "annotations": "our notes about the film",
    "case records": "your family's file",
    "audit": "the list of who looked at it",
}

_PLAIN = """\
## About filming your family

{{ org }} helps families with video. You choose what we may do with the film of your family. \
You can say yes to some things and no to others. You still get our help if you say no.

## Where the film is kept

The film is kept on {{ storage_plain }}. It is locked with a secret code (encrypted). \
Only the people named below can open it.

## How long we keep it

{% for name, period in retention_plain %}We keep {{ name }} for {{ period }}. {% endfor %}\
Then we delete it.
{% for p in purposes %}

## {{ p.title_plain }}

{{ p.plain }} Who can see it: {{ p.who_plain }}.
{% endfor %}

## You can change your mind

You can say stop at any time. Just tell your guider. We stop using the film for that at once. \
When you have said stop to everything, we destroy the film{{ grace_plain }}.
"""

_FULL = """\
## Consent to filming and the use of footage

Controller: {{ org }}. This form asks for your consent to each purpose below separately. \
You may agree to some purposes and not others; the support you receive does not depend on it.

## Storage and security

Footage is stored {{ storage_full }}. It is encrypted from the first byte with \
{{ encryption }}. Every viewing is recorded in an audit trail.

## Retention

{% for name, period in retention %}{{ name|capitalize }}: kept for {{ period }}.
{% endfor %}\
After that the records are deleted and the footage's keys destroyed. A legal hold may delay \
deletion; you will be told why.
{% for p in purposes %}

## {{ p.title_full }}

{{ p.full }} Who has access: {{ p.who_full }}.
{% endfor %}

## Your rights

You may withdraw your consent to any purpose at any time, without giving a reason. Withdrawal \
takes effect immediately for access; footage no longer covered by any purpose is destroyed by \
deleting its encryption key{{ grace_full }}. You may ask for a copy of the data about you \
(subject access) and for its erasure; contact {{ org }}'s data protection officer.
"""

# The forms are plain text, escaped by the page templates that show them.
_ENV = Environment(
    autoescape=False,  # noqa: S701
    undefined=StrictUndefined,
    keep_trailing_newline=False,
)


@dataclass(frozen=True)
class ConsentText:
    """One rendered consent form."""

    version: str
    sha256: str
    plain: str
    full: str

    @property
    def label(self) -> str:
        """Name the form in words: its template version and the start of its hash."""
        return f"{self.version} · {self.sha256[:8]}"


def _amount(number: int, unit: str) -> str:
    return f"{number} {unit if number == 1 else unit + 's'}"


def period_words(number: int, unit: str) -> str:
    """Say a period in the largest whole unit: 730 days is "2 years"."""
    days = {"day": 1, "week": 7, "month": 30, "year": 365}
    unit = unit.rstrip("s")
    if unit in ("hour", "minute"):
        return _amount(number, unit)
    total = number * days.get(unit, 1)
    if unit == "month":
        return _amount(number // 12, "year") if number % 12 == 0 else _amount(number, "month")
    for name in ("year", "month", "week"):
        if total % days[name] == 0:
            return _amount(total // days[name], name)
    return _amount(total, "day")


def _months(number: int, unit: str) -> int:
    per_month = {"day": 1 / 30, "week": 7 / 30, "month": 1.0, "year": 12.0}
    return max(1, math.ceil(number * per_month.get(unit.rstrip("s"), 1.0)))


_FIELD = re.compile(r"^retention_(?P<cls>[a-z_]+?)_(?P<unit>days|weeks|months|years)$")
_GRACE = re.compile(r"grace_(?P<unit>hours|days)$")


def retention_periods(settings: Settings) -> list[tuple[str, str, int]]:
    """Return (record class, period in words, months) for each retention setting present.

    The retention package names its settings `retention_<class>_<unit>`; a setting that is
    empty or zero means "no fixed period" and is left out.
    """
    found: list[tuple[str, str, int]] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        match = _FIELD.match(name)
        if match and isinstance(value, int) and value > 0:
            unit = match["unit"]
            found.append(
                (match["cls"].replace("_", " "), period_words(value, unit), _months(value, unit))
            )
        elif name.startswith("retention") and isinstance(value, Mapping):
            unit = name.rsplit("_", 1)[-1] if name.endswith(("days", "months")) else "days"
            for cls, number in value.items():
                if isinstance(number, int) and number > 0:
                    found.append((str(cls), period_words(number, unit), _months(number, unit)))
    return found


def film_retention_months(settings: Settings) -> int:
    """Return how many months films are kept (what each consent record states)."""
    for cls, _words, months in retention_periods(settings):
        if cls in ("film", "films"):
            return months
    return DEFAULT_RETENTION_MONTHS


def _grace(settings: Settings) -> tuple[str, str]:
    for name in type(settings).model_fields:
        match = _GRACE.search(name)
        value = getattr(settings, name)
        if match and isinstance(value, int | float) and value > 0:
            unit = match["unit"]
            if unit == "days" and value != int(value):
                value, unit = round(value * 24), "hours"
            words = period_words(int(value), unit)
            return f" after {words}", f" after a grace period of {words}"
    return "", ""


def _storage(settings: Settings, org: str) -> tuple[str, str]:
    if settings.storage == "s3":
        where = (
            f"at {settings.s3_endpoint}"
            if settings.s3_endpoint
            else f"in Amazon S3 region {settings.s3_region}"
        )
        return (
            f"a safe online store that {org} uses",
            f"in the S3-compatible storage bucket '{settings.s3_bucket}' {where}",
        )
    return (
        f"a computer that {org} looks after",
        f"in the encrypted film vault on {org}'s own Attunely server",
    )


def _encryption(settings: Settings) -> str:
    keys = (
        "key files on the server, kept apart from the footage"
        if settings.key_manager == "local"
        else "an external key management service"
    )
    return f"AES-256-GCM, using a separate key for each case; the keys are protected by {keys}"


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _who(readers: list[Reader], *, plain: bool) -> str:
    words = list(dict.fromkeys(r.plain if plain else r.full for r in readers))
    if not words:
        return (
            "nobody yet (we do not use films for this at present)"
            if plain
            else "no one at present: Attunely does not yet give access for this purpose"
        )
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def who_has_access(purpose: Purpose) -> str:
    """Say in full who can see footage for `purpose` today (what a record states)."""
    return _who(readers_by_purpose()[purpose], plain=False)


def render(settings: Settings) -> ConsentText:
    """Fill the templates from the live settings and access policy."""
    org = settings.organisation_name
    storage_plain, storage_full = _storage(settings, org)
    periods = retention_periods(settings) or [
        ("films and clips", period_words(DEFAULT_RETENTION_MONTHS, "months"), 0)
    ]
    grace_plain, grace_full = _grace(settings)
    readers = readers_by_purpose()
    purposes = [
        {
            "title_plain": PURPOSE_TITLES[p][0],
            "title_full": PURPOSE_TITLES[p][1],
            "plain": _ENV.from_string(_PLAIN_PURPOSE[p]).render(org=org),
            "full": _ENV.from_string(_FULL_PURPOSE[p]).render(org=org),
            "who_plain": _who(readers[p], plain=True),
            "who_full": _who(readers[p], plain=False),
        }
        for p in Purpose
    ]
    values = {
        "org": org,
        "storage_plain": storage_plain,
        "storage_full": storage_full,
        "encryption": _encryption(settings),
        "retention": [(name, words) for name, words, _ in periods],
        "retention_plain": [
            (PLAIN_CLASS_NAMES.get(name, name), words) for name, words, _ in periods
        ],
        "grace_plain": grace_plain,
        "grace_full": grace_full,
        "purposes": purposes,
    }
    plain = _tidy(_ENV.from_string(_PLAIN).render(**values))
    full = _tidy(_ENV.from_string(_FULL).render(**values))
    digest = hashlib.sha256(
        json.dumps(
            {"version": TEMPLATE_VERSION, "plain": plain, "full": full}, sort_keys=True
        ).encode()
    ).hexdigest()
    return ConsentText(version=TEMPLATE_VERSION, sha256=digest, plain=plain, full=full)


def blocks(text: str) -> list[tuple[str, str]]:
    """Split a rendered form into ("heading" | "para", words) blocks for display."""
    out: list[tuple[str, str]] = []
    for block in text.split("\n\n"):
        block = block.strip()
        if block.startswith("## "):
            head, _, rest = block.partition("\n")
            out.append(("heading", head[3:].strip()))
            block = rest.strip()
        for line in filter(None, (b.strip() for b in block.split("\n"))):
            out.append(("para", line))
    return out
