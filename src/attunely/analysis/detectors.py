"""The default person detector: mediapipe's face detection, face mesh and pose models.

mediapipe 0.10.21 is the last release whose wheel ships these models (`mediapipe.solutions`),
so nothing is downloaded. It is an optional dependency (the `vision` extra): without it
`default_detector()` returns None and the analysis carries on with sound and movement only.

Per sampled picture:

* BlazeFace full range finds faces up to a few metres away, with six key points;
* face mesh, on a crop around each face big enough to measure, gives the head turn (the nose
  tip's place between the cheekbones) and the mouth's corners and middle, and so a smile
  measure (see vision.SMILE_LIFT). Faces too small for the mesh take their head turn from
  BlazeFace's nose and ear points, which is noisier (it sees the picture at 192 x 192);
* pose (one person per picture: mediapipe's pose follows the most prominent body) runs on
  every `pose_every`-th sample in which fewer than two faces were found, giving a body box and
  a head turn from nose and ears when a face is in profile or turned away, which is how
  parents are often filmed. It costs several face detections, hence only then.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from attunely.analysis.arrays import require_positive
from attunely.analysis.vision import (
    U8,
    BodyDetection,
    Detections,
    FaceDetection,
    box_from_corners,
    mouth_lift,
    yaw_from_points,
)
from attunely.errors import InvalidInput

#: Face mesh indices: mouth corners and the inner lips' middle (upper, lower); nose tip and
#: the two sides of the face at the cheekbones.
_MOUTH_LEFT, _MOUTH_RIGHT, _LIP_UPPER, _LIP_LOWER = 61, 291, 13, 14
_MESH_NOSE, _CHEEK_A, _CHEEK_B = 1, 234, 454
#: Pose indices: nose, left ear, right ear, and how visible a landmark must be to use it.
_NOSE, _LEFT_EAR, _RIGHT_EAR = 0, 7, 8
_VISIBLE = 0.5


def mediapipe_available() -> bool:
    """True when mediapipe's bundled solutions (and their models) import."""
    try:
        from mediapipe.python.solutions import face_detection  # noqa: F401
    except Exception:
        return False
    return True


