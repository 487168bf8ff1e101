"""What a film is: container, duration, picture, frame rate (constant or not), rotation, sound.

`probe` refuses what is not a film with a `MediaError` that says why (empty, not a video,
sound only, a still picture, cut off before its index, a codec we cannot decode, no picture
decodable). A film damaged in the middle still probes: only the start is decoded.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import av
import av.error
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.packet import Packet
from av.stream import Disposition
from av.video.stream import VideoStream
from pydantic import BaseModel, ConfigDict

from attunely.errors import MediaError
from attunely.media.files import PacketReader, Source, mp4_cut_short, open_input, reader
from attunely.media.picture import clockwise_rotation, upright_size

# Timestamps of this many video packets are enough to judge the frame rate (about 20 s at
# 30 fps) without reading a long film to its end.
SCAN_PACKETS = 600
# Give up looking for a first decodable picture after this many packets.
FIRST_PICTURE_PACKETS = 300
# Frame intervals further than this share of the typical interval (or 1.5 clock ticks,
# whichever is larger) from it count as irregular ...
_INTERVAL_TOLERANCE = 0.1
# ... and a film with more than this share of irregular intervals is variable-frame-rate.
_VFR_SHARE = 0.02

# Formats in which FFmpeg opens a single picture as a one-frame "video".
_STILL_FORMATS = {"image2", "apng", "gif", "webp", "ico"}


class VideoInfo(BaseModel):
    """The picture of a film. Sizes in pixels, rates in frames per second."""

    model_config = ConfigDict(frozen=True)

    codec: str
    profile: str | None
    pixel_format: str | None
    # As stored in the file (before rotation).
    width: int
    height: int
    # Degrees to turn the stored picture clockwise to show it upright: 0, 90, 180 or 270.
    rotation: int
    # As shown, after rotation.
    display_width: int
    display_height: int
    # Average rate, as the container declares it (or as measured when it does not).
    frame_rate: float
    # The usual rate between frames (from the median frame interval): for a phone film with
    # a variable rate this is the rate it was trying to keep.
    nominal_frame_rate: float
    # True when frame intervals vary (phones in low light, browser recordings).
    variable_frame_rate: bool
    # Lowest and highest instantaneous rate seen in the packets scanned.
    min_frame_rate: float | None
    max_frame_rate: float | None
    frame_count: int | None


class AudioInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    codec: str
    sample_rate: int
    channels: int


class ProbeResult(BaseModel):
    """Everything `attunely media show` prints about a film."""

    model_config = ConfigDict(frozen=True)

    container: str
    duration_s: float
    size_bytes: int
    bit_rate: int | None
    video: VideoInfo
    audio: AudioInfo | None
    # The file ends early; `duration_s` is then what can actually be played.
    truncated: bool = False
    # Readable remarks for the practitioner ("the film ends early ...").
    warnings: list[str] = []


def probe(source: Source) -> ProbeResult:
    """Describe the film in `source` (a seekable binary file-like object).

    Reads the container header, decodes the first picture and scans the timestamps of the
    first `SCAN_PACKETS` video packets (all packets when the duration is not recorded, as in
    browser recordings, or when the file is cut short).

    Raises
    ------
    MediaError
        With `reason` one of: empty, not_video, audio_only, still_image, truncated,
        unsupported_codec, undecodable.
    """
    src = reader(source)
    truncated = mp4_cut_short(src)
    with open_input(src) as container:
        # Everything is read inside: PyAV's stream objects are invalid once it is closed.
        return _describe(container, size=src.size, truncated=truncated)


def _describe(container: InputContainer, *, size: int, truncated: bool) -> ProbeResult:
    video = film_stream(container)
    audio = container.streams.audio[0] if container.streams.audio else None
    declared = _declared_duration(container)
    scan = _scan(container, video, audio, full=truncated or declared is None)
    rotation = clockwise_rotation(scan.first_frame)

    warnings = []
    duration = declared if declared is not None else scan.end_time
    if truncated:
        warnings.append(
            f"The file ends early: {scan.end_time:.1f} s of the {duration:.1f} s it "
            "announces can be played. It may have been cut off while copying."
        )
        duration = scan.end_time
    if duration <= 0:
        raise MediaError("No playable video was found in this file.", reason="undecodable")

    rates = _frame_rates(scan.video_times, video)
    width, height = video.codec_context.width, video.codec_context.height
    display_w, display_h = upright_size(width, height, rotation)
    frame_count = video.frames or round(duration * rates.average)
    return ProbeResult(
        container=_container_name(container, video, audio),
        duration_s=round(duration, 3),
        size_bytes=size,
        bit_rate=container.bit_rate or round(size * 8 / duration),
        video=VideoInfo(
            codec=video.codec_context.name,
            profile=video.profile,
            pixel_format=video.codec_context.pix_fmt,
            width=width,
            height=height,
            rotation=rotation,
            display_width=display_w,
            display_height=display_h,
            frame_rate=round(rates.average, 3),
            nominal_frame_rate=round(rates.nominal, 3),
            variable_frame_rate=rates.variable,
            min_frame_rate=rates.minimum,
            max_frame_rate=rates.maximum,
            frame_count=frame_count if not truncated else None,
        ),
        audio=_audio_info(audio),
        truncated=truncated,
        warnings=warnings,
    )


def film_stream(container: InputContainer) -> VideoStream:
    """The film's picture stream, or a `MediaError` saying why there is none we can use."""
    videos = [s for s in container.streams.video if not s.disposition & Disposition.attached_pic]
    if not videos:
        if container.streams.audio:
            raise MediaError(
                "This file has sound but no picture. Attunely keeps films (video) only; "
                "please upload the video recording.",
                reason="audio_only",
            )
        raise MediaError(
            "This file holds no video, so it is not a film we can use.", reason="not_video"
        )
    fmt = container.format.name
    if fmt in _STILL_FORMATS or fmt.endswith("_pipe"):
        raise MediaError(
            "This is a still picture, not a film. Please upload the video recording.",
            reason="still_image",
        )
    stream = max(videos, key=_picture_area)
    if stream.codec_context is None:
        raise MediaError(
            "The film's video is in a format (codec) this server cannot decode. "
            "Exporting it again as H.264 or HEVC MP4 from the camera or phone should work.",
            reason="unsupported_codec",
        )
    return stream


