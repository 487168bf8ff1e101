"""Moment proposals: stretches of film worth a practitioner's look, each with its reasons.

A proposal is a *positive* pattern in the signals, tied to the principle of attuned
interaction it most likely illustrates:

* receiving initiatives - the child vocalises and the adult replies soon after;
* developing attuned interactions - two or more turns back and forth (serve and return);
* being attentive - the child makes a movement and the adult answers it (moves or speaks);
* encouraging initiatives - the adult speaks, leaves a pause, and the child takes it up.

`strength` (0-1) says how clearly the *signals* show that pattern (short reply, several turns,
confident voice labels, movement together). It never rates the interaction, the parent or the
child; people decide what a moment shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from attunely.analysis.arrays import F32, require_positive, require_range
from attunely.analysis.segments import ADULT, CHILD, Segment
from attunely.analysis.synchrony import Synchrony
from attunely.analysis.turns import Conversation

RECEIVING = "receiving initiatives"
DEVELOPING = "developing attuned interactions"
ATTENTIVE = "being attentive"
ENCOURAGING = "encouraging initiatives"
PRINCIPLES = (ATTENTIVE, ENCOURAGING, RECEIVING, DEVELOPING)

STRENGTH_MEANING = (
    "strength says how clearly the sound and movement signals show the pattern; "
    "it is not a rating of the interaction or of anyone in it"
)


@dataclass(frozen=True)
class Moment:
    """One proposed moment.

    Attributes
    ----------
    start, end : float
        Seconds.
    strength : float
        0-1 clarity of the signal evidence (see STRENGTH_MEANING).
    principle : str
        The principle of attuned interaction it most likely illustrates.
    kind : str
        Which pattern was found: vocal_initiative, turn_taking, movement_initiative,
        invitation.
    reasons : tuple[str, ...]
        Plain-language reasons built from the signals.
    still_s : float
        The instant to show as a still (the reply).
    evidence : dict
        The numbers behind the reasons.
    """

    start: float
    end: float
    strength: float
    principle: str
    kind: str
    reasons: tuple[str, ...]
    still_s: float
    evidence: dict[str, float | int | str] = field(default_factory=dict)


def clock(seconds: float) -> str:
    """02:13.4 style time for reasons and captions (hours when needed)."""
    seconds = max(0.0, seconds)
    tenths = round(seconds * 10)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    text = f"{minutes:02d}:{rest // 10:02d}.{rest % 10}"
    return f"{hours}:{text}" if hours else text


def _speaker(label: str) -> str:
    return "child" if label == CHILD else "adult"


@dataclass(frozen=True)
class MotionContext:
    """Movement evidence on a regular grid (either series may be missing)."""

    rate_hz: float
    child: F32 | None
    adult: F32 | None
    child_bursts: list[tuple[float, float, float]]
    adult_bursts: list[tuple[float, float, float]]


def _burst_near(
    bursts: list[tuple[float, float, float]], t: float, before: float, after: float
) -> tuple[float, float, float] | None:
    for burst in bursts:
        if t - before <= burst[0] <= t + after:
            return burst
    return None


def _sync_reason(sync: Synchrony | None, start: float, end: float) -> tuple[str | None, float]:
    if sync is None:
        return None, 0.0
    inside = [w for w in sync.windows if w.above_chance and w.start < end and w.end > start]
    if not inside:
        return None, 0.0
    best = max(inside, key=lambda w: w.z)
    lead = (
        f"the adult's following by {best.lag_s:.1f} s"
        if best.lag_s > 0.05
        else f"the child's following by {-best.lag_s:.1f} s"
        if best.lag_s < -0.05
        else "at the same time"
    )
    return (
        f"around here their movements rose and fell together ({lead}; r = {best.peak_r:.2f}, "
        "above what shuffled pairings of the same film give)",
        0.1,
    )


def candidates(
    *,
    conversations: list[Conversation],
    speech: list[Segment],
    motion: MotionContext | None,
    sync: Synchrony | None,
    duration_s: float,
    pad_s: float = 1.0,
    max_reply_s: float = 3.0,
) -> list[Moment]:
    """Every candidate moment, possibly overlapping, before selection.

    Parameters
    ----------
    conversations : LENA conversations (from turns.conversations)
    speech : labelled speech segments (ADULT/CHILD)
    motion : movement evidence, or None for a film without usable picture
    sync : synchrony result, or None
    duration_s : film length
    pad_s : seconds of context added before and after each moment
    max_reply_s : a reply later than this is not proposed as "received"
    """
    require_positive("duration_s", duration_s)
    require_range("pad_s", pad_s, 0.0, 10.0)
    require_positive("max_reply_s", max_reply_s)
    found: list[Moment] = []
    adult_bursts = motion.adult_bursts if motion else []
    child_bursts = motion.child_bursts if motion else []

    def span(a: float, b: float) -> tuple[float, float]:
        return max(0.0, a - pad_s), min(duration_s, b + pad_s)

    for conv in conversations:
        for turn in conv.turns:
            first, second = turn.first, turn.second
            latency = max(0.0, turn.latency_s)
            confidence = min(first.confidence, second.confidence)
            if first.label == CHILD and second.label == ADULT and latency <= max_reply_s:
                replied = (
                    f"adult replied {latency:.1f} s later"
                    if turn.latency_s >= 0
                    else "adult replied as the child finished"
                )
                reasons = [f"child vocalised at {clock(first.start)}; {replied}"]
                strength = 0.45 + (0.15 if latency < 1.0 else 0.08 if latency < 2.0 else 0.0)
                moved = _burst_near(adult_bursts, second.start, 1.0, 1.5)
                if moved:
                    reasons.append(f"the adult also moved at {clock(moved[0])}")
                    strength += 0.1
                start, end = span(first.start, second.end)
                sync_text, bonus = _sync_reason(sync, start, end)
                if sync_text:
                    reasons.append(sync_text)
                found.append(
                    Moment(
                        start,
                        end,
                        _clip(strength * (0.6 + 0.4 * confidence) + bonus),
                        RECEIVING,
                        "vocal_initiative",
                        tuple(reasons),
                        second.start,
                        {
                            "latency_s": round(turn.latency_s, 2),
                            "voice_confidence": round(confidence, 2),
                        },
                    )
                )
            if first.label == ADULT and second.label == CHILD and 0.8 <= latency <= 4.5:
                reasons = [
                    f"adult spoke at {clock(first.start)} and left a {latency:.1f} s pause; "
                    f"the child vocalised at {clock(second.start)}"
                ]
                strength = 0.45 + (0.1 if latency <= 3.0 else 0.0)
                follow = next((t for t in conv.turns if t.first is second), None)
                if follow is None:
                    index = conv.blocks.index(second)
                    nxt = conv.blocks[index + 1] if index + 1 < len(conv.blocks) else None
                    if nxt is not None and nxt.label == ADULT:
                        reasons.append(f"the adult answered {nxt.start - second.end:.1f} s later")
                        strength += 0.1
                start, end = span(first.start, second.end)
                found.append(
                    Moment(
                        start,
                        end,
                        _clip(strength * (0.6 + 0.4 * confidence)),
                        ENCOURAGING,
                        "invitation",
                        tuple(reasons),
                        second.start,
                        {"pause_s": round(latency, 2), "voice_confidence": round(confidence, 2)},
                    )
                )
        if len(conv.turns) >= 2:
            replies = [max(0.0, t.latency_s) for t in conv.turns]
            who = _speaker(conv.initiator)
            reasons = [
                f"{len(conv.turns)} turns back and forth in {conv.end - conv.start:.0f} s, "
                f"started by the {who} at {clock(conv.start)}",
                f"replies came {min(replies):.1f}-{max(replies):.1f} s after each other",
            ]
            confidence = float(
                np.mean([min(t.first.confidence, t.second.confidence) for t in conv.turns])
            )
            # Sustained turn-taking is richer evidence than one reply: it starts higher.
            strength = min(0.9, 0.65 + 0.07 * (len(conv.turns) - 2)) + (
                0.05 if conv.initiator == CHILD else 0.0
            )
            start, end = span(conv.start, min(conv.end, conv.start + 30.0))
            sync_text, bonus = _sync_reason(sync, start, end)
            if sync_text:
                reasons.append(sync_text)
            found.append(
                Moment(
                    start,
                    end,
                    _clip(strength * (0.6 + 0.4 * confidence) + bonus),
                    DEVELOPING,
                    "turn_taking",
                    tuple(reasons),
                    conv.turns[0].second.start,
                    {
                        "turns": len(conv.turns),
                        "initiator": conv.initiator,
                        "voice_confidence": round(confidence, 2),
                    },
                )
            )

    child_talk = [s for s in speech if s.label == CHILD]
    adult_talk = [s for s in speech if s.label == ADULT]
    for b_start, b_end, _peak in child_bursts:
        # A burst that comes with the child's own voice is already a vocal initiative.
        if any(s.start - 0.7 <= b_start <= s.end for s in child_talk):
            continue
        reply = next((s for s in adult_talk if b_start + 0.3 <= s.start <= b_end + 2.5), None)
        moved = _burst_near(adult_bursts, b_start, -0.3, 2.5)
        if reply is None and moved is None:
            continue
        reasons = [f"the child moved at {clock(b_start)} (a burst of movement in the child's area)"]
        strength = 0.4
        responses = []
        if moved is not None:
            reasons.append(f"the adult moved {moved[0] - b_start:.1f} s later")
            strength += 0.1
            responses.append(moved[0])
        if reply is not None:
            reasons.append(f"the adult spoke {reply.start - b_start:.1f} s later")
            strength += 0.15
            responses.append(reply.start)
        response = min(responses)
        end_t = max(b_end, reply.end if reply else (moved[1] if moved else b_end))
        start, end = span(b_start, end_t)
        sync_text, bonus = _sync_reason(sync, start, end)
        if sync_text:
            reasons.append(sync_text)
        found.append(
            Moment(
                start,
                end,
                _clip(strength + bonus),
                ATTENTIVE,
                "movement_initiative",
                tuple(reasons),
                response,
                {"response_s": round(response - b_start, 2)},
            )
        )
    return found


def _clip(value: float) -> float:
    return round(float(np.clip(value, 0.0, 1.0)), 3)


def select(
    found: list[Moment], *, duration_s: float, per_minute: float = 1.0, gap_s: float = 1.0
) -> list[Moment]:
    """Choose about `per_minute` moments per minute, spread out and never overlapping.

    The film is cut into as many equal stretches as moments wanted; the clearest candidate
    of each stretch is taken first, then the remaining places go to the clearest candidates
    left, always keeping `gap_s` seconds between moments. Each principle already chosen
    counts 0.05 against further candidates of the same principle, so a practitioner sees
    the range of patterns the film offers rather than ten of one kind.

    Returns
    -------
    The chosen moments in time order.
    """
    require_positive("duration_s", duration_s)
    require_range("per_minute", per_minute, 0.01, 20.0)
    require_range("gap_s", gap_s, 0.0, 60.0)
    wanted = max(1, round(duration_s / 60.0 * per_minute))
    chosen: list[Moment] = []

    def free(m: Moment) -> bool:
        return all(m.end + gap_s <= c.start or m.start >= c.end + gap_s for c in chosen)

    def best(pool: list[Moment]) -> Moment | None:
        usable = [m for m in pool if free(m) and m not in chosen]
        if not usable:
            return None
        counts = {p: sum(1 for c in chosen if c.principle == p) for p in PRINCIPLES}
        return min(
            usable, key=lambda m: (-(m.strength - 0.05 * counts.get(m.principle, 0)), m.start)
        )

    stretch = duration_s / wanted
    for k in range(wanted):
        pick = best([m for m in found if k * stretch <= m.still_s < (k + 1) * stretch])
        if pick is not None:
            chosen.append(pick)
    while len(chosen) < wanted:
        pick = best(found)
        if pick is None:
            break
        chosen.append(pick)
    return sorted(chosen, key=lambda m: m.start)
