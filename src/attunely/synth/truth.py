"""Known truth for a scripted film: speech segments, LENA turns, interaction episodes.

Speech segments come from each *clean* clip's own envelope (before noise and reverberation),
with the same conventions the analysis uses: pauses under 0.3 s inside a speaker's talk are
bridged. Turns are counted here with a deliberately separate, plain implementation of LENA's
rule, so that the analysis' implementation is checked against it rather than against itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from attunely.analysis.arrays import HOP_S, SAMPLE_RATE, runs
from attunely.synth.script import ADULT, CHILD, Script

BRIDGE_S = 0.3
MIN_SEGMENT_S = 0.1
CONVERSATION_GAP_S = 5.0


@dataclass(frozen=True)
class TruthSegment:
    speaker: str
    start: float
    end: float


@dataclass(frozen=True)
class TruthTurn:
    """One counted turn: the response onset is its time stamp."""

    time: float
    initiator: str
    first_start: float
    first_end: float
    second_start: float
    second_end: float


def clip_segments(
    samples: npt.NDArray[Any], *, offset_s: float, speaker: str
) -> list[TruthSegment]:
    """Where a clean clip is audible: 10 ms frames above -40 dB of its peak, short gaps bridged."""
    hop = round(SAMPLE_RATE * HOP_S)
    n = samples.size // hop
    if n == 0:
        return []
    rms = np.sqrt(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1))
    active = rms > rms.max() * 10 ** (-40 / 20)
    found: list[TruthSegment] = []
    for begin, end in runs(active):
        start, stop = offset_s + begin * HOP_S, offset_s + end * HOP_S
        if found and start - found[-1].end < BRIDGE_S:
            found[-1] = TruthSegment(speaker, found[-1].start, stop)
        else:
            found.append(TruthSegment(speaker, start, stop))
    return [s for s in found if s.end - s.start >= MIN_SEGMENT_S]


def speech_segments(script: Script) -> list[TruthSegment]:
    """Every speaker's talk, merged across pauses under 0.3 s, sorted by start."""
    merged: list[TruthSegment] = []
    for speaker in (ADULT, CHILD):
        pieces = sorted(
            (
                seg
                for u in script.utterances
                if u.speaker == speaker
                for seg in clip_segments(u.samples, offset_s=u.start, speaker=speaker)
            ),
            key=lambda s: s.start,
        )
        for seg in pieces:
            if merged and merged[-1].speaker == speaker and seg.start - merged[-1].end < BRIDGE_S:
                merged[-1] = TruthSegment(speaker, merged[-1].start, max(seg.end, merged[-1].end))
            else:
                merged.append(seg)
    return sorted(merged, key=lambda s: (s.start, s.speaker))


def lena_turns(segments: list[TruthSegment]) -> list[TruthTurn]:
    """LENA's conversational turns: alternations under 5 s apart, counted in pairs.

    Same-speaker talk joins into one block; a pause of 5 s or more ends the conversation;
    blocks are then paired in order (C-A = 1, C-A-C = 1, C-A-C-A = 2).
    """
    conversations: list[list[list[float | str]]] = []
    last_end = -1e9
    for seg in sorted(segments, key=lambda s: s.start):
        if seg.start - last_end >= CONVERSATION_GAP_S or not conversations:
            conversations.append([])
        blocks = conversations[-1]
        if blocks and blocks[-1][0] == seg.speaker:
            blocks[-1][2] = max(float(blocks[-1][2]), seg.end)
        else:
            blocks.append([seg.speaker, seg.start, seg.end])
        last_end = max(last_end, seg.end)
    turns: list[TruthTurn] = []
    for blocks in conversations:
        for k in range(0, len(blocks) - 1, 2):
            a, b = blocks[k], blocks[k + 1]
            turns.append(
                TruthTurn(
                    time=float(b[1]),
                    initiator=str(a[0]),
                    first_start=float(a[1]),
                    first_end=float(a[2]),
                    second_start=float(b[1]),
                    second_end=float(b[2]),
                )
            )
    return turns
