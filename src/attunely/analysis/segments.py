"""Speech segments and conversions between segment lists and 10 ms frame masks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attunely.analysis.arrays import HOP_S, Bool, require_positive, runs
from attunely.errors import InvalidInput

ADULT = "ADULT"
CHILD = "CHILD"
SPEECH = "SPEECH"
OTHER = "OTHER"
LABELS = (ADULT, CHILD, SPEECH, OTHER)


@dataclass(frozen=True)
class Segment:
    """A stretch of one speaker's talk.

    Attributes
    ----------
    start, end : float
        Seconds from the start of the film; end > start.
    label : str
        ADULT, CHILD, SPEECH (speaker not yet known) or OTHER (any other speaker).
    confidence : float
        0-1: how clearly the signal supports the label (not a judgement of the speaker).
    """

    start: float
    end: float
    label: str
    confidence: float = 1.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.start) and np.isfinite(self.end)) or self.end <= self.start:
            raise InvalidInput(f"a segment needs end > start, got {self.start}..{self.end}")
        if self.label not in LABELS:
            raise InvalidInput(f"unknown segment label {self.label!r}; use one of {LABELS}")

    @property
    def duration(self) -> float:
        return self.end - self.start


def mask_to_segments(
    mask: Bool, *, label: str, hop_s: float = HOP_S, bridge_s: float = 0.0, min_s: float = 0.0
) -> list[Segment]:
    """Turn a per-frame activity mask into segments.

    Parameters
    ----------
    mask : (n_frames,) bool
        True where the label is active; frame i spans [i * hop_s, (i + 1) * hop_s).
    label : str
    hop_s : float
        Frame hop in seconds.
    bridge_s : float
        Join segments separated by a pause shorter than this (pauses between words).
    min_s : float
        Drop segments shorter than this after bridging (clicks, breaths).
    """
    require_positive("hop_s", hop_s)
    found: list[list[float]] = []
    for begin, end in runs(np.asarray(mask, dtype=bool)):
        start, stop = begin * hop_s, end * hop_s
        if found and start - found[-1][1] < bridge_s:
            found[-1][1] = stop
        else:
            found.append([start, stop])
    return [Segment(s, e, label) for s, e in found if e - s >= min_s and e > s]


def segments_to_mask(
    segments: list[Segment], *, n_frames: int, labels: tuple[str, ...], hop_s: float = HOP_S
) -> Bool:
    """(n_frames,) bool: frames covered by any segment whose label is in `labels`."""
    mask = np.zeros(n_frames, dtype=bool)
    for seg in segments:
        if seg.label in labels:
            mask[max(0, round(seg.start / hop_s)) : max(0, round(seg.end / hop_s))] = True
    return mask
