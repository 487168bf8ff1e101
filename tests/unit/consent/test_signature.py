"""A drawn signature is kept as compact strokes; an empty or unreadable one is refused."""

from __future__ import annotations

import json

import pytest

from attunely.consent import signature
from attunely.errors import InvalidInput

STROKE = [10, 100, 60, 40, 120, 150, 200, 90]
SCRAWL: dict[str, object] = {"v": 1, "w": 600, "h": 200, "strokes": [STROKE]}


def test_a_signature_is_stored_compact_and_clamped_to_the_pad() -> None:
    raw = {**SCRAWL, "strokes": [[10.4, 100, 60, 40, 999, -5], [300, 50]]}
    stored = json.loads(signature.parse(json.dumps(raw)))
    assert stored == {"v": 1, "w": 600, "h": 200, "strokes": [[10, 100, 60, 40, 600, 0], [300, 50]]}
    assert " " not in signature.parse(json.dumps(raw))


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        json.dumps({"v": 1, "w": 600, "h": 200, "strokes": []}),
        json.dumps({"v": 1, "w": 600, "h": 200, "strokes": [[50, 50]]}),  # a tap
        json.dumps({"v": 1, "w": 600, "h": 200, "strokes": [[50, 50, 55, 52]]}),  # a slip
    ],
)
def test_an_empty_signature_is_refused_with_a_clear_message(text: str | None) -> None:
    with pytest.raises(InvalidInput) as refused:
        signature.parse(text)
    assert "the signature is empty" in refused.value.message
    assert refused.value.field == "signature"


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"v": 2, "w": 1, "h": 1, "strokes": []}),
        json.dumps({"v": 1, "w": "wide", "h": 200, "strokes": [[1, 2, 300, 4]]}),
        json.dumps({"v": 1, "w": 600, "h": 200, "strokes": [[1, 2, 300]]}),
        json.dumps({"v": 1, "w": 600, "h": 200, "strokes": [[1, 2, True, 4]]}),
        '{"v": 1, "w": 600, "h": 200, "strokes": [[1, 2, NaN, 4]]}',
    ],
)
def test_an_unreadable_signature_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="could not be read"):
        signature.parse(text)


def test_an_overlong_signature_is_refused() -> None:
    many = {**SCRAWL, "strokes": [[1, 1, 5, 5]] * (signature.MAX_STROKES + 1)}
    with pytest.raises(InvalidInput, match="too many strokes"):
        signature.parse(json.dumps(many))


def test_a_stored_signature_is_redrawn_as_svg_paths() -> None:
    stored = signature.parse(json.dumps({**SCRAWL, "strokes": [STROKE, [300, 50]]}))
    width, height, paths = signature.svg_paths(stored)
    assert (width, height) == (600, 200)
    assert paths == ["M10 100 L60 40 L120 150 L200 90", "M300 50 l0.1 0"]
