"""The sound pass a piece at a time, so memory stays flat however long the film is.

The soundtrack is never held whole: it is decoded in pieces of five minutes with thirty
seconds of context on either side (`media.AudioPiece`). Speech activity (with its pitch) and
the spectral envelope are computed per piece, and each piece's own five minutes are written
into film-long per-frame arrays: about 70 bytes per 10 ms frame (0.4 MiB per minute of film)
instead of 3.7 MiB per minute of raw sound plus its features. The context is long enough for
everything that looks beyond a frame (noise floor blocks, smoothing, hysteresis, bridging,
Silero's state within a stretch of sound) to see the same sound near a piece's edge as in
the middle; films up to one piece long are analysed exactly as a whole.

The voice-type step then adapts its models to the whole film from the per-frame features.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from attunely.analysis.activity import Activity, detect_speech
from attunely.analysis.arrays import F32, HOP_S, SAMPLE_RATE
from attunely.analysis.pitch import PitchTrack
from attunely.analysis.segments import SPEECH, mask_to_segments
from attunely.analysis.soundtrack import AudioPiece
from attunely.analysis.voice_type import N_CEPSTRA, FrameFeatures, cepstra_of, features_from

HOP = round(SAMPLE_RATE * HOP_S)


@dataclass(frozen=True)
class SoundPass:
    """What the piecewise sound pass found for the whole film.

    Attributes
    ----------
    activity : Activity
        Speech activity and pitch for every 10 ms frame of the film.
    features : FrameFeatures
        Pitch and spectral envelope per frame, for the voice-type step.
    n_samples : int
        Length of the soundtrack in 16 kHz samples.
    """

    activity: Activity
    features: FrameFeatures
    n_samples: int


class _Column:
    """A growable per-frame array (rows may have a trailing shape)."""

    def __init__(self, dtype: npt.DTypeLike, tail: tuple[int, ...] = (), fill: float = 0) -> None:
        self.data = np.full((6000, *tail), fill, dtype=dtype)
        self.fill = fill

    def put(self, start: int, values: npt.NDArray[Any]) -> None:
        end = start + values.shape[0]
        if end > self.data.shape[0]:
            grown = np.full(
                (max(end, int(self.data.shape[0] * 1.5)), *self.data.shape[1:]),
                self.fill,
                dtype=self.data.dtype,
            )
            grown[: self.data.shape[0]] = self.data
            self.data = grown
        self.data[start:end] = values

    def take(self, n: int) -> npt.NDArray[Any]:
        return self.data[:n].copy()


def sound_pass(
    pieces: Iterable[AudioPiece],
    *,
    method: str,
    progress: Callable[[float], None] | None = None,
    expected_samples: int = 0,
) -> SoundPass | None:
    """Speech activity, pitch and envelope of a soundtrack given as overlapping pieces.

    Parameters
    ----------
    pieces : AudioPiece in order (e.g. MediaSource.audio_pieces)
    method : str
        Speech detector, as for activity.detect_speech.
    progress : callable(fraction 0-1), optional
    expected_samples : int
        The soundtrack's expected length, for progress only.

    Returns
    -------
    SoundPass, or None when there were no pieces (no decodable sound).
    """
    score = _Column(np.float32)
    mask = _Column(np.bool_)
    f0 = _Column(np.float32, fill=np.nan)
    aperiodicity = _Column(np.float32, fill=1.0)
    cepstra = _Column(np.float32, (N_CEPSTRA,))
    total = 0
    for piece in pieces:
        activity = detect_speech(piece.samples, method=method)
        envelope = cepstra_of(piece.samples)
        # Frames this piece answers for, in its own and in the film's numbering.
        first = (piece.own_start - piece.offset) // HOP
        last = min(activity.mask.size, -(-(piece.own_end - piece.offset) // HOP))
        at = piece.offset // HOP + first
        score.put(at, activity.score[first:last])
        mask.put(at, activity.mask[first:last])
        f0.put(at, activity.pitch.f0_hz[first:last])
        aperiodicity.put(at, activity.pitch.aperiodicity[first:last])
        cepstra.put(at, envelope[first:last])
        total = piece.own_end
        if progress is not None and expected_samples > 0:
            progress(min(1.0, total / expected_samples))
    if total == 0:
        return None
    n = max(1, -(-total // HOP))
    speech: npt.NDArray[np.bool_] = mask.take(n)
    pitch = PitchTrack(f0.take(n), aperiodicity.take(n))
    scores: F32 = score.take(n)
    activity = Activity(scores, speech, mask_to_segments(speech, label=SPEECH), pitch, method)
    return SoundPass(activity, features_from(cepstra=cepstra.take(n), activity=activity), total)