class MediapipeDetector:
    """Faces (with head turn and smile) and one body per picture, by mediapipe.

    Parameters
    ----------
    min_face_score : float
        Faces scored below this (0-1) are ignored.
    min_mesh_px : int
        Smallest face height in pixels worth measuring a smile on.
    pose_every : int
        Run pose on every n-th picture (it costs about six face detections).
    """

    def __init__(
        self, *, min_face_score: float = 0.5, min_mesh_px: int = 24, pose_every: int = 2
    ) -> None:
        if not 0 < min_face_score < 1:
            raise InvalidInput("min_face_score must be between 0 and 1", field="min_face_score")
        require_positive("min_mesh_px", min_mesh_px)
        require_positive("pose_every", pose_every)
        from mediapipe.python.solutions import face_detection, face_mesh, pose

        self._faces: Any = face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_face_score
        )
        # Static mode: crops of different people follow each other, so no tracking between.
        self._mesh: Any = face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, min_detection_confidence=0.3
        )
        self._pose: Any = pose.Pose(
            static_image_mode=False, model_complexity=1, min_detection_confidence=0.5
        )
        self._min_mesh_px = min_mesh_px
        self._pose_every = pose_every
        self._count = 0

    @property
    def name(self) -> str:
        return "mediapipe 0.10 face detection (full range) + face mesh + pose"

    def detect(self, *, image: U8) -> Detections:
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InvalidInput("the detector needs an (h, w, 3) uint8 RGB picture")
        image = np.ascontiguousarray(image)
        faces = tuple(self._detect_faces(image))
        bodies: tuple[BodyDetection, ...] = ()
        if len(faces) < 2 and self._count % self._pose_every == 0:
            body = self._detect_body(image)
            bodies = (body,) if body is not None else ()
        self._count += 1
        return Detections(faces=faces, bodies=bodies)

    def _detect_faces(self, image: U8) -> list[FaceDetection]:
        h = image.shape[0]
        found = self._faces.process(image).detections or []
        out = []
        for det in found:
            rel = det.location_data.relative_bounding_box
            box = box_from_corners(rel.xmin, rel.ymin, rel.xmin + rel.width, rel.ymin + rel.height)
            if box is None:
                continue
            points = det.location_data.relative_keypoints
            # Key points: right eye, left eye, nose tip, mouth centre, right ear, left ear.
            yaw = yaw_from_points(nose_x=points[2].x, first_x=points[4].x, second_x=points[5].x)
            smile = None
            if box.h * h >= self._min_mesh_px:
                measured = self._mesh_measures(image, box)
                if measured is not None:
                    yaw = measured[0] if measured[0] is not None else yaw
                    smile = measured[1]
            out.append(FaceDetection(box, float(det.score[0]), yaw, smile))
        return out

    def _mesh_measures(self, image: U8, box: Any) -> tuple[float | None, float] | None:
        """(head turn, mouth-corner lift) from the face mesh on a crop, or None if no mesh."""
        h, w = image.shape[:2]
        # A crop with a margin: the mesh model expects the whole head, not a tight face box.
        x0, x1 = int((box.x - 0.4 * box.w) * w), int((box.x + 1.4 * box.w) * w)
        y0, y1 = int((box.y - 0.4 * box.h) * h), int((box.y + 1.4 * box.h) * h)
        crop = np.ascontiguousarray(image[max(0, y0) : min(h, y1), max(0, x0) : min(w, x1)])
        if crop.shape[0] < 8 or crop.shape[1] < 8:
            return None
        meshes = self._mesh.process(crop).multi_face_landmarks
        if not meshes:
            return None
        points = meshes[0].landmark
        ch, cw = crop.shape[:2]

        def at(i: int) -> tuple[float, float]:
            return points[i].x * cw, points[i].y * ch

        upper, lower = at(_LIP_UPPER), at(_LIP_LOWER)
        middle = ((upper[0] + lower[0]) / 2, (upper[1] + lower[1]) / 2)
        if at(_MOUTH_LEFT) == at(_MOUTH_RIGHT):
            return None
        lift = mouth_lift(left=at(_MOUTH_LEFT), right=at(_MOUTH_RIGHT), middle=middle)
        yaw = yaw_from_points(
            nose_x=at(_MESH_NOSE)[0], first_x=at(_CHEEK_A)[0], second_x=at(_CHEEK_B)[0]
        )
        return yaw, lift

    def _detect_body(self, image: U8) -> BodyDetection | None:
        result = self._pose.process(image)
        if result.pose_landmarks is None:
            return None
        marks = result.pose_landmarks.landmark
        seen = [m for m in marks if m.visibility >= _VISIBLE]
        if len(seen) < 4:
            return None
        box = box_from_corners(
            min(m.x for m in seen),
            min(m.y for m in seen),
            max(m.x for m in seen),
            max(m.y for m in seen),
        )
        if box is None:
            return None

        def side(i: int) -> float | None:
            return marks[i].x if marks[i].visibility >= _VISIBLE else None

        yaw = None
        if marks[_NOSE].visibility >= _VISIBLE:
            yaw = yaw_from_points(
                nose_x=marks[_NOSE].x, first_x=side(_LEFT_EAR), second_x=side(_RIGHT_EAR)
            )
        score = float(np.mean([m.visibility for m in marks]))
        return BodyDetection(box, score, yaw)

    def close(self) -> None:
        for model in (self._faces, self._mesh, self._pose):
            model.close()


def default_detector() -> MediapipeDetector | None:
    """The bundled detector, or None when mediapipe (the `vision` extra) is not installed."""
    if not mediapipe_available():
        return None
    return MediapipeDetector()
