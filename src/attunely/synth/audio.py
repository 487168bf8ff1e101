"""The soundtrack: placed voices, optional room reverberation, background noise at a set SNR."""

from __future__ import annotations

import subprocess

import numpy as np

from attunely.analysis.arrays import F32, SAMPLE_RATE
from attunely.synth.script import Script
from attunely.synth.truth import TruthSegment
from attunely.synth.voices import SOX, _require_tools


def place_voices(script: Script) -> F32:
    """Sum every utterance into one (n,) float32 track of script.duration_s at 16 kHz."""
    track = np.zeros(round(script.duration_s * SAMPLE_RATE), dtype=np.float32)
    for u in script.utterances:
        begin = round(u.start * SAMPLE_RATE)
        piece = u.samples[: max(0, track.size - begin)]
        # Adding (not overwriting) keeps any overlap between speakers audible.
        track[begin : begin + piece.size] += piece
    return track


def reverberate(track: F32, *, reverberance: int = 50, room_scale: int = 70) -> F32:
    """Pass the dry track through sox's freeverb-style `reverb` (a furnished living room)."""
    _require_tools()
    # A fixed argument list of our own (no shell, no outside input): S603 does not apply.
    raw = subprocess.run(  # noqa: S603
        [
            *(SOX, "-t", "f32", "-c", "1", "-r", str(SAMPLE_RATE), "-", "-t", "f32", "-"),
            *("reverb", str(int(reverberance)), "50", str(int(room_scale))),
        ],
        input=track.astype(np.float32).tobytes(),
        capture_output=True,
        check=True,
        timeout=120,
    ).stdout
    wet = np.frombuffer(raw, dtype=np.float32)
    # sox appends the reverb tail; keep the film's length.
    out = np.zeros_like(track)
    out[: min(track.size, wet.size)] = wet[: track.size]
    return out


def pink_noise(rng: np.random.Generator, n: int) -> F32:
    """(n,) float32 noise with a 1/f power spectrum (a room's hum, traffic, a fan) at unit RMS."""
    spectrum = rng.normal(size=n // 2 + 1) + 1j * rng.normal(size=n // 2 + 1)
    freqs = np.fft.rfftfreq(n, 1 / SAMPLE_RATE)
    # Amplitude 1/sqrt(f) gives power 1/f; below 20 Hz is flattened to avoid a DC drift.
    spectrum /= np.sqrt(np.maximum(freqs, 20.0))
    noise = np.fft.irfft(spectrum, n)
    unit: F32 = (noise / np.sqrt(np.mean(noise**2))).astype(np.float32)
    return unit


def clatter(rng: np.random.Generator, n: int, *, per_minute: float = 3.0) -> F32:
    """(n,) float32 toy clatter: short decaying noise bursts (blocks dropped, a cup set down)."""
    out = np.zeros(n, dtype=np.float32)
    count = int(rng.poisson(per_minute * n / SAMPLE_RATE / 60))
    for _ in range(count):
        length = int(rng.uniform(0.05, 0.25) * SAMPLE_RATE)
        begin = int(rng.integers(0, max(1, n - length)))
        decay = np.exp(-np.arange(length) / (length / 5))
        out[begin : begin + length] += (rng.normal(size=length) * decay).astype(np.float32)
    return out


def speech_power(track: F32, segments: list[TruthSegment]) -> float:
    """Mean power of the track over the truth speech segments (the SNR's numerator)."""
    mask = np.zeros(track.size, dtype=bool)
    for seg in segments:
        mask[round(seg.start * SAMPLE_RATE) : round(seg.end * SAMPLE_RATE)] = True
    if not mask.any():
        return 0.0
    return float(np.mean(track[mask].astype(np.float64) ** 2))


def add_noise(
    track: F32,
    *,
    rng: np.random.Generator,
    snr_db: float | None,
    segments: list[TruthSegment],
) -> F32:
    """Mix pink noise plus occasional clatter so that active-speech power / noise power = SNR.

    With snr_db None the track gets only a -60 dB noise floor (a quiet, clean recording).
    """
    n = track.size
    noise = pink_noise(rng, n) + 2.0 * clatter(rng, n)
    noise_power = float(np.mean(noise.astype(np.float64) ** 2)) or 1.0
    power = speech_power(track, segments) or 1e-4
    level_db = 60.0 if snr_db is None else snr_db
    gain = np.sqrt(power / noise_power / 10 ** (level_db / 10))
    mixed = track + gain * noise
    # Keep headroom like a recorder's limiter rather than clipping at +-1.
    peak = float(np.max(np.abs(mixed))) if n else 0.0
    if peak > 0.95:
        mixed *= 0.95 / peak
    out: F32 = mixed.astype(np.float32)
    return out
