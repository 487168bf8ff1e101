"""The test-film generators themselves: the frame code, rotation and index placement."""

from __future__ import annotations

import itertools
import subprocess

import numpy as np
import pytest

from tests.support import media_files as mf


@pytest.mark.parametrize("number", [0, 1, 2, 255, 1000, 65535])
def test_frame_code_round_trips_at_any_scale(number: int) -> None:
    image = np.full((360, 640, 3), 90, dtype=np.uint8)
    mf.draw_frame_number(image, number)
    assert mf.read_frame_number(image) == number
    small = image[::2, ::2]  # halved
    assert mf.read_frame_number(small) == number


def test_frame_code_refuses_pictures_without_it() -> None:
    assert mf.read_frame_number(np.zeros((360, 640, 3), dtype=np.uint8)) is None
    image = np.zeros((360, 640, 3), dtype=np.uint8)
    mf.draw_frame_number(image, 1234)
    assert mf.read_frame_number(image[::-1, ::-1]) is None  # upside down
    assert mf.read_frame_number(np.rot90(image)) is None  # on its side


def test_portrait_film_is_upright_for_the_ffmpeg_command_line_too() -> None:
    """Debian's ffmpeg applies the display matrix itself: an independent check of its sign."""
    # Index first, so ffmpeg can read it from a pipe.
    data = mf.portrait_film(seconds=0.2, audio_codec=None, faststart=True)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "-", "-frames:v", "1", "-f", "rawvideo",
         "-pix_fmt", "rgb24", "-"],
        input=data, capture_output=True, check=True,
    ).stdout  # fmt: skip
    image = np.frombuffer(raw, dtype=np.uint8).reshape(640, 360, 3)
    assert mf.read_frame_number(image) == 0


def test_index_moved_to_the_front_still_plays_the_same() -> None:
    plain = mf.normal_film(seconds=1.0)
    fronted = mf.move_index_to_front(plain)
    top = [kind for kind, _, _ in mf._boxes(fronted, 0, len(fronted))]
    assert top.index(b"moov") < top.index(b"mdat")
    assert len(fronted) == len(plain)
    numbers = [mf.frame_number_of(frame) for frame in mf.frames_of(fronted)]
    assert numbers == list(range(30))


def test_vfr_times_vary() -> None:
    times = mf.vfr_times(3.0)
    gaps = {b - a for a, b in itertools.pairwise(times)}
    assert len(gaps) >= 5
