"""The picture side of the analysis: motion grid, regions, and the people's tracks.

Split from pipeline.py: decoding the picture (with the person detector at a lower rate),
placing the movement regions (from detections, from movement, or by hand) and splitting
detections into the adult's and the child's tracks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from attunely.analysis.arrays import F32, HOP_S
from attunely.analysis.media import U8, MediaSource
from attunely.analysis.motion import (
    Box,
    MotionGrid,
    assign_people,
    bursts,
    motion_grid,
    propose_regions,
    region_series,
    resample,
)
from attunely.analysis.people import (
    PersonTrack,
    VisionSample,
    people_tracks,
    propose_person_regions,
)
from attunely.analysis.segments import ADULT, CHILD, Segment, segments_to_mask
from attunely.analysis.vision import PersonDetector

if TYPE_CHECKING:
    from attunely.analysis.pipeline import AnalysisOptions

Progress = Callable[[str, float], None]


@dataclass
class MotionResult:
    """Movement per person's region on a regular grid."""

    rate_hz: float
    adult: F32 | None
    child: F32 | None
    adult_region: Box | None
    child_region: Box | None
    adult_bursts: list[tuple[float, float, float]]
    child_bursts: list[tuple[float, float, float]]
    sampled_frames: int
    regions_from: str = "movement"


@dataclass
class PeopleResult:
    """Faces, bodies, head turns and smiles per person, sampled at `rate_hz`."""

    detector: str
    rate_hz: float
    sampled_pictures: int
    failed_pictures: int
    regions_from: str
    tracks: dict[str, PersonTrack]


def people_result(
    picture: PictureResult,
    detector: PersonDetector,
    options: AnalysisOptions,
    motion: MotionResult | None,
    notes: list[str],
) -> PeopleResult:
    """Split the detections into the adult's and the child's tracks."""
    samples = picture.samples
    adult = motion.adult_region if motion is not None else None
    child = motion.child_region if motion is not None else None
    if motion is None:
        found = propose_person_regions(samples)
        if len(found) == 2:
            # Without movement to tell them apart, the larger area is taken as the adult's.
            big = 0 if found[0].w * found[0].h >= found[1].w * found[1].h else 1
            adult, child = found[big], found[1 - big]
    tracks = people_tracks(samples, adult=adult, child=child)
    if picture.failed:
        notes.append(f"the person detector failed on {picture.failed} pictures; they were skipped")
    if samples and not any(s.detections.faces for s in samples):
        notes.append(
            "no face was found in the sampled pictures: head turns come from body pose where "
            "it was seen; sound and movement were analysed as usual"
        )
    elif samples:
        seen = {who: round(100 * t.share("face")) for who, t in tracks.items() if t.samples}
        if seen:
            notes.append(
                "faces were seen in "
                + " and ".join(f"{p} % of the {w.lower()}'s samples" for w, p in seen.items())
            )
    return PeopleResult(
        detector=detector.name,
        rate_hz=options.vision_fps,
        sampled_pictures=len(samples),
        failed_pictures=picture.failed,
        regions_from=motion.regions_from if motion is not None else "detections",
        tracks=tracks,
    )


@dataclass
class PictureResult:
    grid: MotionGrid | None = None
    seconds: float = 0.0
    samples: list[VisionSample] = field(default_factory=list)
    vision_s: float = 0.0
    failed: int = 0


def decode_picture(
    media: MediaSource,
    *,
    options: AnalysisOptions,
    detector: PersonDetector | None,
    report: Progress,
) -> PictureResult:
    """Decode the picture into a motion grid and, at a lower rate, detections of people."""
    clock = time.perf_counter()
    out = PictureResult()
    if not media.info.has_video:
        return out
    expected = media.info.duration_s
    frames = media.frames(
        fps=options.motion_fps,
        width=options.motion_width,
        colour_fps=options.vision_fps if detector is not None else 0.0,
        colour_width=options.vision_width,
    )

    def tracked() -> Iterator[tuple[float, U8]]:
        for t, frame, rgb in frames:
            if expected > 0:
                report("picture", min(1.0, t / expected))
            if rgb is not None and detector is not None:
                started = time.perf_counter()
                try:
                    out.samples.append(VisionSample(t, detector.detect(image=rgb)))
                except (RuntimeError, ValueError):
                    # A model failing on one picture must not cost the film its analysis.
                    out.failed += 1
                out.vision_s += time.perf_counter() - started
            yield t, frame

    out.grid = motion_grid(tracked())
    report("picture", 1.0)
    out.seconds = time.perf_counter() - clock
    return out


def motion_result(
    grid: MotionGrid,
    speech: list[Segment],
    options: AnalysisOptions,
    duration: float,
    notes: list[str],
    samples: list[VisionSample],
) -> MotionResult | None:
    rate = options.motion_rate_hz
    if grid.times.size < 2:
        notes.append("too few pictures decoded to measure movement")
        return None
    if options.adult_region or options.child_region:
        adult_box, child_box = options.adult_region, options.child_region
        notes.append("movement regions were given by hand")
        source = "hand"
    else:
        found = propose_person_regions(samples)
        source = "movement"
        if len(found) == 2:
            regions: tuple[Box, ...] = found
            source = "detections"
            notes.append("movement regions were placed around the two people detected")
        else:
            proposal = propose_regions(grid)
            notes.extend(proposal.notes)
            regions = proposal.regions
        adult_box = child_box = None
        if len(regions) == 2:
            series = [
                resample(grid.times, region_series(grid, box), rate_hz=rate, duration_s=duration)
                for box in regions
            ]
            talk = {
                label: _talk_series(speech, label, rate=rate, n=series[0].size)
                for label in (ADULT, CHILD)
            }
            index, reason = assign_people(
                series,
                adult_talk=talk[ADULT],
                child_talk=talk[CHILD],
                boxes=list(regions),
            )
            notes.append(reason)
            adult_box, child_box = regions[index], regions[1 - index]
        elif len(regions) == 1:
            adult_box = regions[0]
            notes.append("only one moving area was found; it is shown as the adult's")

    def series_for(box: Box | None) -> F32 | None:
        if box is None:
            return None
        return resample(grid.times, region_series(grid, box), rate_hz=rate, duration_s=duration)

    adult = series_for(adult_box)
    child = series_for(child_box)
    return MotionResult(
        rate_hz=rate,
        adult=adult,
        child=child,
        adult_region=adult_box,
        child_region=child_box,
        adult_bursts=bursts(adult, rate_hz=rate) if adult is not None else [],
        child_bursts=bursts(child, rate_hz=rate) if child is not None else [],
        sampled_frames=int(grid.times.size + 1),
        regions_from=source,
    )


def _talk_series(speech: list[Segment], label: str, *, rate: float, n: int) -> F32:
    """(n,) float32 0/1: is `label` talking at each motion sample?"""
    frames = segments_to_mask(speech, n_frames=round(n / rate / HOP_S) + 1, labels=(label,))
    # Pick the 10 ms frame under each motion sample.
    index = np.minimum((np.arange(n) / rate / HOP_S).astype(np.int64), frames.size - 1)
    picked: npt.NDArray[np.float32] = frames[index].astype(np.float32)
    return picked
