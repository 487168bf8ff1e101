"""The labelled clip: exactly the clip's frames, the label really in the pixels, nothing on
disk, a sink that is only written in order."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest

from attunely.errors import InvalidInput
from attunely.media.watermark import Label, cut_labelled_clip
from tests.support.media_files import read_frame_number
from tests.unit.media.films import RecordingSink, proxied
from tests.unit.media.test_no_disk import _writes_from_python

LINES = ["Shared with Dr Ada Example (North Health Visiting)", "2026-12-02 · DSA-14"]


def _frames(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data), mode="r") as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_label_is_light_text_on_a_dark_band_at_the_bottom_only() -> None:
    grey = np.full((360, 640, 3), 128, dtype=np.uint8)
    label = Label(LINES, width=640, height=360)
    out = label.burn(grey.copy())
    assert 300 < label.top < 360
    assert (out[: label.top] == 128).all(), "nothing above the band may change"
    band = out[label.top :].mean(axis=2)
    assert label.text_mask.sum() > 200, "the words must cover a fair number of pixels"
    assert band[label.text_mask].mean() > 200
    assert band[~label.text_mask].mean() < 80


def test_label_shrinks_to_fit_a_narrow_picture_and_needs_words() -> None:
    narrow = Label(LINES, width=160, height=360)
    wide = Label(LINES, width=640, height=360)
    # Smaller text, then lines broken between words: nothing runs off either side.
    columns = narrow.text_mask.any(axis=0)
    assert not columns[:2].any() and not columns[-2:].any()
    assert len(narrow.lines) > 2 and wide.lines == LINES
    assert " ".join(narrow.lines).split() == " ".join(LINES).split()
    assert narrow.text_mask.sum() < wide.text_mask.sum()
    with pytest.raises(InvalidInput):
        Label(["  ", ""], width=640, height=360)


def test_cut_writes_exactly_the_clip_with_the_label_and_the_sound() -> None:
    source = proxied("normal")  # 2 s at 30 fps: 60 frames
    sink = RecordingSink()
    progress: list[float] = []
    with _writes_from_python() as writes:
        result = cut_labelled_clip(
            io.BytesIO(source.data),
            sink,
            start_frame=35,
            end_frame=50,
            fps=source.result.fps,
            lines=LINES,
            progress=progress.append,
        )
    assert writes == []
    assert sink.other_calls == [], "the sink must only be written, in order"
    assert result.frame_count == 15 and result.has_audio
    assert progress[-1] == 1.0
    frames = _frames(sink.data)
    assert [read_frame_number(f) for f in frames] == list(range(35, 50))
    originals = _frames(source.data)
    label = Label(LINES, width=result.width, height=result.height)
    for index, frame in enumerate(frames):
        band = frame[label.top :].astype(np.float64).mean(axis=2)
        before = originals[35 + index][label.top :].astype(np.float64).mean(axis=2)
        assert band[label.text_mask].mean() > before[label.text_mask].mean() + 40
    with av.open(io.BytesIO(sink.data), mode="r") as container:
        sound = sum(f.samples for f in container.decode(audio=0))
    assert abs(sound / 48000 - 0.5) < 0.05, sound


def test_cut_from_the_first_frame_and_refusals() -> None:
    source = proxied("normal")
    sink = RecordingSink()
    result = cut_labelled_clip(
        io.BytesIO(source.data),
        sink,
        start_frame=0,
        end_frame=3,
        fps=source.result.fps,
        lines=LINES,
    )
    assert [read_frame_number(f) for f in _frames(sink.data)] == [0, 1, 2]
    assert result.frame_count == 3
    with pytest.raises(InvalidInput):
        cut_labelled_clip(
            io.BytesIO(source.data),
            RecordingSink(),
            start_frame=10,
            end_frame=10,
            fps=source.result.fps,
            lines=LINES,
        )
