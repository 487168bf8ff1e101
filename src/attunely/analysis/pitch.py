"""Fundamental frequency (pitch) per 10 ms frame with the YIN method (de Cheveigné & Kawahara).

Pitch is the strongest single cue that separates a young child's voice (roughly 250-600 Hz)
from an adult's (roughly 80-300 Hz), and the aperiodicity YIN reports along the way tells
voiced speech apart from noise, clatter and breath.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attunely.analysis.arrays import (
    F32,
    HOP_S,
    SAMPLE_RATE,
    Bool,
    gather_frames,
    require_mono,
    require_positive,
    require_range,
)
from attunely.errors import InvalidInput


@dataclass(frozen=True)
class PitchTrack:
    """Pitch per 10 ms frame.

    Attributes
    ----------
    f0_hz : (n_frames,) float32
        Estimated fundamental frequency in Hz; NaN where the frame is not voiced.
    aperiodicity : (n_frames,) float32
        YIN's cumulative-mean-normalised difference at the chosen period, 0 (perfectly
        periodic) to ~1 (noise). Frames not analysed hold 1.
    """

    f0_hz: F32
    aperiodicity: F32

    @property
    def voiced(self) -> Bool:
        """(n_frames,) bool: frames with a pitch estimate."""
        return np.isfinite(self.f0_hz)


def yin(
    samples: F32,
    *,
    sample_rate: int = SAMPLE_RATE,
    fmin_hz: float = 75.0,
    fmax_hz: float = 800.0,
    threshold: float = 0.2,
    window_s: float = 0.025,
    frames: Bool | None = None,
    chunk_frames: int = 1024,
) -> PitchTrack:
    """Estimate pitch every 10 ms.

    Parameters
    ----------
    samples : (n,) float32
        Mono audio in [-1, 1] at `sample_rate`.
    sample_rate : int
        Samples per second.
    fmin_hz, fmax_hz : float
        Search range in Hz.
    threshold : float
        YIN absolute threshold on the normalised difference (lower = stricter voicing).
    window_s : float
        Integration window in seconds.
    frames : (n_frames,) bool, optional
        Only analyse these 10 ms frames (e.g. those with speech activity); others are unvoiced.
    chunk_frames : int
        Frames per FFT batch; bounds memory at about chunk_frames * 8 kB.

    Returns
    -------
    PitchTrack with n_frames = ceil(n / (sample_rate * 0.01)).
    """
    x = require_mono("samples", samples)
    require_positive("sample_rate", sample_rate)
    require_positive("fmin_hz", fmin_hz)
    if fmax_hz <= fmin_hz or fmax_hz >= sample_rate / 4:
        raise InvalidInput("fmax_hz must be above fmin_hz and below a quarter of the rate")
    require_range("threshold", threshold, 0.01, 1.0)
    require_positive("window_s", window_s)
    require_positive("chunk_frames", chunk_frames)

    hop = round(sample_rate * HOP_S)
    win = round(sample_rate * window_s)
    tau_min = max(2, int(sample_rate / fmax_hz))
    tau_max = int(np.ceil(sample_rate / fmin_hz))
    frame_len = win + tau_max + 1
    n_frames = max(1, -(-x.size // hop))

    f0 = np.full(n_frames, np.nan, dtype=np.float32)
    aper = np.ones(n_frames, dtype=np.float32)
    if x.size == 0:
        return PitchTrack(f0, aper)
    if frames is not None:
        wanted = np.asarray(frames, dtype=bool)
        if wanted.shape != (n_frames,):
            raise InvalidInput(f"frames must have shape ({n_frames},), not {wanted.shape}")
        todo = np.flatnonzero(wanted)
    else:
        todo = np.arange(n_frames)
    if todo.size == 0:
        return PitchTrack(f0, aper)

    n_fft = 1 << int(np.ceil(np.log2(frame_len + win)))
    taus = np.arange(tau_max + 1)

    for begin in range(0, todo.size, chunk_frames):
        idx = todo[begin : begin + chunk_frames]
        # Start half a window early so frame i is centred on its own 10 ms slot.
        block = gather_frames(x, idx * hop - win // 2, frame_len=frame_len).astype(np.float64)
        # Remove each frame's DC so a slow offset does not look like a long period.
        block -= block.mean(axis=1, keepdims=True)
        # Cross-correlation of the first window with every lag, via one FFT pair per frame.
        spec_all = np.fft.rfft(block, n_fft, axis=1)
        spec_head = np.fft.rfft(block[:, :win], n_fft, axis=1)
        corr = np.fft.irfft(np.conj(spec_head) * spec_all, n_fft, axis=1)[:, : tau_max + 1]
        # Energy of each lagged window from a running sum of squares (O(1) per lag).
        csum = np.concatenate((np.zeros((block.shape[0], 1)), np.cumsum(block**2, axis=1)), axis=1)
        energy_lag = csum[:, taus + win] - csum[:, taus]
        diff = energy_lag[:, :1] + energy_lag - 2.0 * corr
        diff[:, 0] = 0.0
        # Cumulative-mean normalisation makes the threshold independent of loudness.
        running = np.cumsum(diff[:, 1:], axis=1)
        cmnd = np.ones_like(diff)
        cmnd[:, 1:] = diff[:, 1:] * taus[1:] / np.maximum(running, 1e-12)
        search = cmnd[:, tau_min:]
        # The first dip under the threshold that is a local minimum is the period (avoids
        # octave errors at multiples); with none, fall back to the global minimum.
        below = search < threshold
        is_min = np.ones_like(below)
        is_min[:, :-1] = search[:, :-1] <= search[:, 1:]
        candidates = below & is_min
        has = candidates.any(axis=1)
        first = np.argmax(candidates, axis=1)
        best = np.where(has, first, np.argmin(search, axis=1))
        rows = np.arange(search.shape[0])
        value = search[rows, best]
        # Parabolic interpolation around the minimum for sub-sample period accuracy.
        left = search[rows, np.maximum(best - 1, 0)]
        right = search[rows, np.minimum(best + 1, search.shape[1] - 1)]
        denom = left - 2 * value + right
        safe = np.abs(denom) > 1e-12
        shift = np.divide(0.5 * (left - right), denom, out=np.zeros_like(denom), where=safe)
        shift = np.clip(shift, -1.0, 1.0)
        period = best + tau_min + shift
        energy = energy_lag[:, 0]
        # Digital silence and near-silence have no meaningful period.
        voiced = has & (energy > 1e-7 * win)
        f0[idx] = np.where(voiced, sample_rate / period, np.nan).astype(np.float32)
        aper[idx] = np.clip(value, 0.0, 1.0).astype(np.float32)
    return PitchTrack(f0, aper)
