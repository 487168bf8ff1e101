"""The sealed analysis as the guider sees it: speaker corrections applied, turns recounted.

Pure functions on the analysis JSON (schema in docs/analysis.md). Turns are recounted with
the analysis' own LENA rule (`attunely.analysis.turns`), so a corrected film is counted
exactly as the analysis would have counted it had it heard the speakers right. Moments that
were built on turns are checked against the recounted turns and flagged when their evidence
changed; they are not re-proposed, because a guider may already have reviewed them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from attunely.analysis.segments import ADULT, CHILD, Segment
from attunely.analysis.turns import Conversation, all_turns, conversations

#: Seconds within which a recounted reply is the one a moment was built on (the JSON keeps
#: milliseconds).
SAME_TIME_S = 0.01

GONE = (
    "A speaker correction changed the turns this moment was proposed from: it may no longer "
    "show what its reasons say. Check it before accepting."
)
TOUCHED = (
    "A speaker in this moment was corrected; its reasons describe the speakers as the "
    "analysis first heard them."
)


@dataclass(frozen=True)
class SpeechSegment:
    """One speech segment of the analysis, with the guider's speaker if corrected."""

    index: int
    start: float
    end: float
    speaker: str
    original: str
    confidence: float

    @property
    def corrected(self) -> bool:
        return self.speaker != self.original


@dataclass(frozen=True)
class Correction:
    """A stored correction: the segment it was made on (times) and the speaker chosen."""

    start: float
    end: float
    speaker: str


def _number(value: Any, default: float = 0.0) -> float:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return default


def segments_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    speech = document.get("speech")
    found = speech.get("segments") if isinstance(speech, dict) else None
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def apply_corrections(
    raw: list[dict[str, Any]], corrections: Mapping[int, Correction]
) -> tuple[list[SpeechSegment], int]:
    """The segments with corrections applied; also how many corrections no longer fit.

    A correction fits when its segment still has the times it was made on (a film analysed
    again may have different segments; a stale correction is then left unapplied).
    """
    out: list[SpeechSegment] = []
    used = 0
    for index, item in enumerate(raw):
        start, end = _number(item.get("start")), _number(item.get("end"))
        original = str(item.get("speaker", ""))
        speaker = original
        fix = corrections.get(index)
        if fix is not None and abs(fix.start - start) < 1e-3 and abs(fix.end - end) < 1e-3:
            speaker = fix.speaker
            used += 1
        out.append(
            SpeechSegment(
                index, start, end, speaker, original, _number(item.get("confidence"), 1.0)
            )
        )
    return out, len(corrections) - used


def recount(segments: list[SpeechSegment]) -> list[Conversation]:
    """LENA conversations and turns of the (corrected) segments."""
    labelled = [
        Segment(s.start, s.end, s.speaker, s.confidence)
        for s in segments
        if s.end > s.start and s.speaker in (ADULT, CHILD)
    ]
    return conversations(labelled)


def turns_json(found: list[Conversation]) -> list[dict[str, Any]]:
    """Turns as analysis.json writes them (`turns.items`)."""
    return [
        {
            "time": round(t.time, 3),
            "initiator": t.initiator,
            "latency_s": round(t.latency_s, 2),
            "first": {
                "speaker": t.first.label,
                "start": round(t.first.start, 3),
                "end": round(t.first.end, 3),
            },
            "second": {
                "speaker": t.second.label,
                "start": round(t.second.start, 3),
                "end": round(t.second.end, 3),
            },
            "conversation": t.conversation,
        }
        for t in all_turns(found)
    ]


def moment_flag(
    moment: Mapping[str, Any], found: list[Conversation], changed: list[SpeechSegment]
) -> str | None:
    """Why a moment needs a second look after speaker corrections, or None.

    A moment built on a reply (vocal_initiative, invitation) or on turn-taking keeps its
    evidence only if the recounted turns still hold that reply at the same time with the
    same speakers; any moment a corrected segment overlaps is noted too.
    """
    if not changed:
        return None
    kind = moment.get("kind")
    still = _number(moment.get("still_s"), -1.0)

    def at(t: float) -> bool:
        return abs(t - still) <= SAME_TIME_S

    turns = all_turns(found)
    if kind == "vocal_initiative":
        holds = any(
            t.first.label == CHILD and t.second.label == ADULT and at(t.second.start) for t in turns
        )
    elif kind == "invitation":
        holds = any(
            t.first.label == ADULT and t.second.label == CHILD and at(t.second.start) for t in turns
        )
    elif kind == "turn_taking":
        holds = any(len(c.turns) >= 2 and at(c.turns[0].second.start) for c in found)
    else:
        holds = True
    if not holds:
        return GONE
    start, end = _number(moment.get("start")), _number(moment.get("end"))
    if any(s.start < end and start < s.end for s in changed):
        return TOUCHED
    return None
