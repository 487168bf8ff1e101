"""probe(): what each kind of film is, and a clear refusal for what is not a film."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from attunely.errors import AttunelyError, InvalidInput, MediaError
from attunely.media import probe
from tests.support import media_files as mf
from tests.unit.media.films import film


def test_normal_film() -> None:
    info = probe(io.BytesIO(film("normal")))
    assert info.container == "mp4"
    assert info.duration_s == pytest.approx(2.0, abs=0.05)
    assert info.size_bytes == len(film("normal"))
    assert info.bit_rate is not None and info.bit_rate > 0
    video = info.video
    assert (video.codec, video.width, video.height) == ("h264", 640, 360)
    assert (video.display_width, video.display_height, video.rotation) == (640, 360, 0)
    assert video.frame_rate == pytest.approx(30)
    assert video.nominal_frame_rate == pytest.approx(30)
    assert video.variable_frame_rate is False
    assert video.frame_count == 60
    assert info.audio is not None
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("aac", 48000, 2)
    assert info.truncated is False and info.warnings == []


def test_portrait_film_reports_rotation_and_upright_size() -> None:
    info = probe(io.BytesIO(film("portrait")))
    # Stored landscape, shown portrait after a quarter turn clockwise (the phone's "rotate=90").
    assert (info.video.width, info.video.height) == (640, 360)
    assert info.video.rotation == 90
    assert (info.video.display_width, info.video.display_height) == (360, 640)


@pytest.mark.parametrize(("matrix", "clockwise"), [(90, 270), (180, 180), (-90, 90)])
def test_every_rotation_is_read(matrix: int, clockwise: int) -> None:
    data = mf.film_bytes(width=320, height=180, seconds=0.5, rotation=matrix, audio_codec=None)
    assert probe(io.BytesIO(data)).video.rotation == clockwise


def test_hevc_60fps() -> None:
    info = probe(io.BytesIO(film("hevc60")))
    assert info.video.codec == "hevc"
    assert info.video.pixel_format == "yuv420p10le"
    assert info.video.frame_rate == pytest.approx(60)
    assert info.video.variable_frame_rate is False


def test_variable_frame_rate_is_detected_from_packet_timestamps() -> None:
    info = probe(io.BytesIO(film("vfr")))
    times = mf.vfr_times(3.0)
    assert info.video.variable_frame_rate is True
    # The cycle of intervals runs from 1/60 s to 1/15 s and its median is 1/30 s.
    assert info.video.min_frame_rate == pytest.approx(15, abs=0.1)
    assert info.video.max_frame_rate == pytest.approx(60, abs=0.1)
    assert info.video.nominal_frame_rate == pytest.approx(30, abs=0.1)
    measured = (len(times) - 1) / float(times[-1])
    assert info.video.frame_rate == pytest.approx(measured, rel=0.05)


def test_constant_rate_with_a_coarse_clock_is_not_called_variable() -> None:
    # WebM stamps frames in whole milliseconds: 33, 67, 100 ... jitter, not a variable rate.
    info = probe(io.BytesIO(film("webm")))
    assert info.video.variable_frame_rate is False
    assert info.video.nominal_frame_rate == pytest.approx(30, rel=0.02)


def test_browser_recording_without_duration_is_measured() -> None:
    info = probe(io.BytesIO(film("webm")))
    assert info.container == "webm"
    assert (info.video.codec, info.audio and info.audio.codec) == ("vp8", "opus")
    assert info.duration_s == pytest.approx(2.0, abs=0.05)


def test_no_audio() -> None:
    info = probe(io.BytesIO(film("no_audio")))
    assert info.audio is None
    assert info.video.codec == "h264"


def test_wrong_extension_is_judged_by_content(tmp_path: Path) -> None:
    name, data = mf.wrong_extension_film()
    path = tmp_path / name  # a synthetic film: fine on disk
    path.write_bytes(data)
    with path.open("rb") as handle:
        info = probe(handle)
    assert info.container == "webm"


def test_mid_file_corruption_still_probes() -> None:
    info = probe(io.BytesIO(film("corrupted")))
    assert info.duration_s == pytest.approx(4.0, abs=0.05)
    assert info.video.frame_count == 120


def test_truncated_film_with_index_first_reports_what_plays() -> None:
    info = probe(io.BytesIO(film("truncated_playable")))
    assert info.truncated is True
    assert 1.0 < info.duration_s < 2.5  # cut at 60 % of a 3 s film
    assert "ends early" in info.warnings[0]


@pytest.mark.parametrize(
    ("data", "reason", "words"),
    [
        (mf.zero_length_file(), "empty", "empty"),
        (mf.not_a_video_file(), "not_video", "not a video"),
        (mf.audio_only_file(), "audio_only", "sound but no picture"),
        (mf.still_image_file(), "still_image", "still picture"),
        (mf.truncated_film(index_at_end=True), "truncated", "incomplete"),
        (mf.unsupported_codec_film(), "unsupported_codec", "cannot decode"),
    ],
    ids=["zero-length", "not-a-video", "audio-only", "still-image", "truncated", "codec"],
)
def test_refusals_say_why(data: bytes, reason: str, words: str) -> None:
    with pytest.raises(MediaError) as caught:
        probe(io.BytesIO(data))
    assert caught.value.reason == reason
    assert words in caught.value.message
    # The web edge maps InvalidInput to 422: bad media must never become a 500.
    assert isinstance(caught.value, InvalidInput)


def test_source_errors_are_not_disguised_as_bad_media() -> None:
    """The vault's reader raises its own error (say, failed authentication): it must surface."""

    class Tampered(AttunelyError):
        pass

    data = film("normal")

    class FailingReader(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() > len(data) // 2:
                raise Tampered("chunk failed authentication")
            return super().read(size)

    with pytest.raises(Tampered):
        probe(FailingReader(data))


def test_source_is_left_open() -> None:
    source = io.BytesIO(film("normal"))
    probe(source)
    assert not source.closed
