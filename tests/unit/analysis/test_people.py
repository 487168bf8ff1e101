"""Person tracks, head turns, smiles and their reasons, driven by generated detections."""

from __future__ import annotations

import numpy as np
import pytest

from attunely.analysis.media import ArrayMedia
from attunely.analysis.moments import RECEIVING, Moment
from attunely.analysis.motion import Box
from attunely.analysis.people import (
    VisionSample,
    add_looks,
    people_tracks,
    propose_person_regions,
)
from attunely.analysis.pipeline import AnalysisOptions, analyse
from attunely.analysis.segments import ADULT, CHILD
from attunely.analysis.vision import (
    U8,
    BodyDetection,
    Detections,
    FaceDetection,
    box_from_corners,
    mouth_lift,
    person_box,
    yaw_from_points,
)
from attunely.errors import InvalidInput

ADULT_FACE = Box(0.15, 0.2, 0.1, 0.16)
CHILD_FACE = Box(0.7, 0.5, 0.07, 0.11)


def face(box: Box, yaw: float | None = 0.0, smile: float | None = None) -> FaceDetection:
    return FaceDetection(box, 0.9, yaw, smile)


def samples_of(detections: list[Detections], step: float = 1.0) -> list[VisionSample]:
    return [VisionSample(i * step, d) for i, d in enumerate(detections)]


def test_yaw_from_nose_between_ears() -> None:
    assert yaw_from_points(nose_x=50, first_x=30, second_x=70) == pytest.approx(0.0)
    assert yaw_from_points(nose_x=60, first_x=70, second_x=30) == pytest.approx(0.5)
    assert yaw_from_points(nose_x=35, first_x=30, second_x=70) == pytest.approx(-0.75)
    assert yaw_from_points(nose_x=90, first_x=30, second_x=70) == 1.0
    # Profile: one ear hidden, the head is turned away from the visible one.
    assert yaw_from_points(nose_x=80, first_x=None, second_x=60) == 1.0
    assert yaw_from_points(nose_x=40, first_x=60, second_x=None) == -1.0
    assert yaw_from_points(nose_x=40, first_x=None, second_x=None) is None
    with pytest.raises(InvalidInput):
        yaw_from_points(nose_x=float("nan"), first_x=1, second_x=2)


def test_mouth_lift_is_positive_for_raised_corners() -> None:
    assert mouth_lift(left=(0, 10), right=(20, 10), middle=(10, 13)) == pytest.approx(0.15)
    assert mouth_lift(left=(0, 10), right=(20, 10), middle=(10, 10)) == 0.0
    assert mouth_lift(left=(0, 12), right=(20, 12), middle=(10, 10)) < 0
    with pytest.raises(InvalidInput):
        mouth_lift(left=(5, 5), right=(5, 5), middle=(5, 6))


def test_boxes_are_clipped_to_the_picture() -> None:
    box = box_from_corners(-0.1, 0.5, 0.2, 1.3)
    assert box is not None and (box.x, box.y) == (0.0, 0.5)
    assert box.w == pytest.approx(0.2) and box.h == pytest.approx(0.5)
    assert box_from_corners(1.2, 0.1, 1.5, 0.3) is None
    assert box_from_corners(float("nan"), 0, 1, 1) is None
    grown = person_box(ADULT_FACE)
    assert grown.y < ADULT_FACE.y and grown.h > 3 * ADULT_FACE.h


def test_two_recurring_people_give_two_regions_left_to_right() -> None:
    rng = np.random.default_rng(3)
    detections = []
    for _ in range(40):
        faces = []
        if rng.random() < 0.8:
            faces.append(face(Box(0.15 + rng.normal(0, 0.01), 0.2, 0.1, 0.16)))
        if rng.random() < 0.6:
            faces.append(face(Box(0.7 + rng.normal(0, 0.01), 0.5, 0.07, 0.11)))
        detections.append(Detections(faces=tuple(faces)))
    regions = propose_person_regions(samples_of(detections))
    assert len(regions) == 2
    left, right = regions
    assert left.x <= 0.2 <= left.x + left.w
    assert right.x <= 0.73 <= right.x + right.w
    assert left.x + left.w <= right.x + 0.05


def test_one_person_or_rare_detections_give_fewer_regions() -> None:
    one = [Detections(faces=(face(ADULT_FACE),)) for _ in range(20)]
    assert len(propose_person_regions(samples_of(one))) == 1
    rare = [Detections()] * 19 + [Detections(faces=(face(ADULT_FACE), face(CHILD_FACE)))]
    assert propose_person_regions(samples_of(rare)) == ()
    assert propose_person_regions([]) == ()
    with pytest.raises(InvalidInput):
        propose_person_regions(samples_of(one), min_share=2.0)


