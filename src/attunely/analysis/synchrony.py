"""Movement synchrony: windowed lagged cross-correlation tested against shuffled surrogates.

Following Motion Energy Analysis (Ramseyer & Tschacher; rMEA): the two people's motion series
are cut into overlapping windows; inside each window the Pearson correlation is computed at
every lag up to +-max_lag_s; the peak correlation is Fisher z-transformed. To tell real
synchrony from what two unrelated movers produce by chance, the same statistic is computed for
"pseudo-pairs" made by shuffling one series' segments in time. A window is *above chance*
when its peak z exceeds the 95th percentile of the surrogate windows' peak z.

A positive lag means the second series (the adult) follows the first (the child).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from attunely.analysis.arrays import F32, F64, require_positive, require_range
from attunely.errors import InvalidInput


@dataclass(frozen=True)
class SynchronyWindow:
    """One analysis window.

    Attributes
    ----------
    start, end : float
        Seconds.
    peak_r : float
        Highest correlation over lags.
    lag_s : float
        Lag of that peak; positive = the adult follows the child.
    z : float
        Fisher z of peak_r.
    above_chance : bool
        z exceeds the surrogates' 95th percentile.
    """

    start: float
    end: float
    peak_r: float
    lag_s: float
    z: float
    above_chance: bool


@dataclass(frozen=True)
class Synchrony:
    """Synchrony over a whole film.

    Attributes
    ----------
    windows : list[SynchronyWindow]
    mean_z : float
        Mean peak z over windows (the film's synchrony index).
    surrogate_mean_z : float
        Mean over surrogates of their mean peak z.
    threshold_z : float
        95th percentile of surrogate window peak z.
    p_value : float
        Share of surrogates whose mean z reaches the real one ((k+1)/(n+1)).
    """

    windows: list[SynchronyWindow]
    mean_z: float
    surrogate_mean_z: float
    threshold_z: float
    p_value: float
    window_s: float
    max_lag_s: float
    surrogates: int


def _peak_z(a: F32, b: F32, *, starts: npt.NDArray[Any], win: int, max_lag: int) -> tuple[F64, F64]:
    """Peak lagged correlation per window: returns (peak r (n_win,), lag in samples (n_win,))."""
    lags = np.arange(-max_lag, max_lag + 1)
    # Per-window statistics of a: centre it so b's mean drops out of the covariance.
    a_view = np.lib.stride_tricks.sliding_window_view(a, win)[starts]
    a_c = a_view - a_view.mean(axis=1, keepdims=True)
    a_sd = np.sqrt((a_c**2).sum(axis=1))
    # Running sums of b give every lagged window's spread without a loop.
    c1 = np.concatenate(([0.0], np.cumsum(b, dtype=np.float64)))
    c2 = np.concatenate(([0.0], np.cumsum(b.astype(np.float64) ** 2)))
    b_view = np.lib.stride_tricks.sliding_window_view(b, win)
    peak_r = np.empty(starts.size)
    peak_lag = np.empty(starts.size)
    chunk = 64
    for c0 in range(0, starts.size, chunk):
        s = starts[c0 : c0 + chunk]
        idx = s[:, None] + lags[None, :]  # (k, n_lags) start of each lagged b window
        # Batched dot products: (k, W) against (k, n_lags, W).
        cross = np.einsum("kw,klw->kl", a_c[c0 : c0 + chunk], b_view[idx], optimize=True)
        sums = c1[idx + win] - c1[idx]
        sq = c2[idx + win] - c2[idx]
        b_sd = np.sqrt(np.maximum(sq - sums**2 / win, 0.0))
        denom = a_sd[c0 : c0 + chunk, None] * b_sd
        r = np.divide(cross, denom, out=np.zeros_like(cross), where=denom > 1e-12)
        best = np.argmax(r, axis=1)
        peak_r[c0 : c0 + chunk] = r[np.arange(s.size), best]
        peak_lag[c0 : c0 + chunk] = lags[best]
    return peak_r, peak_lag


def _shuffle_segments(series: F32, *, segment: int, rng: np.random.Generator) -> F32:
    """Cut into segments and put them back in a random order that moves every segment."""
    n_seg = series.size // segment
    if n_seg < 2:
        return np.roll(series, series.size // 2)
    order = rng.permutation(n_seg)
    # A derangement: a segment left in place would keep its real pairing.
    while np.any(order == np.arange(n_seg)):
        order = rng.permutation(n_seg)
    pieces = series[: n_seg * segment].reshape(n_seg, segment)[order].reshape(-1)
    return np.concatenate((pieces, series[n_seg * segment :]))


def synchrony(
    child: F32,
    adult: F32,
    *,
    rate_hz: float,
    window_s: float = 30.0,
    step_s: float = 5.0,
    max_lag_s: float = 5.0,
    surrogates: int = 200,
    smooth_s: float = 0.5,
    seed: int = 0,
) -> Synchrony | None:
    """Windowed lagged cross-correlation between two motion series, with surrogates.

    Parameters
    ----------
    child, adult : (n,) float32
        Motion energy on the same regular grid.
    rate_hz : float
        Samples per second of both series.
    window_s, step_s, max_lag_s : float
        Window length, hop between windows, and the largest lag tested, in seconds. Windows
        shrink (down to 10 s) for short films.
    surrogates : int
        Number of shuffled pseudo-pairs.
    smooth_s : float
        Moving-average length applied first (rMEA smooths too: frame jitter is not movement).
    seed : int
        For the shuffles, so results repeat.

    Returns
    -------
    Synchrony, or None when the film is too short (under 10 s plus twice the lag) or one
    person never moves.
    """
    require_positive("rate_hz", rate_hz)
    require_positive("window_s", window_s)
    require_positive("step_s", step_s)
    require_range("max_lag_s", max_lag_s, 0.0, 60.0)
    require_range("surrogates", surrogates, 19, 10_000)
    a = np.asarray(child, dtype=np.float32)
    b = np.asarray(adult, dtype=np.float32)
    if a.shape != b.shape or a.ndim != 1:
        raise InvalidInput("the two motion series must be 1-D and the same length")
    max_lag = round(max_lag_s * rate_hz)
    win = min(round(window_s * rate_hz), a.size - 2 * max_lag)
    if win < round(10 * rate_hz) or float(a.std()) == 0 or float(b.std()) == 0:
        return None
    width = max(1, round(smooth_s * rate_hz))
    kernel = np.ones(width, dtype=np.float32) / width
    a = np.convolve(a, kernel, "same").astype(np.float32)
    b = np.convolve(b, kernel, "same").astype(np.float32)
    step = max(1, round(step_s * rate_hz))
    starts = np.arange(max_lag, a.size - win - max_lag + 1, step)
    peak_r, peak_lag = _peak_z(a, b, starts=starts, win=win, max_lag=max_lag)
    # Fisher z makes correlations averageable; clip keeps arctanh finite.
    z = np.arctanh(np.clip(peak_r, -0.999, 0.999))

    rng = np.random.default_rng(seed)
    surrogate_means = np.empty(surrogates)
    surrogate_z: list[F64] = []
    for k in range(surrogates):
        shuffled = _shuffle_segments(b, segment=win, rng=rng)
        r_k, _ = _peak_z(a, shuffled, starts=starts, win=win, max_lag=max_lag)
        z_k = np.arctanh(np.clip(r_k, -0.999, 0.999))
        surrogate_means[k] = z_k.mean()
        surrogate_z.append(z_k)
    threshold = float(np.quantile(np.concatenate(surrogate_z), 0.95))
    mean_z = float(z.mean())
    p_value = float((1 + np.count_nonzero(surrogate_means >= mean_z)) / (1 + surrogates))
    windows = [
        SynchronyWindow(
            start=float(s / rate_hz),
            end=float((s + win) / rate_hz),
            peak_r=float(r),
            lag_s=float(lag / rate_hz),
            z=float(zz),
            above_chance=bool(zz > threshold),
        )
        for s, r, lag, zz in zip(starts, peak_r, peak_lag, z, strict=True)
    ]
    return Synchrony(
        windows=windows,
        mean_z=mean_z,
        surrogate_mean_z=float(surrogate_means.mean()),
        threshold_z=threshold,
        p_value=p_value,
        window_s=win / rate_hz,
        max_lag_s=max_lag_s,
        surrogates=surrogates,
    )
