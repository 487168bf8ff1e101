"""Drawn faces and their scripted looks (the truth behind the face tests)."""

from __future__ import annotations

import numpy as np
import pytest

from attunely.errors import InvalidInput
from attunely.synth.faces import draw_face, draw_face_yuv, scripted_looks


def test_looks_follow_the_response_and_initiative_bursts() -> None:
    bursts = [
        ("CHILD", 2.0, 3.0, "initiative"),
        ("ADULT", 3.5, 4.5, "response"),
        ("ADULT", 5.0, 6.0, "gesture"),
        ("CHILD", 9.0, 9.5, "play"),
    ]
    looks = scripted_looks(bursts, duration_s=5.0)
    assert looks["CHILD"]["facing"] == [(2.0, 3.5)]
    assert looks["ADULT"]["facing"] == [(3.3, 5.0)]
    assert looks["ADULT"]["smiling"] == [(3.5, 4.5)]
    assert looks["CHILD"]["smiling"] == [(3.5, 5.0)]


def test_a_face_is_drawn_where_asked_and_turns() -> None:
    image = np.zeros((100, 100, 3), dtype=np.uint8)
    x, y, w, h = draw_face(image, cx=50, cy=50, size=30, smile=True)
    assert (x, y, w, h) == (26.0, 20.0, 48.0, 60.0)
    assert image[50, 50].sum() > 0 and image[5, 5].sum() == 0
    left = np.zeros_like(image)
    right = np.zeros_like(image)
    draw_face(left, cx=50, cy=50, size=30, yaw=-1.0)
    draw_face(right, cx=50, cy=50, size=30, yaw=1.0)
    # The dark irises move with the turn.
    dark_left = np.argwhere(left[:, :, 0] < 70)[:, 1].mean()
    dark_right = np.argwhere(right[:, :, 0] < 70)[:, 1].mean()
    assert dark_right > dark_left
    for bad in ({"size": 4}, {"yaw": 2.0}):
        with pytest.raises(InvalidInput):
            draw_face(image, cx=50, cy=50, **{"size": 30, **bad})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        draw_face(np.zeros((10, 10), dtype=np.uint8), cx=5, cy=5, size=10)


def test_faces_drawn_into_yuv_planes_change_only_the_head() -> None:
    planes = (
        np.full((120, 160), 100, dtype=np.uint8),
        np.full((60, 80), 128, dtype=np.uint8),
        np.full((60, 80), 128, dtype=np.uint8),
    )
    draw_face_yuv(planes, cx=80, cy=60, size=25, yaw=0.0, smile=False)
    changed = np.argwhere(np.abs(planes[0].astype(int) - 100) > 3)
    assert changed.size and changed[:, 0].min() >= 60 - 32 and changed[:, 1].max() <= 80 + 27
    assert planes[1].min() < 128 or planes[2].max() > 128  # skin has colour
