"""A signature drawn on the tablet, kept as compact strokes, never as a picture file.

The signature pad (web/static/signature.js) sends JSON:
``{"v": 1, "w": WIDTH, "h": HEIGHT, "strokes": [[x0, y0, x1, y1, ...], ...]}``
in whole CSS pixels of the pad. A few kilobytes per signature; it is redrawn as SVG.
"""

from __future__ import annotations

import json
import math
from typing import Any

from attunely.errors import InvalidInput

MAX_CHARS = 200_000
MAX_STROKES = 300
MAX_POINTS = 20_000
#: Less ink than this (in pad pixels) is a tap or a slip, not a signature.
MIN_INK = 30.0

EMPTY = (
    "the signature is empty: ask the caregiver to sign in the box, "
    "or choose a typed name witnessed by you"
)


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="signature")


def _number(value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _refuse("the signature could not be read: draw it again")
    return max(low, min(high, round(value)))


def ink_length(strokes: list[list[int]]) -> float:
    """Return the total length of the lines drawn."""
    total = 0.0
    for stroke in strokes:
        for i in range(2, len(stroke) - 1, 2):
            total += math.hypot(stroke[i] - stroke[i - 2], stroke[i + 1] - stroke[i - 1])
    return total


def parse(text: str | None) -> str:
    """Check a drawn signature and return it in compact canonical JSON; refuse an empty one."""
    if not text or not text.strip():
        raise _refuse(EMPTY)
    if len(text) > MAX_CHARS:
        raise _refuse("the signature is too long: clear it and sign once")
    try:
        raw = json.loads(text)
    except ValueError:
        raise _refuse("the signature could not be read: draw it again") from None
    if not isinstance(raw, dict) or raw.get("v") != 1 or not isinstance(raw.get("strokes"), list):
        raise _refuse("the signature could not be read: draw it again")
    width = _number(raw.get("w"), 1, 4000)
    height = _number(raw.get("h"), 1, 4000)
    if len(raw["strokes"]) > MAX_STROKES:
        raise _refuse("the signature has too many strokes: clear it and sign once")
    strokes: list[list[int]] = []
    points = 0
    for stroke in raw["strokes"]:
        if not isinstance(stroke, list) or len(stroke) % 2:
            raise _refuse("the signature could not be read: draw it again")
        points += len(stroke) // 2
        if points > MAX_POINTS:
            raise _refuse("the signature is too long: clear it and sign once")
        xy = [_number(v, 0, width if i % 2 == 0 else height) for i, v in enumerate(stroke)]
        if xy:
            strokes.append(xy)
    if ink_length(strokes) < MIN_INK:
        raise _refuse(EMPTY)
    return json.dumps({"v": 1, "w": width, "h": height, "strokes": strokes}, separators=(",", ":"))


def svg_paths(text: str) -> tuple[int, int, list[str]]:
    """Return (width, height, SVG path data per stroke) to redraw a stored signature."""
    data = json.loads(text)
    paths = []
    for stroke in data["strokes"]:
        pairs = [f"{stroke[i]} {stroke[i + 1]}" for i in range(0, len(stroke), 2)]
        paths.append("M" + pairs[0] + ("".join(" L" + p for p in pairs[1:]) or " l0.1 0"))
    return int(data["w"]), int(data["h"]), paths
