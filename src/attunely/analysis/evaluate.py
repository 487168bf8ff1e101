"""Agreement between an analysis and known truth: frame-level F1 and turn matching.

Used by the tests and the benchmarks on synthetic films; never applied to a family's film.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from attunely.analysis.arrays import Bool, require_positive
from attunely.errors import InvalidInput


@dataclass(frozen=True)
class Agreement:
    """Precision, recall and F1 of one label; counts are frames or matched items."""

    precision: float
    recall: float
    f1: float
    true_positive: int
    false_positive: int
    false_negative: int


def _agreement(tp: int, fp: int, fn: int) -> Agreement:
    precision = tp / (tp + fp) if tp + fp else (1.0 if fn == 0 else 0.0)
    recall = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return Agreement(precision, recall, f1, tp, fp, fn)


def frame_agreement(*, truth: Bool, predicted: Bool) -> Agreement:
    """Frame-level precision/recall/F1 of one label.

    Parameters
    ----------
    truth, predicted : (n_frames,) bool
        Whether the label is active in each 10 ms frame. No collar is applied.
    """
    t = np.asarray(truth, dtype=bool)
    p = np.asarray(predicted, dtype=bool)
    if t.shape != p.shape:
        raise InvalidInput(f"truth {t.shape} and prediction {p.shape} differ in length")
    # Integer counts of each cell of the 2x2 table.
    tp = int(np.count_nonzero(t & p))
    fp = int(np.count_nonzero(~t & p))
    fn = int(np.count_nonzero(t & ~p))
    return _agreement(tp, fp, fn)


def event_agreement(
    *, truth_times: list[float], predicted_times: list[float], tolerance_s: float = 1.0
) -> Agreement:
    """Match events (e.g. turns) one-to-one within +-tolerance_s, closest pairs first."""
    require_positive("tolerance_s", tolerance_s)
    pairs = sorted(
        (abs(p - t), i, j)
        for i, t in enumerate(truth_times)
        for j, p in enumerate(predicted_times)
        if abs(p - t) <= tolerance_s
    )
    used_t: set[int] = set()
    used_p: set[int] = set()
    for _, i, j in pairs:
        if i not in used_t and j not in used_p:
            used_t.add(i)
            used_p.add(j)
    tp = len(used_t)
    return _agreement(tp, len(predicted_times) - tp, len(truth_times) - tp)


def count_error(*, truth: int, predicted: int) -> float:
    """Relative error |predicted - truth| / truth (0 when both are 0, inf when truth is 0)."""
    if truth < 0 or predicted < 0:
        raise InvalidInput("counts cannot be negative")
    if truth == 0:
        return 0.0 if predicted == 0 else float("inf")
    return abs(predicted - truth) / truth
