"""Synthetic signals with known answers for the analysis unit tests."""

from __future__ import annotations

import numpy as np

SR = 16_000


def tone(freq_hz: float, seconds: float, *, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def voice(
    f0_hz: float,
    seconds: float,
    *,
    formant_hz: float = 800.0,
    amplitude: float = 0.3,
    seed: int = 0,
) -> np.ndarray:
    """A vowel-like buzz: harmonics of f0 shaped by one broad formant, with slight vibrato."""
    rng = np.random.default_rng(seed)
    n = round(seconds * SR)
    t = np.arange(n) / SR
    # 5 Hz vibrato of +-2 % keeps it from being a perfectly stationary tone.
    phase = 2 * np.pi * np.cumsum(f0_hz * (1 + 0.02 * np.sin(2 * np.pi * 5 * t))) / SR
    out = np.zeros(n)
    for k in range(1, int(4000 // f0_hz) + 1):
        gain = 1.0 / (1.0 + ((k * f0_hz - formant_hz) / 400.0) ** 2)
        out += gain * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
    # Syllable-like loudness: 4 Hz amplitude modulation that never quite closes.
    out *= 0.6 + 0.4 * np.sin(2 * np.pi * 4 * t) ** 2
    return (amplitude * out / np.max(np.abs(out))).astype(np.float32)


def place(
    total_s: float, pieces: list[tuple[float, np.ndarray]], *, noise: float = 0.0, seed: int = 1
) -> np.ndarray:
    """Lay pieces at their start times on a track, with optional white noise of that RMS."""
    track = np.zeros(round(total_s * SR), dtype=np.float32)
    for start, piece in pieces:
        i = round(start * SR)
        track[i : i + piece.size] += piece[: track.size - i]
    if noise:
        track += np.random.default_rng(seed).normal(0, noise, track.size).astype(np.float32)
    return track
