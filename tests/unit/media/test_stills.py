"""Thumbnail strips and waveforms, on their own and collected during the proxy transcode."""

from __future__ import annotations

import io
import json
from fractions import Fraction

import av
import numpy as np
import pytest
from numpy.typing import NDArray

from attunely.errors import InvalidInput
from attunely.media import (
    PeakMeter,
    StripResult,
    ThumbnailCollector,
    make_proxy,
    thumbnail_strip,
    waveform,
)
from tests.support import media_files as mf
from tests.unit.media.films import RecordingSink, film, proxied


def _tiles(jpeg: bytes, layout: StripResult) -> list[NDArray[np.uint8]]:
    with av.open(io.BytesIO(jpeg)) as container:
        image = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert image.shape[:2] == (layout.rows * layout.tile_height, layout.columns * layout.tile_width)
    h, w = layout.tile_height, layout.tile_width
    return [
        image[(i // layout.columns) * h : (i // layout.columns + 1) * h,
              (i % layout.columns) * w : (i % layout.columns + 1) * w]
        for i in range(len(layout.times_s))
    ]  # fmt: skip


def test_strip_from_the_proxy_shows_the_right_moments_upright() -> None:
    sink = RecordingSink()
    layout = thumbnail_strip(
        io.BytesIO(proxied("portrait").data), sink, every_s=0.5, tile_height=320, columns=3
    )
    assert sink.data[:2] == b"\xff\xd8"  # a JPEG
    assert layout.bytes_written == len(sink.data)
    assert layout.times_s == [0.0, 0.5, 1.0, 1.5]
    assert (layout.tile_width, layout.tile_height, layout.columns, layout.rows) == (180, 320, 3, 2)
    numbers = [mf.read_frame_number(tile) for tile in _tiles(sink.data, layout)]
    assert numbers == [0, 15, 30, 45]


def test_strip_from_a_rotated_original_is_upright_too() -> None:
    sink = RecordingSink()
    layout = thumbnail_strip(io.BytesIO(film("portrait")), sink, every_s=1.0, tile_height=320)
    assert layout.tile_height > layout.tile_width  # portrait
    numbers = [mf.read_frame_number(tile) for tile in _tiles(sink.data, layout)]
    assert numbers == [0, 30]


def test_strip_from_a_recording_without_an_index() -> None:
    sink = RecordingSink()
    layout = thumbnail_strip(io.BytesIO(film("webm")), sink, every_s=0.5, tile_height=240)
    numbers = [mf.read_frame_number(tile) for tile in _tiles(sink.data, layout)]
    assert numbers == [0, 15, 30, 45]


def test_long_films_get_at_most_max_tiles() -> None:
    collector = ThumbnailCollector(every_s=5.0, duration_s=2 * 3600.0, max_tiles=400)
    assert collector.every_s == pytest.approx(18.0)


def test_collected_during_the_transcode() -> None:
    thumbs = ThumbnailCollector(every_s=1.0, tile_height=360, columns=4)
    peaks = PeakMeter(bucket_s=0.1)
    make_proxy(io.BytesIO(film("vfr")), RecordingSink(), thumbnails=thumbs, peaks=peaks)
    sink = RecordingSink()
    layout = thumbs.write_jpeg(sink)
    assert layout.times_s == [0.0, 1.0, 2.0, 3.0]
    numbers = [mf.read_frame_number(tile) for tile in _tiles(sink.data, layout)]
    # Output frames 0, 30, 60, 90 of the constant-rate proxy.
    expected = mf.expected_numbers(mf.vfr_times(3.0), Fraction(30), 91)
    assert numbers == [expected[n * 30] for n in range(4)]
    _assert_tone_pattern(peaks.result().peaks, seconds=3)


def _assert_tone_pattern(peaks: list[int], *, seconds: int) -> None:
    """The test tone is loud (0.8) for the first half of each second, quiet (0.05) after."""
    for second in range(seconds):
        loud = peaks[second * 10 + 1 : second * 10 + 4]
        quiet = peaks[second * 10 + 6 : second * 10 + 9]
        assert all(190 <= p <= 215 for p in loud), (second, loud)
        assert all(p <= 20 for p in quiet), (second, quiet)


@pytest.mark.parametrize("kind", ["normal", "webm"])
def test_waveform_of_an_original(kind: str) -> None:
    wave = waveform(io.BytesIO(film(kind)), bucket_s=0.1)
    assert wave.bucket_s == 0.1
    assert wave.duration_s == pytest.approx(2.0, abs=0.05)
    assert len(wave.peaks) in (20, 21)
    _assert_tone_pattern(wave.peaks, seconds=2)
    # Small and JSON-able as it is.
    assert len(json.dumps(wave.model_dump())) < 1000


def test_waveform_of_the_proxy_matches_the_original() -> None:
    original = waveform(io.BytesIO(film("normal")))
    proxy = waveform(io.BytesIO(proxied("normal").data))
    assert len(proxy.peaks) >= 20
    # Same timeline: the proxy's sound is in step with the original's.
    assert np.abs(np.array(proxy.peaks[:20]) - np.array(original.peaks[:20])).max() <= 8


def test_silent_film_has_an_empty_waveform() -> None:
    wave = waveform(io.BytesIO(film("no_audio")))
    assert wave.peaks == []


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(InvalidInput):
        PeakMeter(bucket_s=0)
    with pytest.raises(InvalidInput):
        ThumbnailCollector(every_s=-1)
    with pytest.raises(InvalidInput):
        ThumbnailCollector().write_jpeg(RecordingSink())
