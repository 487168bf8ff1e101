"""The decode edge: films in, 16 kHz mono samples and small grey frames out.

Everything after this module works on arrays. `MediaSource` is the small interface the
pipeline needs; `open_media` gives one backed by PyAV (FFmpeg) for a file, and `ArrayMedia`
one backed by arrays, so tests can feed the pipeline without writing files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager, nullcontext
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Protocol

import av
import av.error
import numpy as np
import numpy.typing as npt

from attunely.analysis.arrays import F32, SAMPLE_RATE, require_positive
from attunely.analysis.soundtrack import AudioPiece, Track, pieces_of
from attunely.errors import InvalidInput

U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class MediaInfo:
    """What a film holds.

    Attributes
    ----------
    duration_s : float
        Length in seconds (container's estimate; 0 if unknown).
    has_audio, has_video : bool
    width, height : int
        Picture size in pixels (0 without video).
    fps : float
        Average frame rate (0 without video).
    """

    duration_s: float
    has_audio: bool
    has_video: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    audio_codec: str | None = None
    video_codec: str | None = None


@dataclass
class DecodeReport:
    """What could not be decoded, for the report's notes."""

    skipped_audio_packets: int = 0
    skipped_video_packets: int = 0
    decoded_video_frames: int = 0
    stopped_early_at_s: float | None = None
    notes: list[str] = field(default_factory=list)


class MediaSource(Protocol):
    """The pipeline's view of a film."""

    @property
    def info(self) -> MediaInfo: ...

    @property
    def report(self) -> DecodeReport: ...

    def audio(self) -> F32 | None:
        """The whole soundtrack as (n,) float32 at 16 kHz mono, or None without audio."""
        ...

    def audio_pieces(self, *, piece_s: float, overlap_s: float) -> Iterator[AudioPiece]:
        """The soundtrack in order, `piece_s` seconds at a time with `overlap_s` of context on
        either side, never holding much more than one piece (nothing without audio)."""
        ...

    def grey_frames(self, *, fps: float, width: int) -> Iterator[tuple[float, U8]]:
        """Yield (time in s, (h, width) uint8 grey frame) at about `fps` frames per second."""
        ...

    def frames(
        self, *, fps: float, width: int, colour_fps: float, colour_width: int
    ) -> Iterator[tuple[float, U8, U8 | None]]:
        """Like grey_frames, plus an (h, colour_width, 3) uint8 RGB picture of the same frame
        at about `colour_fps` per second (None in between; colour_fps 0: never)."""
        ...

    def stills(self, times: list[float], *, width: int) -> list[U8 | None]:
        """(h, width, 3) uint8 RGB pictures at the given times (None where none decodes)."""
        ...


def _scaled_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    """Keep the aspect ratio; even sizes keep swscale and JPEG encoders happy."""
    target_width = min(target_width, width) if width else target_width
    target_width -= target_width % 2
    target_height = max(2, round(height * target_width / max(width, 1)))
    return max(2, target_width), target_height + target_height % 2


# Pixel formats whose first plane is the 8-bit luma (brightness) picture.
LUMA_FIRST = frozenset(
    {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}
)


def shrink_luma(frame: av.VideoFrame, *, factor: int) -> U8:
    """The frame's brightness shrunk by an integer factor, straight from its luma plane.

    Each output pixel averages up to 4 x 4 luma samples spread over its factor x factor
    cell: enough averaging to keep camera grain under the motion threshold, at a tenth of
    the cost of a full swscale resize (which for 720p costs as much as decoding does).

    Returns
    -------
    (height // factor, width // factor) uint8
    """
    plane = frame.planes[0]
    # A view on the decoder's buffer: rows are line_size bytes apart (padding included).
    luma = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(-1, plane.line_size)
    luma = luma[: frame.height, : frame.width]
    if factor <= 1:
        return luma.copy()
    rows, cols = frame.height // factor, frame.width // factor
    taps = min(4, factor)
    offsets = [(k * factor) // taps for k in range(taps)]
    total = np.zeros((rows, cols), dtype=np.uint16)
    for dy in offsets:
        for dx in offsets:
            # A strided view picks one sample per cell; summing taps x taps of them averages.
            total += luma[dy : rows * factor : factor, dx : cols * factor : factor]
    shrunk: U8 = (total // (taps * taps)).astype(np.uint8)
    return shrunk


class FileMedia:
    """A film on disk, decoded with PyAV. Create with `open_media`."""

    def __init__(
        self,
        path: Path,
        info: MediaInfo,
        start_s: float,
        opener: Callable[[], BinaryIO] | None = None,
    ) -> None:
        self.path = path
        # The server reads films from the vault through a file object, never a path.
        self._opener = opener
        self._info = info
        self._start_s = start_s
        self._report = DecodeReport()

    @contextmanager
    def _open(self) -> Iterator[av.container.InputContainer]:
        # PyAV never closes a file object it was given, so close the opener's one here.
        source = self._opener() if self._opener is not None else None
        try:
            with av.open(source if source is not None else str(self.path), mode="r") as c:
                yield c
        finally:
            if source is not None:
                source.close()

    @property
    def info(self) -> MediaInfo:
        return self._info

    @property
    def report(self) -> DecodeReport:
        return self._report

    def audio(self) -> F32 | None:
        if not self._info.has_audio:
            return None
        # One buffer sized from the container's duration, grown if that was short: the
        # soundtrack is held once, never as pieces plus their concatenation.
        track = Track(round((self._info.duration_s + 1.0) * SAMPLE_RATE))
        for block in self._sound_blocks():
            track.append(block)
        if track.filled == 0:
            return None
        return track.samples()

    def audio_pieces(
        self, *, piece_s: float = 300.0, overlap_s: float = 30.0
    ) -> Iterator[AudioPiece]:
        if not self._info.has_audio:
            return
        yield from pieces_of(self._sound_blocks(), piece_s=piece_s, overlap_s=overlap_s)

    def _sound_blocks(self) -> Iterator[F32]:
        """The soundtrack as consecutive float32 blocks at 16 kHz mono, gaps as silence."""
        position = 0
        with self._open() as container:
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
            for frames in _decode_packets(container, stream, self._report, audio=True):
                for frame in frames:
                    assert isinstance(frame, av.AudioFrame)
                    # A frame's own time stamp places it; a gap left by a damaged packet is
                    # filled with silence so sound stays in step with the picture.
                    if frame.time is not None:
                        expected = round((frame.time - self._start_s) * SAMPLE_RATE)
                        if expected - position > SAMPLE_RATE // 20:
                            yield np.zeros(expected - position, dtype=np.float32)
                            position = expected
                    for out in resampler.resample(frame):
                        block = np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1)
                        position += block.size
                        yield block
            for out in resampler.resample(None):
                block = np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1)
                position += block.size
                yield block
        if position == 0:
            self._report.notes.append("the audio track held no decodable sound")

    def grey_frames(self, *, fps: float, width: int) -> Iterator[tuple[float, U8]]:
        for t, grey, _ in self.frames(fps=fps, width=width, colour_fps=0.0, colour_width=2):
            yield t, grey

    def frames(
        self, *, fps: float, width: int, colour_fps: float, colour_width: int
    ) -> Iterator[tuple[float, U8, U8 | None]]:
        require_positive("fps", fps)
        require_positive("width", width)
        require_positive("colour_width", colour_width)
        if not np.isfinite(colour_fps) or colour_fps < 0:
            raise InvalidInput("colour_fps must be 0 or more", field="colour_fps")
        if not self._info.has_video:
            return
        out_w, out_h = _scaled_size(self._info.width, self._info.height, width)
        colour_w, colour_h = _scaled_size(self._info.width, self._info.height, colour_width)
        factor = max(1, self._info.width // width)
        step = 1.0 / fps
        next_time = 0.0
        colour_step = 1.0 / colour_fps if colour_fps > 0 else None
        next_colour = 0.0
        with self._open() as container:
            stream = container.streams.video[0]
            # Frame threading uses every core, as `ffmpeg` itself does.
            stream.thread_type = "AUTO"
            for frames in _decode_packets(container, stream, self._report, audio=False):
                for frame in frames:
                    assert isinstance(frame, av.VideoFrame)
                    self._report.decoded_video_frames += 1
                    t = (frame.time or 0.0) - self._start_s
                    if t + 1e-6 < next_time:
                        continue
                    next_time = max(next_time + step, t + step * 0.5)
                    rgb: U8 | None = None
                    if colour_step is not None and t + 1e-6 >= next_colour:
                        next_colour = max(next_colour + colour_step, t + colour_step * 0.5)
                        # Only the few pictures for the person detector pay for a colour scale.
                        picture = frame.reformat(width=colour_w, height=colour_h, format="rgb24")
                        rgb = np.asarray(picture.to_ndarray(), dtype=np.uint8)
                    if frame.format.name in LUMA_FIRST:
                        yield t, shrink_luma(frame, factor=factor), rgb
                    else:
                        # Other pixel formats: swscale shrinks and drops colour in one pass.
                        small = frame.reformat(
                            width=out_w, height=out_h, format="gray", interpolation="AREA"
                        )
                        yield t, np.asarray(small.to_ndarray(), dtype=np.uint8), rgb

    def stills(self, times: list[float], *, width: int) -> list[U8 | None]:
        require_positive("width", width)
        if not self._info.has_video:
            return [None for _ in times]
        out_w, out_h = _scaled_size(self._info.width, self._info.height, width)
        result: list[U8 | None] = []
        with self._open() as container:
            stream = container.streams.video[0]
            base = stream.time_base or Fraction(1, 1000)
            for t in times:
                picture: U8 | None = None
                try:
                    target = int((t + self._start_s) / base)
                    container.seek(target, stream=stream, backward=True)
                    for frame in container.decode(stream):
                        rgb = frame.reformat(width=out_w, height=out_h, format="rgb24")
                        picture = np.asarray(rgb.to_ndarray(), dtype=np.uint8)
                        if (frame.time or 0.0) - self._start_s >= t - 0.02:
                            break
                except (av.error.FFmpegError, ValueError):
                    picture = None
                result.append(picture)
        return result


def _decode_packets(
    container: av.container.InputContainer,
    stream: av.stream.Stream,
    report: DecodeReport,
    *,
    audio: bool,
) -> Iterator[list[av.AudioFrame | av.VideoFrame]]:
    """Decode a stream packet by packet, skipping (and counting) damaged packets."""
    demuxer = container.demux(stream)
    while True:
        try:
            packet = next(demuxer)
        except StopIteration:
            break
        except av.error.FFmpegError as exc:
            report.stopped_early_at_s = report.stopped_early_at_s or 0.0
            report.notes.append(f"reading stopped early: the file is damaged ({exc.strerror})")
            break
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            if audio:
                report.skipped_audio_packets += 1
            else:
                report.skipped_video_packets += 1
            continue
        yield [f for f in frames if isinstance(f, av.AudioFrame | av.VideoFrame)]


def open_media(path: Path, *, opener: Callable[[], BinaryIO] | None = None) -> FileMedia:
    """Open a film (or sound recording) for analysis.

    Parameters
    ----------
    path : Path
        The film's file; with `opener`, only its name is used (in messages).
    opener : callable returning a seekable binary file object, optional
        Called each time the film must be read from the start (the vault's decrypting reader).

    Raises
    ------
    InvalidInput
        The file is missing, not a file, or not something FFmpeg can decode.
    """
    if opener is None and not path.exists():
        raise InvalidInput(f"{path} does not exist", field="film")
    if opener is None and not path.is_file():
        raise InvalidInput(f"{path} is not a file", field="film")
    source = opener() if opener is not None else None
    try:
        container = av.open(source if source is not None else str(path), mode="r")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        if source is not None:
            source.close()
        raise InvalidInput(
            f"{path.name} is not a video or audio file this program can read", field="film"
        ) from exc
    with closing(source) if source is not None else nullcontext(), container:
        audio_streams = [s for s in container.streams.audio if s.codec_context is not None]
        video_streams = [
            s
            for s in container.streams.video
            if s.codec_context is not None and (s.codec_context.width or 0) > 0
        ]
        if not audio_streams and not video_streams:
            raise InvalidInput(f"{path.name} has no audio or video track", field="film")
        start_s = container.start_time / 1e6 if container.start_time is not None else 0.0
        duration_s = container.duration / 1e6 if container.duration is not None else 0.0
        video = video_streams[0] if video_streams else None
        info = MediaInfo(
            duration_s=max(0.0, duration_s),
            has_audio=bool(audio_streams),
            has_video=video is not None,
            width=video.codec_context.width if video else 0,
            height=video.codec_context.height if video else 0,
            fps=float(video.average_rate or 0) if video else 0.0,
            audio_codec=audio_streams[0].codec_context.name if audio_streams else None,
            video_codec=video.codec_context.name if video else None,
        )
    return FileMedia(path, info, max(0.0, start_s), opener)


class ArrayMedia:
    """A film held as arrays, for tests and for callers that decode elsewhere.

    Parameters
    ----------
    audio : (n,) float32 at 16 kHz, or None
    frames : (n_frames, h, w) uint8 grey frames, or None
    fps : float
        Rate of `frames`.
    """

    def __init__(
        self,
        *,
        audio: F32 | None = None,
        frames: U8 | None = None,
        fps: float = 10.0,
        colour: U8 | None = None,
    ) -> None:
        if frames is not None and (frames.ndim != 3 or frames.dtype != np.uint8):
            raise InvalidInput("frames must be an (n, height, width) uint8 array")
        if colour is not None and (
            frames is None
            or colour.dtype != np.uint8
            or colour.shape[:3] != frames.shape
            or colour.ndim != 4
            or colour.shape[3] != 3
        ):
            raise InvalidInput("colour must be an (n, height, width, 3) uint8 array like frames")
        require_positive("fps", fps)
        self._colour = colour
        self._audio = None if audio is None else np.asarray(audio, dtype=np.float32)
        self._frames = frames
        self._fps = fps
        n_video = 0 if frames is None else frames.shape[0]
        length = max(
            0.0 if audio is None else audio.size / SAMPLE_RATE, n_video / fps if n_video else 0.0
        )
        self._info = MediaInfo(
            duration_s=length,
            has_audio=audio is not None,
            has_video=frames is not None,
            width=0 if frames is None else frames.shape[2],
            height=0 if frames is None else frames.shape[1],
            fps=fps if frames is not None else 0.0,
        )
        self._report = DecodeReport()

    @property
    def info(self) -> MediaInfo:
        return self._info

    @property
    def report(self) -> DecodeReport:
        return self._report

    def audio(self) -> F32 | None:
        return self._audio

    def audio_pieces(
        self, *, piece_s: float = 300.0, overlap_s: float = 30.0
    ) -> Iterator[AudioPiece]:
        if self._audio is None:
            return
        # One block: the track is in memory already; the pieces are copies of its parts.
        yield from pieces_of([self._audio], piece_s=piece_s, overlap_s=overlap_s)

    def grey_frames(self, *, fps: float, width: int) -> Iterator[tuple[float, U8]]:
        for t, grey, _ in self.frames(fps=fps, width=width, colour_fps=0.0, colour_width=2):
            yield t, grey

    def frames(
        self, *, fps: float, width: int, colour_fps: float, colour_width: int
    ) -> Iterator[tuple[float, U8, U8 | None]]:
        """Frames as given (no resizing); colour ones from `colour` or the grey repeated."""
        require_positive("fps", fps)
        if self._frames is None:
            return
        stride = max(1, round(self._fps / fps))
        next_colour = 0.0
        for i in range(0, self._frames.shape[0], stride):
            self._report.decoded_video_frames += 1
            t = i / self._fps
            rgb: U8 | None = None
            if colour_fps > 0 and t + 1e-6 >= next_colour:
                next_colour = max(next_colour + 1 / colour_fps, t + 0.5 / colour_fps)
                rgb = (
                    self._colour[i]
                    if self._colour is not None
                    else np.repeat(self._frames[i][:, :, None], 3, axis=2)
                )
            yield t, self._frames[i], rgb

    def stills(self, times: list[float], *, width: int) -> list[U8 | None]:
        if self._frames is None:
            return [None for _ in times]
        out: list[U8 | None] = []
        for t in times:
            index = int(np.clip(round(t * self._fps), 0, self._frames.shape[0] - 1))
            if self._colour is not None:
                out.append(self._colour[index].copy())
                continue
            grey = self._frames[index]
            # Repeat the grey plane into RGB so every still has the same shape.
            out.append(np.repeat(grey[:, :, None], 3, axis=2))
        return out
