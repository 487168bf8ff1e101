"""Conversational turns by LENA's rule: adult-child alternations under 5 s apart, in pairs.

A turn is a child vocalisation and an adult one (either first) less than 5 s apart with no
other speaker in between. Talk by the same speaker joins into one block; a pause of 5 s or
more, or another speaker, ends the conversation. Blocks are then counted in pairs, as LENA
counts them: C-A = 1, C-A-C = 1, C-A-C-A = 2.

These counts are *proposals*: LENA's own turn count correlates only about r = .36 with human
counts in independent studies, and this rule inherits the same accidental contiguity.
"""

from __future__ import annotations

from dataclasses import dataclass

from attunely.analysis.arrays import require_positive
from attunely.analysis.segments import ADULT, CHILD, Segment

SPEAKERS = (ADULT, CHILD)


@dataclass(frozen=True)
class Block:
    """One speaker's uninterrupted talk inside a conversation (seconds)."""

    label: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True)
class Turn:
    """A counted turn: `first` then `second`, by different speakers.

    Attributes
    ----------
    time : float
        When the reply began (second.start), in seconds.
    initiator : str
        Who spoke first in this pair: ADULT or CHILD.
    latency_s : float
        second.start - first.end; negative when the reply overlapped.
    conversation : int
        Index of the conversation this turn belongs to.
    """

    first: Block
    second: Block
    conversation: int

    @property
    def time(self) -> float:
        return self.second.start

    @property
    def initiator(self) -> str:
        return self.first.label

    @property
    def latency_s(self) -> float:
        return self.second.start - self.first.end


@dataclass(frozen=True)
class Conversation:
    """A run of alternating blocks with no pause of `max_gap_s` or more."""

    index: int
    blocks: tuple[Block, ...]
    turns: tuple[Turn, ...]

    @property
    def start(self) -> float:
        return self.blocks[0].start

    @property
    def end(self) -> float:
        return max(b.end for b in self.blocks)

    @property
    def initiator(self) -> str:
        return self.blocks[0].label


def conversations(segments: list[Segment], *, max_gap_s: float = 5.0) -> list[Conversation]:
    """Group labelled speech into conversations and count LENA turns.

    Parameters
    ----------
    segments : list[Segment]
        Speech labelled ADULT, CHILD or OTHER (other labels end a conversation).
    max_gap_s : float
        A pause of this many seconds or more ends a conversation (LENA: 5 s).

    Returns
    -------
    Every conversation with at least two blocks (i.e. at least one turn), in time order.
    """
    require_positive("max_gap_s", max_gap_s)
    groups: list[list[Block]] = []
    current: list[Block] = []
    last_end = float("-inf")
    for seg in sorted(segments, key=lambda s: (s.start, s.end)):
        if seg.label not in SPEAKERS:
            # Another voice between the two breaks the chain.
            groups.append(current)
            current, last_end = [], float("-inf")
            continue
        if seg.start - last_end >= max_gap_s:
            groups.append(current)
            current = []
        if current and current[-1].label == seg.label:
            prev = current[-1]
            current[-1] = Block(
                prev.label,
                prev.start,
                max(prev.end, seg.end),
                min(prev.confidence, seg.confidence),
            )
        else:
            current.append(Block(seg.label, seg.start, seg.end, seg.confidence))
        last_end = max(last_end, seg.end)
    groups.append(current)

    found: list[Conversation] = []
    for blocks in groups:
        if len(blocks) < 2:
            continue
        index = len(found)
        turns = tuple(Turn(blocks[k], blocks[k + 1], index) for k in range(0, len(blocks) - 1, 2))
        found.append(Conversation(index, tuple(blocks), turns))
    return found


def all_turns(found: list[Conversation]) -> list[Turn]:
    """Flatten conversations into their turns, in time order."""
    return [turn for conv in found for turn in conv.turns]