def _picture_area(stream: VideoStream) -> int:
    context = stream.codec_context
    return context.width * context.height if context is not None else 0


def _declared_duration(container: InputContainer) -> float | None:
    if container.duration and container.duration > 0:
        return float(container.duration) / av.time_base
    return None


@dataclass
class _Scan:
    first_frame: av.VideoFrame
    video_times: list[float] = field(default_factory=list)
    end_time: float = 0.0


def _scan(
    container: InputContainer, video: VideoStream, audio: AudioStream | None, *, full: bool
) -> _Scan:
    """Decode the first picture and collect packet times (all of them when `full`)."""
    video.codec_context.thread_type = "AUTO"
    streams = (video, audio) if audio is not None else (video,)
    first: av.VideoFrame | None = None
    times: list[float] = []
    end = 0.0
    video_packets = 0
    for packet in PacketReader(container, streams):
        at = _packet_time(packet)
        if at is not None:
            end = max(end, at + _packet_duration(packet))
        if packet.stream is not video:
            continue
        video_packets += 1
        if at is not None and len(times) < SCAN_PACKETS:
            times.append(at)
        if first is None:
            first = _decode_first(video, packet)
            if first is None and video_packets >= FIRST_PICTURE_PACKETS:
                break
        if first is not None and not full and len(times) >= SCAN_PACKETS:
            break
    if first is None:
        first = _drain_first(video)
    if first is None:
        raise MediaError(
            "No picture could be decoded from the start of this file; it may be damaged or "
            "use a video format this server cannot decode.",
            reason="undecodable",
        )
    return _Scan(first_frame=first, video_times=times, end_time=end)


def _decode_first(video: VideoStream, packet: Packet[VideoStream]) -> av.VideoFrame | None:
    try:
        frames = video.decode(packet)
    except av.error.FFmpegError:
        return None
    return frames[0] if frames else None


def _drain_first(video: VideoStream) -> av.VideoFrame | None:
    try:
        frames = video.decode(None)
    except av.error.FFmpegError:
        return None
    return frames[0] if frames else None


def _packet_time(packet: Packet[Any]) -> float | None:
    stamp = packet.pts if packet.pts is not None else packet.dts
    if stamp is None or packet.time_base is None:
        return None
    return float(stamp * packet.time_base)


def _packet_duration(packet: Packet[Any]) -> float:
    if not packet.duration or packet.time_base is None:
        return 0.0
    return float(packet.duration * packet.time_base)


@dataclass(frozen=True)
class _Rates:
    average: float
    nominal: float
    variable: bool
    minimum: float | None
    maximum: float | None


def _frame_rates(times: list[float], video: VideoStream) -> _Rates:
    """Average rate, and whether intervals between frames vary (VFR), from packet times."""
    # Packets come in decode order; B-frames make that differ from display order.
    ordered = sorted(set(times))
    intervals = [b - a for a, b in itertools.pairwise(ordered) if b > a]
    declared = video.average_rate
    if not intervals:
        average = float(declared) if declared else 0.0
        return _Rates(average=average, nominal=average, variable=False, minimum=None, maximum=None)
    typical = statistics.median(intervals)
    tick = float(video.time_base) if video.time_base else 0.0
    tolerance = max(_INTERVAL_TOLERANCE * typical, 1.5 * tick)
    irregular = sum(1 for i in intervals if abs(i - typical) > tolerance)
    measured = len(intervals) / sum(intervals)
    average = float(declared) if declared else measured
    return _Rates(
        average=average,
        nominal=1 / typical,
        variable=irregular / len(intervals) > _VFR_SHARE,
        minimum=round(1 / max(intervals), 3),
        maximum=round(1 / min(intervals), 3),
    )


def _audio_info(audio: AudioStream | None) -> AudioInfo | None:
    if audio is None or audio.codec_context is None:
        return None
    context = audio.codec_context
    return AudioInfo(
        codec=context.name,
        sample_rate=context.sample_rate,
        channels=context.channels,
    )


def _container_name(
    container: InputContainer, video: VideoStream, audio: AudioStream | None
) -> str:
    """A short name for the container: mp4, mov, webm, matroska, avi, ..."""
    fmt = container.format.name
    if fmt.startswith("mov,"):
        brand = container.metadata.get("major_brand", "").strip()
        return "mov" if brand == "qt" else "mp4"
    if fmt == "matroska,webm":
        webm_codecs = {"vp8", "vp9", "av1", "opus", "vorbis"}
        codecs = {video.codec_context.name}
        if audio is not None and audio.codec_context is not None:
            codecs.add(audio.codec_context.name)
        return "webm" if codecs <= webm_codecs else "matroska"
    return fmt.split(",")[0]


def frame_rate_fraction(value: float) -> Fraction:
    """`value` as a fraction with a small denominator (30000/1001 for 29.97)."""
    return Fraction(value).limit_denominator(1001)
