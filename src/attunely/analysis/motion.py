"""Motion energy: how much of each part of the picture changes from one moment to the next.

This is the measurement behind Motion Energy Analysis (Ramseyer & Tschacher): difference
successive frames, count the pixels that changed by more than a noise threshold, and add them
up per region of interest (one region per person). Frames are first shrunk to ~160 pixels wide
and made grey by the decoder, and only ~10 frames per second are used: body movement is slow
next to the frame rate, and this keeps the analysis far cheaper than decoding.

Counts are kept per cell of a coarse grid, so the regions can be proposed (or adjusted by a
practitioner) *after* the single pass over the film.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from attunely.analysis.arrays import F32, F64, require_positive, require_range, runs
from attunely.errors import InvalidInput

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Box:
    """A region as fractions of the frame: left, top, width, height, each 0-1."""

    x: float
    y: float
    w: float
    h: float

    def __post_init__(self) -> None:
        values = (self.x, self.y, self.w, self.h)
        if not all(np.isfinite(v) for v in values):
            raise InvalidInput("a region's coordinates must be numbers")
        if self.w <= 0 or self.h <= 0 or self.x < 0 or self.y < 0:
            raise InvalidInput("a region needs a positive size and a position inside the frame")
        if self.x + self.w > 1.0001 or self.y + self.h > 1.0001:
            raise InvalidInput("a region must lie inside the frame (fractions 0-1)")

    def as_list(self) -> list[float]:
        return [round(self.x, 4), round(self.y, 4), round(self.w, 4), round(self.h, 4)]


@dataclass(frozen=True)
class MotionGrid:
    """Changed-pixel fractions per grid cell for each sampled frame.

    Attributes
    ----------
    times : (n,) float64
        Seconds of the later frame of each differenced pair.
    energy : (n, rows, cols) float32
        Fraction (0-1) of the cell's pixels that changed by more than the threshold.
    """

    times: F64
    energy: F32

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.energy.shape[1]), int(self.energy.shape[2])


def motion_grid(
    frames: Iterable[tuple[float, U8]],
    *,
    cols: int = 16,
    threshold: int = 10,
    max_gap_s: float = 1.0,
) -> MotionGrid:
    """Frame-difference motion energy per grid cell.

    Parameters
    ----------
    frames : iterable of (time in s, (h, w) uint8 grey frame)
        In time order, e.g. from MediaSource.grey_frames.
    cols : int
        Grid columns; rows follow the frame's aspect ratio (square-ish cells).
    threshold : int
        Grey-level change (0-255) a pixel must exceed to count as movement; below it is
        sensor noise and compression flicker.
    max_gap_s : float
        A pair of frames further apart than this (a dropped or damaged stretch) is not
        differenced; that stretch gets no motion sample.

    Returns
    -------
    MotionGrid with one sample per differenced pair.
    """
    require_positive("cols", cols)
    require_range("threshold", threshold, 1, 254)
    require_positive("max_gap_s", max_gap_s)
    times: list[float] = []
    # One growing buffer instead of a list of small arrays stacked at the end (which
    # would hold the whole film's grid twice).
    cells = np.zeros((0, 1, cols), dtype=np.float32)
    count = 0
    prev: npt.NDArray[np.int16] | None = None
    prev_t = 0.0
    rows = 0
    for t, grey in frames:
        if grey.ndim != 2:
            raise InvalidInput("motion frames must be 2-D grey images")
        current = grey.astype(np.int16)
        if prev is not None and prev.shape == current.shape and 0 < t - prev_t <= max_gap_s:
            h, w = current.shape
            rows = max(1, round(cols * h / w))
            # Absolute change per pixel, then a noise threshold: MEA's binary motion image.
            moved = np.abs(current - prev) > threshold
            # Crop to a multiple of the grid, then average each cell with one reshape.
            ch, cw = h // rows, w // cols
            if ch == 0 or cw == 0:
                raise InvalidInput("frames are too small for the motion grid")
            block = moved[: ch * rows, : cw * cols].reshape(rows, ch, cols, cw)
            if count == cells.shape[0] or cells.shape[1] != rows:
                grown = np.zeros((max(64, 2 * count), rows, cols), dtype=np.float32)
                if cells.shape[1] == rows:
                    grown[:count] = cells[:count]
                else:
                    count, times = 0, []  # the picture changed size: start the grid again
                cells = grown
            cells[count] = block.mean(axis=(1, 3), dtype=np.float32)
            count += 1
            times.append(t)
        prev, prev_t = current, t
    if count == 0:
        return MotionGrid(np.zeros(0), np.zeros((0, max(rows, 1), cols), dtype=np.float32))
    return MotionGrid(np.asarray(times, dtype=np.float64), cells[:count].copy())


def region_series(grid: MotionGrid, box: Box) -> F32:
    """(n,) float32 mean changed-pixel fraction inside `box`, cells weighted by overlap."""
    rows, cols = grid.shape

    # Overlap of the box with each cell row/column, as fractions of a cell.
    def overlap(start: float, size: float, count: int) -> F64:
        edges = np.arange(count + 1) / count
        lo = np.clip(edges[:-1], start, start + size)
        hi = np.clip(edges[1:], start, start + size)
        return ((hi - lo) * count).astype(np.float64)

    weights = np.outer(overlap(box.y, box.h, rows), overlap(box.x, box.w, cols))
    total = weights.sum()
    if grid.energy.shape[0] == 0 or total <= 0:
        return np.zeros(grid.energy.shape[0], dtype=np.float32)
    # One tensordot sums the weighted cells of every frame at once.
    series: F32 = (np.tensordot(grid.energy, weights, axes=([1, 2], [0, 1])) / total).astype(
        np.float32
    )
    return series


@dataclass(frozen=True)
class RegionProposal:
    """Areas of the picture where the people probably are, found from where movement happens.

    Attributes
    ----------
    regions : tuple[Box, ...]
        None, one or two areas, left to right.
    notes : tuple[str, ...]
        Plain-language remarks for the report.
    """

    regions: tuple[Box, ...]
    notes: tuple[str, ...]


def propose_regions(grid: MotionGrid, *, min_activity: float = 0.002) -> RegionProposal:
    """Split the picture into the two areas where most movement happens.

    The column profile of average motion is split at the quietest column between its two
    strongest peaks; each side's region is the bounding box of its clearly active cells.

    Parameters
    ----------
    grid : MotionGrid
    min_activity : float
        Mean changed-pixel fraction below which the film is treated as having no movement.
    """
    if grid.energy.shape[0] < 2:
        return RegionProposal((), ("too few frames to find where people move",))
    # Where movement happens over the whole film: each cell's average changed fraction.
    mean = grid.energy.mean(axis=0)
    if float(mean.max()) < min_activity:
        return RegionProposal((), ("almost no movement in the picture",))
    cols = mean.shape[1]
    # Light smoothing joins the cells of one body (head, arm, torso) into one hill.
    profile = np.convolve(mean.sum(axis=0), np.ones(3) / 3, "same")
    # The busiest column, then the busiest one far enough away to be another person.
    order = np.argsort(profile)[::-1]
    first = int(order[0])
    second = next((int(c) for c in order[1:] if abs(int(c) - first) >= max(2, cols // 5)), None)
    whole = _active_box(mean, 0, cols)
    if second is None or profile[second] < 0.15 * profile[first]:
        boxes = (whole,) if whole else ()
        return RegionProposal(boxes, ("movement was found in one area only",))
    lo, hi = sorted((first, second))
    split = lo + 1 + int(np.argmin(profile[lo + 1 : hi])) if hi - lo > 1 else hi
    left, right = _active_box(mean, 0, split), _active_box(mean, split, cols)
    if left is None or right is None:
        only = left or right
        return RegionProposal((only,) if only else (), ("movement was found in one area only",))
    return RegionProposal((left, right), ())


def assign_people(
    series: list[F32], *, adult_talk: F32, child_talk: F32, boxes: list[Box]
) -> tuple[int, str]:
    """Which of two regions is the adult's? Returns (index of the adult's region, reason).

    People move more while they talk and when they start to vocalise, so each region's
    movement is correlated with each voice's activity; the region that moves more with the
    adult's voice (relative to the child's) is the adult's. Without enough speech to tell,
    the larger region is taken to be the adult's.

    Parameters
    ----------
    series : two (n,) float32 motion series on the same regular grid
    adult_talk, child_talk : (n,) float32 0/1 speech activity on that grid
    boxes : the two regions
    """
    if len(series) != 2 or len(boxes) != 2:
        raise InvalidInput("assign_people needs exactly two regions")

    def corr(a: F32, b: F32) -> float:
        if a.size < 3 or float(np.std(a)) == 0 or float(np.std(b)) == 0:
            return 0.0
        return float(np.corrcoef(a, b)[0, 1])

    if adult_talk.sum() >= 20 and child_talk.sum() >= 20:
        # Difference of differences: positive when region 0 follows the adult's voice more.
        score = (corr(series[0], adult_talk) - corr(series[0], child_talk)) - (
            corr(series[1], adult_talk) - corr(series[1], child_talk)
        )
        if abs(score) >= 0.05:
            index = 0 if score > 0 else 1
            return (
                index,
                "the adult's area was chosen as the one whose movement goes with the adult's voice",
            )
    areas = [b.w * b.h for b in boxes]
    index = int(np.argmax(areas))
    return index, "the adult's area was taken to be the larger one (too little speech to tell)"


def _active_box(mean: F32, col_lo: int, col_hi: int) -> Box | None:
    part = mean[:, col_lo:col_hi]
    if part.size == 0 or float(part.max()) <= 0:
        return None
    rows, cols = mean.shape
    # Cells with at least a quarter of the side's peak activity outline the person.
    active = part > 0.25 * float(part.max())
    # The first and last active row and column bound the person.
    r = np.flatnonzero(active.any(axis=1))
    c = np.flatnonzero(active.any(axis=0))
    # One cell of margin: limbs reach a little beyond where most movement is.
    r0, r1 = max(0, int(r[0]) - 1), min(rows, int(r[-1]) + 2)
    c0, c1 = max(col_lo, col_lo + int(c[0]) - 1), min(col_hi, col_lo + int(c[-1]) + 2)
    return Box(c0 / cols, r0 / rows, (c1 - c0) / cols, (r1 - r0) / rows)


def resample(times: F64, values: F32, *, rate_hz: float, duration_s: float) -> F32:
    """(round(duration_s * rate_hz),) float32 series on a regular grid by linear interpolation.

    Stretches without samples (gaps over 1 s) are filled with 0 movement.
    """
    require_positive("rate_hz", rate_hz)
    n = max(0, round(duration_s * rate_hz))
    grid = np.arange(n) / rate_hz
    if times.size == 0:
        return np.zeros(n, dtype=np.float32)
    out = np.interp(grid, times, values, left=0.0, right=0.0).astype(np.float32)
    # Interpolating across a long hole would invent movement; zero it instead.
    index = np.searchsorted(times, grid)
    before = times[np.clip(index - 1, 0, times.size - 1)]
    after = times[np.clip(index, 0, times.size - 1)]
    out[(after - before) > 1.0] = 0.0
    return out


def bursts(
    series: F32, *, rate_hz: float, min_s: float = 0.3, factor: float = 3.0
) -> list[tuple[float, float, float]]:
    """Movement bursts: stretches where motion rises well above the person's usual level.

    Parameters
    ----------
    series : (n,) float32 regular motion series
    rate_hz : float
    min_s : float
        Shortest burst kept.
    factor : float
        A burst exceeds the median plus `factor` robust deviations (MAD), and at least
        twice the median.

    Returns
    -------
    [(start s, end s, peak value)] in time order.
    """
    require_positive("rate_hz", rate_hz)
    if series.size == 0:
        return []
    # Median and MAD describe the person's usual level robustly, bursts and all
    # (1.4826 scales the MAD to a standard deviation for normal data).
    median = float(np.median(series))
    mad = float(np.median(np.abs(series - median))) * 1.4826
    level = max(median + factor * mad, 2 * median, 1e-4)
    # Half-second smoothing so one jittery frame pair is not a burst.
    width = max(1, round(0.5 * rate_hz))
    smooth = np.convolve(series, np.ones(width) / width, "same")
    out = []
    for a, b in runs(smooth > level):
        if (b - a) / rate_hz >= min_s:
            out.append((a / rate_hz, b / rate_hz, float(series[a:b].max())))
    return out
