"""Short-time spectra in bands, computed in chunks so memory stays flat in film length."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from attunely.analysis.arrays import F32, HOP_S, SAMPLE_RATE, gather_frames, require_positive

WINDOW = 400  # 25 ms at 16 kHz: long enough to resolve a child's harmonics
N_FFT = 512
HOP = round(SAMPLE_RATE * HOP_S)
FREQS = np.fft.rfftfreq(N_FFT, 1 / SAMPLE_RATE)


def band_edges(*, n_bands: int = 32, low_hz: float = 100.0, high_hz: float = 7000.0) -> F32:
    """(n_bands + 1,) band edges in Hz, evenly spaced on the mel scale like hearing."""
    require_positive("n_bands", n_bands)
    mel = np.linspace(
        2595 * np.log10(1 + low_hz / 700), 2595 * np.log10(1 + high_hz / 700), n_bands + 1
    )
    hz: npt.NDArray[np.float32] = (700 * (10 ** (mel / 2595) - 1)).astype(np.float32)
    return hz


def band_matrix(edges: F32) -> F32:
    """(n_bins, n_bands) 0/1 matrix that sums FFT bins into bands (one matmul per chunk)."""
    freqs = FREQS
    matrix = np.zeros((freqs.size, edges.size - 1), dtype=np.float32)
    for b in range(edges.size - 1):
        low, high = float(edges[b]), float(edges[b + 1])
        inside = (freqs >= low) & (freqs < high)
        if not inside.any():
            # A narrow low band may fall between bins: give it the nearest bin.
            distance = np.abs(freqs - (low + high) / 2)
            inside = distance == distance.min()
        matrix[inside, b] = 1.0
    return matrix


def power_chunks(samples: F32, *, chunk_frames: int = 6000) -> Iterator[tuple[int, F32]]:
    """Yield (first frame index, (m, 257) float32 power spectra) for consecutive chunks.

    Frame i is centred on sample i * 160 + 80, i.e. the middle of its 10 ms slot.
    """
    require_positive("chunk_frames", chunk_frames)
    n_frames = max(1, -(-samples.size // HOP))
    window = np.hanning(WINDOW).astype(np.float32)
    # Starting half a window early centres each frame on its 10 ms slot.
    lead = WINDOW // 2 - HOP // 2
    for begin in range(0, n_frames, chunk_frames):
        index = np.arange(begin, min(n_frames, begin + chunk_frames), dtype=np.int64)
        block = gather_frames(samples, index * HOP - lead, frame_len=WINDOW) * window
        spectrum = np.fft.rfft(block, N_FFT, axis=1)
        # |X|^2 in float32: spectra are only ever compared in ratios and logs.
        yield begin, (spectrum.real**2 + spectrum.imag**2).astype(np.float32)


def bins_per_band(edges: F32 | None = None) -> F32:
    """(n_bands,) float32: how many FFT bins each band sums (sets its noise statistics)."""
    edges = band_edges() if edges is None else edges
    counts: F32 = band_matrix(edges).sum(axis=0).astype(np.float32)
    return counts


def band_powers(samples: F32, *, edges: F32 | None = None) -> tuple[F32, F32]:
    """Power in mel bands for every 10 ms frame.

    Returns
    -------
    bands : (n_frames, n_bands) float32 power
    centres : (n_bands,) float32 band centre frequencies in Hz
    """
    edges = band_edges() if edges is None else edges
    matrix = band_matrix(edges)
    # Summing bins into bands per chunk keeps only 32 floats per frame for the whole film.
    bands = np.concatenate([power @ matrix for _, power in power_chunks(samples)], axis=0)
    return bands.astype(np.float32), ((edges[:-1] + edges[1:]) / 2).astype(np.float32)
