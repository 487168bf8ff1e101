"""How well an analysis recovered a synthetic film's known truth."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from attunely.analysis.arrays import HOP_S
from attunely.analysis.evaluate import count_error, event_agreement, frame_agreement
from attunely.analysis.pipeline import AnalysisResult
from attunely.analysis.segments import ADULT, CHILD, segments_to_mask
from attunely.analysis.turns import all_turns
from attunely.synth.film import SynthFilm


@dataclass(frozen=True)
class Score:
    """Agreement figures for one film (F1s 0-1; count error relative)."""

    adult_f1: float
    child_f1: float
    speech_f1: float
    turn_f1: float
    turn_precision: float
    turn_recall: float
    truth_turns: int
    predicted_turns: int
    turn_count_error: float
    moment_precision: float
    episode_recall: float
    regions_correct: bool | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score(result: AnalysisResult, film: SynthFilm) -> Score:
    """Compare an analysis of `film` with the film's truth.

    Frame F1 uses 10 ms frames without a collar. A turn matches a true one when their reply
    onsets are within 1 s (one-to-one). A proposed moment counts as correct when it overlaps
    a scripted interaction episode.
    """
    n = round(film.spec.duration_s / HOP_S)
    truth = film.frame_labels(n)
    f1: dict[str, float] = {}
    for label in (ADULT, CHILD):
        predicted = segments_to_mask(result.speech, n_frames=n, labels=(label,))
        f1[label] = frame_agreement(truth=truth[label], predicted=predicted).f1
    anyone = segments_to_mask(result.speech, n_frames=n, labels=(ADULT, CHILD))
    speech_f1 = frame_agreement(truth=truth[ADULT] | truth[CHILD], predicted=anyone).f1
    predicted_turns = all_turns(result.conversations)
    turns = event_agreement(
        truth_times=[t.time for t in film.turns],
        predicted_times=[t.time for t in predicted_turns],
        tolerance_s=1.0,
    )
    episodes = film.episodes
    hits = [m for m in result.moments if any(m.start < e.end and m.end > e.start for e in episodes)]
    found = [
        e for e in episodes if any(m.start < e.end and m.end > e.start for m in result.moments)
    ]
    regions: bool | None = None
    motion = result.motion
    if motion is not None and motion.adult_region is not None and motion.child_region is not None:
        true_adult = film.rois[ADULT]
        centre = motion.adult_region.x + motion.adult_region.w / 2
        regions = true_adult[0] <= centre <= true_adult[0] + true_adult[2]
    return Score(
        adult_f1=round(f1[ADULT], 4),
        child_f1=round(f1[CHILD], 4),
        speech_f1=round(speech_f1, 4),
        turn_f1=round(turns.f1, 4),
        turn_precision=round(turns.precision, 4),
        turn_recall=round(turns.recall, 4),
        truth_turns=len(film.turns),
        predicted_turns=len(predicted_turns),
        turn_count_error=round(
            count_error(truth=len(film.turns), predicted=len(predicted_turns)), 4
        ),
        moment_precision=round(len(hits) / len(result.moments), 4) if result.moments else 1.0,
        episode_recall=round(len(found) / len(episodes), 4) if episodes else 1.0,
        regions_correct=regions,
    )
