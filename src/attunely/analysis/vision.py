"""What a person detector reports for one picture, and the small interface it implements.

The pipeline never calls a vision model directly: it hands sampled RGB pictures to a
`PersonDetector` and gets back `Detections` (faces with head turn and smile, bodies with head
turn). `attunely.analysis.detectors` provides the default one (mediapipe's face detection,
face mesh and pose models, which ship inside its wheel); tests drive the pipeline with
detectors that return generated detections.

Head turn (`yaw`) is measured in the picture, not in the world: -1 is turned fully towards
the image's left, 0 faces the camera, +1 is turned fully towards the image's right. That is
all "facing the other person" needs when two people sit side by side in view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from attunely.analysis.motion import Box
from attunely.errors import InvalidInput

U8 = npt.NDArray[np.uint8]

#: Mouth-corner lift (corners above the lips' middle, over the mouth's width) above which a
#: face is taken to be smiling. Neutral mouths measure about -0.05-0.02, smiles 0.08 and up.
SMILE_LIFT = 0.05


@dataclass(frozen=True)
class FaceDetection:
    """One face in one picture.

    Attributes
    ----------
    box : Box
        The face, as fractions of the picture.
    score : float
        The detector's confidence, 0-1.
    yaw : float | None
        Head turn in the picture, -1 (towards its left) to 1 (towards its right); None if
        the detector could not tell.
    smile : float | None
        Mouth-corner lift (see SMILE_LIFT); None where the mouth could not be measured.
    """

    box: Box
    score: float
    yaw: float | None = None
    smile: float | None = None

    @property
    def smiling(self) -> bool | None:
        return None if self.smile is None else self.smile >= SMILE_LIFT


@dataclass(frozen=True)
class BodyDetection:
    """One body (pose) in one picture: its outline box and, from nose and ears, head turn."""

    box: Box
    score: float
    yaw: float | None = None


@dataclass(frozen=True)
class Detections:
    """Everything a detector found in one picture."""

    faces: tuple[FaceDetection, ...] = ()
    bodies: tuple[BodyDetection, ...] = ()


class PersonDetector(Protocol):
    """Finds faces and bodies in one picture."""

    @property
    def name(self) -> str:
        """Short description for the analysis settings, e.g. the models used."""
        ...

    def detect(self, *, image: U8) -> Detections:
        """Detect people in `image`, an (h, w, 3) uint8 RGB picture."""
        ...

    def close(self) -> None:
        """Release the models."""
        ...


def box_from_corners(x0: float, y0: float, x1: float, y1: float) -> Box | None:
    """A Box from corner fractions, clipped to the picture; None if nothing is left.

    Detectors report boxes that reach past the picture's edge (a face cut by the frame).
    """
    values = (x0, y0, x1, y1)
    if not all(np.isfinite(v) for v in values):
        return None
    x0, x1 = max(0.0, min(x0, 1.0)), max(0.0, min(x1, 1.0))
    y0, y1 = max(0.0, min(y0, 1.0)), max(0.0, min(y1, 1.0))
    if x1 - x0 < 1e-4 or y1 - y0 < 1e-4:
        return None
    return Box(x0, y0, x1 - x0, y1 - y0)


def yaw_from_points(
    *, nose_x: float, first_x: float | None, second_x: float | None
) -> float | None:
    """Head turn from where the nose sits between two side points (ears or eyes).

    Parameters
    ----------
    nose_x : float
        The nose tip's horizontal position (pixels or fractions, like the others).
    first_x, second_x : float | None
        The two side points (ears), in either order; None where a point is hidden.

    Returns
    -------
    -1 to 1: 0 when the nose is midway (facing the camera), towards +1 as it nears the
    side point on the image's right (the head turns to the right). With one side point
    hidden, the head is in profile, turned away from the visible one: -1 or +1. None when
    both are hidden.
    """
    if not np.isfinite(nose_x):
        raise InvalidInput("the nose position must be a number")
    sides = [x for x in (first_x, second_x) if x is not None and np.isfinite(x)]
    if not sides:
        return None
    if len(sides) == 1:
        return 1.0 if nose_x >= sides[0] else -1.0
    left, right = min(sides), max(sides)
    half = (right - left) / 2
    if half <= 1e-9:
        return None
    return float(np.clip((nose_x - (left + half)) / half, -1.0, 1.0))


def mouth_lift(
    *, left: tuple[float, float], right: tuple[float, float], middle: tuple[float, float]
) -> float:
    """How far the mouth's corners sit above its middle, over the mouth's width.

    Parameters
    ----------
    left, right : (x, y)
        The mouth corners (pixels; y grows downwards).
    middle : (x, y)
        The middle of the lips.

    Returns
    -------
    Positive when the corners are raised (a smile), about 0 for a straight mouth.
    """
    width = float(np.hypot(right[0] - left[0], right[1] - left[1]))
    if width <= 1e-9:
        raise InvalidInput("the mouth corners must be apart")
    return (middle[1] - (left[1] + right[1]) / 2) / width


def person_box(face: Box) -> Box:
    """The area a seated person with this face probably occupies (head, body, reach).

    A face is about a fifth of a seated body's height; arms reach about a face-width and a
    half to either side.
    """
    cx = face.x + face.w / 2
    box = box_from_corners(
        cx - 1.6 * face.w, face.y - 0.3 * face.h, cx + 1.6 * face.w, face.y + 5.0 * face.h
    )
    assert box is not None  # a face inside the picture always leaves some area
    return box
