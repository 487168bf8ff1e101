"""Small shared helpers: array type aliases, parameter checks and frame slicing."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from attunely.errors import InvalidInput

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]

#: The one analysis rate: every audio function expects 16 kHz mono float32 in [-1, 1].
SAMPLE_RATE = 16_000
#: Frame hop for every per-frame audio signal (10 ms), so frame i covers [i*0.01, (i+1)*0.01) s.
HOP_S = 0.01


def require_positive(name: str, value: float) -> None:
    """Raise InvalidInput unless `value` is a finite number above zero."""
    if not np.isfinite(value) or value <= 0:
        raise InvalidInput(f"{name} must be a positive number, not {value!r}", field=name)


def require_range(name: str, value: float, low: float, high: float) -> None:
    """Raise InvalidInput unless low <= value <= high."""
    if not np.isfinite(value) or not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}, not {value!r}", field=name)


def require_mono(name: str, samples: npt.NDArray[np.floating[Any]], *, min_len: int = 0) -> F32:
    """Return `samples` as a contiguous 1-D float32 array, or raise InvalidInput."""
    array = np.asarray(samples)
    if array.ndim != 1:
        raise InvalidInput(f"{name} must be a 1-D array of samples, not shape {array.shape}")
    if array.size < min_len:
        raise InvalidInput(f"{name} needs at least {min_len} samples, got {array.size}")
    if not np.issubdtype(array.dtype, np.floating):
        raise InvalidInput(f"{name} must hold floating-point samples, not {array.dtype}")
    # float32 halves memory against float64 and is all the precision audio needs.
    return np.ascontiguousarray(array, dtype=np.float32)


def gather_frames(samples: F32, starts: I64, *, frame_len: int) -> F32:
    """Copy out frames of `frame_len` samples starting at the given offsets.

    Parameters
    ----------
    samples : (n,) float32
    starts : (m,) int64
        First sample of each frame; frames may reach before 0 or past n (zeros there).
    frame_len : int

    Returns
    -------
    (m, frame_len) float32. Callers take frames a chunk at a time, so memory stays at
    m * frame_len floats however long the film is.
    """
    # One fancy-indexing gather; indices outside the signal read as silence.
    index = starts[:, None] + np.arange(frame_len)[None, :]
    inside = (index >= 0) & (index < samples.size)
    frames = np.zeros(index.shape, dtype=np.float32)
    frames[inside] = samples[index[inside]]
    return frames


def runs(mask: Bool) -> list[tuple[int, int]]:
    """Return [start, end) index pairs of the True runs in a boolean array."""
    if mask.size == 0:
        return []
    # Differencing a zero-padded int copy marks run starts with +1 and ends with -1.
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]