def test_tracks_tell_who_faces_whom_from_face_or_pose() -> None:
    adult_region, child_region = person_box(ADULT_FACE), person_box(CHILD_FACE)
    detections = [
        # Adult (left) turned right, towards the child; child looks at the camera, smiling.
        Detections(faces=(face(ADULT_FACE, 0.6), face(CHILD_FACE, 0.0, 0.12))),
        # Adult's face unseen (profile): the pose's head turn is used instead.
        Detections(
            faces=(face(CHILD_FACE, -0.5, 0.0),),
            bodies=(BodyDetection(Box(0.1, 0.15, 0.25, 0.8), 0.8, 0.7),),
        ),
        # Adult turned away from the child.
        Detections(faces=(face(ADULT_FACE, -0.7),)),
        Detections(),
    ]
    tracks = people_tracks(samples_of(detections), adult=adult_region, child=child_region)
    adult, child = tracks[ADULT].samples, tracks[CHILD].samples
    assert [s.facing_other for s in adult] == [True, True, False, None]
    assert adult[1].face is None and adult[1].body is not None and adult[1].yaw == 0.7
    assert [s.facing_other for s in child] == [False, True, None, None]
    assert [s.smile for s in child] == [True, False, None, None]
    assert tracks[ADULT].share("facing_other") == 0.5
    assert tracks[CHILD].spans("smile", step_s=1.0) == [(0.0, 1.0)]
    # Without regions nobody is tracked.
    empty = people_tracks(samples_of(detections), adult=None, child=None)
    assert not empty[ADULT].samples and not empty[CHILD].samples


def reply_moment(still: float = 5.0) -> Moment:
    return Moment(
        3.0,
        7.0,
        0.6,
        RECEIVING,
        "vocal_initiative",
        ("child vocalised at 00:04.0; adult replied 0.8 s later",),
        still,
        {"latency_s": 0.8},
    )


def test_reasons_say_the_adult_replied_while_facing_the_child() -> None:
    adult_region, child_region = person_box(ADULT_FACE), person_box(CHILD_FACE)
    facing = [
        Detections(faces=(face(ADULT_FACE, 0.6), face(CHILD_FACE, -0.5, 0.1))) for _ in range(10)
    ]
    tracks = people_tracks(samples_of(facing), adult=adult_region, child=child_region)
    (moment,) = add_looks([reply_moment()], tracks)
    assert moment.reasons[0].endswith("adult replied 0.8 s later while facing the child")
    assert "the child was turned towards the adult" in moment.reasons
    assert "the child smiled at 00:03.0" in moment.reasons
    assert moment.strength > 0.6
    assert moment.evidence["adult_facing_child"] == 1.0

    away = [Detections(faces=(face(ADULT_FACE, -0.6), face(CHILD_FACE, 0.0))) for _ in range(10)]
    tracks = people_tracks(samples_of(away), adult=adult_region, child=child_region)
    (moment,) = add_looks([reply_moment()], tracks)
    assert moment.reasons == reply_moment().reasons and moment.strength == 0.6
    assert moment.evidence["adult_facing_child"] == 0.0
    # Nothing seen near the moment: no reason and no evidence either way.
    (moment,) = add_looks([reply_moment(still=50.0)], tracks)
    assert moment == reply_moment(still=50.0)


class ScriptedDetector:
    """A PersonDetector that returns generated detections, one per call, in turn."""

    def __init__(self, script: list[Detections]) -> None:
        self.script = script
        self.seen: list[tuple[int, ...]] = []
        self.closed = False

    @property
    def name(self) -> str:
        return "scripted"

    def detect(self, *, image: U8) -> Detections:
        self.seen.append(image.shape)
        return self.script[(len(self.seen) - 1) % len(self.script)]

    def close(self) -> None:
        self.closed = True


def moving_frames(n: int = 200) -> U8:
    """(n, 60, 100) frames with a square moving on the left and one on the right."""
    frames = np.full((n, 60, 100), 80, dtype=np.uint8)
    for i in range(n):
        frames[i, 20:40, 10 + (i % 6) * 2 : 25 + (i % 6) * 2] = 200
        if (i // 15) % 2:
            frames[i, 30:45, 70 + (i % 4) * 2 : 80 + (i % 4) * 2] = 220
    return frames


def test_pipeline_places_regions_on_detections_and_reports_tracks() -> None:
    script = [Detections(faces=(face(ADULT_FACE, 0.6, 0.1), face(CHILD_FACE, -0.6)))]
    detector = ScriptedDetector(script)
    media = ArrayMedia(frames=moving_frames(), fps=10)
    result = analyse(media, options=AnalysisOptions(vision_fps=1.0), detector=detector)
    assert len(detector.seen) == 20 and detector.seen[0] == (60, 100, 3)
    assert not detector.closed  # a detector passed in stays the caller's to close
    assert result.people is not None and result.people.detector == "scripted"
    assert result.motion is not None and result.motion.regions_from == "detections"
    tracks = result.people.tracks
    assert len(tracks[ADULT].samples) == len(tracks[CHILD].samples) == 20
    assert tracks[ADULT].share("facing_other") == tracks[CHILD].share("facing_other") == 1.0
    assert "vision" in result.timings_s


def test_no_face_found_still_analyses_movement() -> None:
    detector = ScriptedDetector([Detections()])
    result = analyse(ArrayMedia(frames=moving_frames(), fps=10), detector=detector)
    assert result.motion is not None and result.motion.regions_from == "movement"
    assert result.motion.adult is not None and result.motion.child is not None
    assert any("no face was found" in n for n in result.notes)
    assert result.people is not None
    assert all(s.face is None for s in result.people.tracks[ADULT].samples)


def test_vision_off_and_bad_vision_options() -> None:
    detector = ScriptedDetector([Detections()])
    media = ArrayMedia(frames=moving_frames(40), fps=10)
    result = analyse(media, options=AnalysisOptions(vision="off"))
    assert result.people is None
    for bad in (AnalysisOptions(vision="maybe"), AnalysisOptions(vision_fps=0.0)):
        with pytest.raises(InvalidInput):
            analyse(media, options=bad, detector=detector)
    assert CHILD  # both labels are exported for callers
