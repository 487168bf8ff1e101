"""The soundtrack in overlapping pieces, so no step ever holds a whole film's sound."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from attunely.analysis.arrays import F32, HOP_S, SAMPLE_RATE, require_positive
from attunely.errors import InvalidInput


@dataclass(frozen=True)
class AudioPiece:
    """A stretch of the soundtrack with some context on either side.

    Attributes
    ----------
    offset : int
        Index (in the whole soundtrack, 16 kHz) of `samples[0]`.
    samples : (n,) float32
    own_start, own_end : int
        The part this piece answers for (whole-soundtrack indices); the rest is context
        shared with the neighbouring pieces. Consecutive pieces' own parts tile the track.
    """

    offset: int
    samples: F32
    own_start: int
    own_end: int


class Track:
    """A growable float32 buffer for decoded sound."""

    def __init__(self, capacity: int) -> None:
        self._data = np.zeros(max(capacity, SAMPLE_RATE), dtype=np.float32)
        self.filled = 0

    def _reserve(self, size: int) -> None:
        if size > self._data.size:
            grown = np.zeros(max(size, int(self._data.size * 1.5)), dtype=np.float32)
            grown[: self.filled] = self._data[: self.filled]
            self._data = grown

    def skip_to(self, position: int) -> None:
        self._reserve(position)
        self.filled = position  # the buffer is zero-filled: the gap is silence

    def append(self, samples: npt.NDArray[Any]) -> None:
        self._reserve(self.filled + samples.size)
        self._data[self.filled : self.filled + samples.size] = samples
        self.filled += samples.size

    def samples(self) -> F32:
        # A view, not a copy, of the filled part.
        out: F32 = self._data[: self.filled]
        return out

    def drop_front(self, count: int) -> None:
        """Forget the first `count` samples (the rest moves to the front)."""
        count = min(count, self.filled)
        self._data[: self.filled - count] = self._data[count : self.filled]
        self.filled -= count


def pieces_of(
    blocks: Iterable[F32], *, piece_s: float = 300.0, overlap_s: float = 30.0
) -> Iterator[AudioPiece]:
    """Cut a stream of sound blocks into overlapping pieces (see AudioPiece).

    Parameters
    ----------
    blocks : iterable of (k,) float32
        Consecutive sound at 16 kHz.
    piece_s : float
        Length of each piece's own part (rounded to whole 10 ms frames).
    overlap_s : float
        Context on either side (rounded to whole 10 ms frames).

    Yields
    ------
    AudioPiece, in order; nothing for an empty stream. Memory stays at about
    piece_s + 2 * overlap_s seconds of sound however long the stream is.
    """
    require_positive("piece_s", piece_s)
    if not np.isfinite(overlap_s) or overlap_s < 0:
        raise InvalidInput("overlap_s must be 0 or more", field="overlap_s")
    hop = round(SAMPLE_RATE * HOP_S)
    own_len = max(1, round(piece_s * SAMPLE_RATE / hop)) * hop
    context = round(overlap_s * SAMPLE_RATE / hop) * hop
    buffer = Track(own_len + 2 * context + SAMPLE_RATE)
    base = 0  # whole-track index of buffer[0]
    own = 0  # start of the next piece's own part
    for block in blocks:
        buffer.append(block)
        while base + buffer.filled >= own + own_len + context:
            start = max(0, own - context)
            end = own + own_len + context
            piece = buffer.samples()[start - base : end - base].copy()
            yield AudioPiece(start, piece, own, own + own_len)
            own += own_len
            # Keep only the context the next piece needs before its own part.
            buffer.drop_front(own - context - base)
            base = own - context
    total = base + buffer.filled
    if total > own:
        start = max(0, own - context)
        yield AudioPiece(start, buffer.samples()[start - base :].copy(), own, total)
