"""Small shared helpers: array type aliases, parameter checks and frame slicing."""

from __future__ import annotations

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


def require_mono(name: str, samples: npt.NDArray[np.floating], *, min_len: int = 0) -> F32:
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


def frame_signal(samples: F32, *, frame_len: int, hop: int) -> F32:
    """Cut a signal into overlapping frames without copying.

    Parameters
    ----------
    samples : (n,) float32
    frame_len, hop : int
        Frame length and hop in samples.

    Returns
    -------
    (n_frames, frame_len) float32 read-only view; the tail is zero-padded so that
    n_frames = ceil(n / hop) and frame i starts at sample i * hop.
    """
    n_frames = max(1, -(-samples.size // hop))
    # Pad so the last frame is complete; the copy is one pass over the signal.
    padded = np.zeros(n_frames * hop + frame_len, dtype=np.float32)
    padded[: samples.size] = samples
    # A strided view gives every frame without materialising n_frames * frame_len floats.
    view = np.lib.stride_tricks.sliding_window_view(padded, frame_len)[::hop]
    return view[:n_frames]


def runs(mask: Bool) -> list[tuple[int, int]]:
    """Return [start, end) index pairs of the True runs in a boolean array."""
    if mask.size == 0:
        return []
    # Differencing a zero-padded int copy marks run starts with +1 and ends with -1.
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]
