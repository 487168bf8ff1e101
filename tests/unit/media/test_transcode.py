"""make_proxy(): a browser-playable, upright, constant-rate MP4, exact to the frame."""

from __future__ import annotations

import io
import json
import subprocess
from fractions import Fraction

import av
import numpy as np
import pytest

from attunely.errors import InvalidInput, MediaError
from attunely.media import make_proxy, proxy_frame_rate
from tests.support import media_files as mf
from tests.unit.media.films import FILMS, RecordingSink, film, proxied

PLAYABLE = list(FILMS)


def _boxes(data: bytes) -> list[str]:
    names, at = [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        names.append(data[at + 4 : at + 8].decode("latin-1"))
        at += size
    return names


@pytest.mark.parametrize("kind", PLAYABLE)
def test_proxy_decodes_fully_at_a_constant_rate_with_a_keyframe_every_second(kind: str) -> None:
    proxy = proxied(kind)
    result = proxy.result
    assert result.bytes_written == len(proxy.data) > 0
    with av.open(io.BytesIO(proxy.data)) as container:
        video = container.streams.video[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        times, keys, frames = [], [], []
        for packet in container.demux(video):
            frames += packet.decode()
            if packet.pts is None:
                continue
            assert packet.time_base is not None
            times.append(packet.pts * packet.time_base)
            keys.append(packet.is_keyframe)
    # Every packet decodes, no frame is flagged damaged, and the count matches the result.
    assert len(frames) == len(times) == result.frame_count
    assert not any(frame.is_corrupt for frame in frames)
    # Constant rate: frame N at exactly N / fps.
    assert times == [Fraction(n) / result.fps for n in range(result.frame_count)]
    # A keyframe on every whole second's frame and nowhere else (scene cuts add none).
    assert keys == [n % result.keyframe_interval == 0 for n in range(result.frame_count)]
    assert result.keyframe_interval / result.fps <= 1
    # Bounded size, even sides.
    assert result.height <= 720 and result.width <= 1280
    assert result.width % 2 == 0 and result.height % 2 == 0
    assert (frames[0].width, frames[0].height) == (result.width, result.height)


@pytest.mark.parametrize("kind", ["normal", "no_audio", "webm", "full_hd", "portrait"])
def test_every_output_frame_shows_its_own_number(kind: str) -> None:
    proxy = proxied(kind)
    numbers = [mf.frame_number_of(frame) for frame in mf.frames_of(proxy.data)]
    assert numbers == list(range(len(numbers)))
    assert proxy.result.fps == 30


def test_60fps_hevc_becomes_30fps_h264_showing_every_second_frame() -> None:
    proxy = proxied("hevc60")
    assert proxy.result.fps == 30
    assert proxy.result.frame_count == 60
    numbers = [mf.frame_number_of(frame) for frame in mf.frames_of(proxy.data)]
    assert numbers == [2 * n for n in range(60)]


def test_variable_rate_becomes_constant_and_each_frame_is_the_picture_then_on_screen() -> None:
    proxy = proxied("vfr")
    result = proxy.result
    assert result.fps == 30
    times = mf.vfr_times(3.0)
    numbers = [mf.frame_number_of(frame) for frame in mf.frames_of(proxy.data)]
    assert numbers == mf.expected_numbers(times, result.fps, result.frame_count)
    # Within half a frame of the true timing, in both directions.
    for n, shown in enumerate(numbers):
        assert times[shown] <= Fraction(n) / result.fps + Fraction(1, 2) / result.fps
        if shown + 1 < len(times):
            assert times[shown + 1] > Fraction(n) / result.fps - Fraction(1, 2) / result.fps


@pytest.mark.parametrize("matrix", [-90, 90, 180])
def test_rotated_films_come_out_upright(matrix: int) -> None:
    data = mf.film_bytes(width=360, height=640, seconds=0.5, rotation=matrix, audio_codec=None)
    sink = RecordingSink()
    result = make_proxy(io.BytesIO(data), sink)
    frames = mf.frames_of(sink.data)
    assert (result.width, result.height) == (frames[0].width, frames[0].height) == (360, 640)
    # The code row reads only when it is at the top, left to right: the picture is upright.
    assert [mf.frame_number_of(f) for f in frames] == list(range(15))


def test_full_hd_is_scaled_to_720p_and_portrait_to_720_high() -> None:
    assert (proxied("full_hd").result.width, proxied("full_hd").result.height) == (1280, 720)
    tall = mf.film_bytes(width=1080, height=1920, seconds=0.2, rotation=-90, audio_codec=None)
    result = make_proxy(io.BytesIO(tall), RecordingSink())
    # 1080 x 1920 scaled by 720/1920 is 405 x 720; the width must be even.
    assert result.width in (404, 406) and result.height == 720
    assert result.rotation_applied == 90


def test_smaller_bounds_are_respected() -> None:
    result = make_proxy(io.BytesIO(film("normal")), RecordingSink(), max_height=240)
    assert (result.width, result.height) == (426, 240)


def test_sound_stays_in_step_with_the_picture() -> None:
    proxy = proxied("normal")
    assert proxy.result.has_audio
    with av.open(io.BytesIO(proxy.data)) as container:
        stream = container.streams.audio[0]
        assert (stream.codec_context.name, stream.codec_context.sample_rate) == ("aac", 48000)
        chunks, starts = [], []
        for frame in container.decode(audio=0):
            assert frame.time is not None
            starts.append(frame.time)
            chunks.append(frame.to_ndarray()[0])
    rate = 48000
    samples = np.concatenate(chunks)
    begin = starts[0]
    # The tone is loud from 0.0-0.5 s, quiet from 0.5-1.0 s, loud again from exactly 1.0 s,
    # when frame 30 is shown. Find that onset in the proxy's sound.
    window = samples[int((0.75 - begin) * rate) :]
    onset = 0.75 + int(np.argmax(np.abs(window) > 0.4)) / rate
    assert onset == pytest.approx(1.0, abs=0.005)


def test_no_audio_film_has_no_sound_track() -> None:
    proxy = proxied("no_audio")
    assert proxy.result.has_audio is False
    with av.open(io.BytesIO(proxy.data)) as container:
        assert not container.streams.audio
    assert proxy.result.mime_type.startswith('video/mp4; codecs="avc1.')
    assert "mp4a" not in proxy.result.mime_type


def test_damaged_middle_is_skipped_counted_and_timing_kept() -> None:
    proxy = proxied("corrupted")
    result = proxy.result
    assert result.skipped_video + result.skipped_audio >= 1
    assert result.frame_count == 120  # the whole 4 s, at 30 fps
    numbers = [mf.frame_number_of(frame) for frame in mf.frames_of(proxy.data)]
    # A skipped picture is covered by repeating the one before; everything else is in place.
    mismatched = [n for n, shown in enumerate(numbers) if shown != n]
    assert 0 < len(mismatched) <= 3
    assert all(numbers[n] == n - 1 for n in mismatched)


def test_truncated_film_with_index_first_gives_what_plays() -> None:
    proxy = proxied("truncated_playable")
    numbers = [mf.frame_number_of(frame) for frame in mf.frames_of(proxy.data)]
    assert 30 < len(numbers) < 75
    assert numbers == list(range(len(numbers)))


@pytest.mark.parametrize(
    "data",
    [mf.zero_length_file(), mf.audio_only_file(), mf.not_a_video_file()],
    ids=["zero-length", "audio-only", "not-a-video"],
)
def test_refused_films_write_nothing(data: bytes) -> None:
    sink = RecordingSink()
    with pytest.raises(MediaError):
        make_proxy(io.BytesIO(data), sink)
    assert sink.chunks == []


def test_sink_is_only_ever_written_in_order() -> None:
    proxy = proxied("normal")
    assert proxy.sink.other_calls == []
    assert len(proxy.sink.chunks) > 1  # streamed out in pieces, not gathered in memory


def test_output_is_a_fragmented_mp4_that_an_independent_demuxer_accepts() -> None:
    """Structure Chromium plays: ftyp, moov (with mvex) first, then moof/mdat pairs, mfra."""
    data = proxied("portrait").data
    boxes = _boxes(data)
    assert boxes[:2] == ["ftyp", "moov"]
    assert boxes[-1] == "mfra"
    middle = boxes[2:-1]
    assert middle and middle == ["moof", "mdat"] * (len(middle) // 2)
    assert b"mvex" in data[: data.index(b"moof")]
    # Debian's ffprobe (another FFmpeg build) reads it from a pipe, so no seeking is needed.
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", "-"],
        input=data,
        capture_output=True,
        check=True,
    )
    report = json.loads(probe.stdout)
    video, audio = report["streams"]
    assert (video["codec_name"], video["profile"], video["pix_fmt"]) == ("h264", "High", "yuv420p")
    assert (video["width"], video["height"], video["avg_frame_rate"]) == (360, 640, "30/1")
    assert "side_data_list" not in video  # no rotation left for the player to apply
    assert (audio["codec_name"], audio["profile"], audio["sample_rate"]) == ("aac", "LC", "48000")
    assert report["format"]["tags"]["major_brand"] == "iso5"


def test_progress_rises_to_one() -> None:
    progress = proxied("vfr").progress
    assert len(progress) > 10
    assert progress == sorted(progress)
    assert 0 <= progress[0] < 0.1
    assert progress[-1] == 1.0


def test_progress_callback_can_cancel() -> None:
    class Cancelled(Exception):
        pass

    def stop(fraction: float) -> None:
        if fraction > 0.3:
            raise Cancelled

    with pytest.raises(Cancelled):
        make_proxy(io.BytesIO(film("normal")), RecordingSink(), progress=stop)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (30.0, Fraction(30)),
        (29.97, Fraction(30000, 1001)),
        (25.0, Fraction(25)),
        (24.0, Fraction(24)),
        (60.0, Fraction(30)),
        (59.94, Fraction(30000, 1001)),
        (50.0, Fraction(25)),
        (120.0, Fraction(30)),
        (48.0, Fraction(24)),
        (26.8, Fraction(27)),
        (12.0, Fraction(12)),
        (0.0, Fraction(30)),
    ],
)
def test_proxy_frame_rate(rate: float, expected: Fraction) -> None:
    assert proxy_frame_rate(rate, max_fps=30) == expected


def test_proxy_frame_rate_rejects_a_silly_cap() -> None:
    with pytest.raises(InvalidInput):
        proxy_frame_rate(30.0, max_fps=0)
