"""Cut a clip out of the playback proxy and burn a visible label into every picture.

Used for clips shared outside the organisation: the copy that leaves carries, in its pixels,
who it was shared with and when, so a screen recording or a forwarded file still says so.

Choices, and why:

- **Re-encoded, never copied**: the label must be in the pixels, so every picture of the clip
  is decoded, labelled and encoded again, with the proxy's own settings (H.264, a keyframe
  every second, no B-frames, fragmented MP4 written strictly in order into the vault's
  encryptor; see transcode.py). Frame N of the clip is frame `start + N` of the proxy, shown
  at N / fps.
- **The sound is copied**: the proxy's AAC packets from the clip's span are passed through
  with their times moved back to the clip's start (a re-encode would cost quality and time,
  and nothing is drawn on sound). The first packet may click for a few milliseconds.
- **The label** is a dark band along the bottom with light text (Pillow's built-in scalable
  font, so no font file is read at run time), blended onto each picture in RGB. The text size
  follows the picture height and shrinks until the longest line fits the width.
- Nothing touches the disk: the proxy is read through the caller's decrypting reader and the
  clip goes to the caller's sink.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import av.error
import numpy as np
from av.container import InputContainer, OutputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from attunely.errors import InvalidInput, MediaError
from attunely.media.files import Sink, Source, open_input, reader, writer
from attunely.media.probe import film_stream
from attunely.media.transcode import FRAGMENTED_MP4, x264_options

#: Share of the picture height used for one line of the label, and the smallest text size.
TEXT_SHARE = 0.045
MIN_TEXT_PX = 9
#: How dark the band under the text is (0 transparent .. 1 black).
BAND_OPACITY = 0.6

Progress = Callable[[float], None]


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def _width(font: Font, text: str) -> int:
    return math.ceil(font.getbbox(text)[2]) if text else 0


def _wrap(font: Font, line: str, room: int) -> list[str]:
    """Break a line between words so each piece fits `room` (a lone long word stays whole)."""
    pieces: list[str] = []
    current = ""
    for word in line.split():
        attempt = f"{current} {word}" if current else word
        if current and _width(font, attempt) > room:
            pieces.append(current)
            current = word
        else:
            current = attempt
    return [*pieces, current] if current else pieces


def _fitting(lines: Sequence[str], size: int, room: int) -> tuple[Font, list[str]]:
    """The largest text size up to `size` at which every line fits `room` pixels; at the
    smallest size, lines that still do not fit are broken between words."""
    while True:
        font = ImageFont.load_default(size=size)
        if max(_width(font, line) for line in lines) <= room:
            return font, list(lines)
        if size <= MIN_TEXT_PX:
            return font, [piece for line in lines for piece in _wrap(font, line, room)]
        size -= 1


class Label:
    """The band of text drawn on every picture of a `width` x `height` film.

    `alpha` and `colour` cover the band's rows only (`top` to the bottom of the picture);
    `text_mask` says which of those pixels are text, for tests and for checking a render.
    """

    def __init__(self, lines: Sequence[str], *, width: int, height: int) -> None:
        lines = [line for line in (str(x).strip() for x in lines) if line]
        if not lines:
            raise InvalidInput("the label needs at least one line of text")
        if width < 16 or height < 16:
            raise InvalidInput("the picture is too small to carry a label")
        size = max(MIN_TEXT_PX, round(height * TEXT_SHARE))
        pad = max(2, size // 3)
        font, lines = _fitting(lines, size, width - 2 * pad)
        self.lines = lines
        # Height from the line's origin to the lowest descender, plus a little leading.
        line_h = math.ceil(font.getbbox("Ágjy|")[3]) + max(1, size // 6)
        band_h = min(height, line_h * len(lines) + 2 * pad)
        self.top = height - band_h
        canvas = Image.new("L", (width, band_h), 0)
        draw = ImageDraw.Draw(canvas)
        for index, line in enumerate(lines):
            x = max(pad, (width - _width(font, line)) // 2)
            draw.text((x, pad + index * line_h), line, font=font, fill=255)
        coverage: NDArray[np.float32] = np.asarray(canvas, dtype=np.float32) / 255.0
        self.text_mask: NDArray[np.bool_] = coverage > 0.5
        # Text is light and opaque; around it the band darkens the picture.
        self.alpha = np.maximum(coverage, BAND_OPACITY)[:, :, None].astype(np.float32)
        self.colour = (coverage * 255.0)[:, :, None].astype(np.float32)
        self.width, self.height = width, height

    def burn(self, rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
        """Blend the label into an (H, W, 3) RGB picture in place and return it."""
        if rgb.shape[0] != self.height or rgb.shape[1] != self.width:
            raise InvalidInput("the picture does not have the size the label was made for")
        band = rgb[self.top :].astype(np.float32)
        band = band * (1.0 - self.alpha) + self.colour * self.alpha
        rgb[self.top :] = np.clip(band + 0.5, 0, 255).astype(np.uint8)
        return rgb


@dataclass(frozen=True)
class CutResult:
    """What was written: frame N of the clip is frame `start_frame + N` of the source."""

    width: int
    height: int
    fps: Fraction
    start_frame: int
    frame_count: int
    duration_s: float
    has_audio: bool
    bytes_written: int


def cut_labelled_clip(
    source: Source,
    sink: Sink,
    *,
    start_frame: int,
    end_frame: int,
    fps: Fraction,
    lines: Sequence[str],
    crf: int = 23,
    preset: str = "veryfast",
    progress: Progress | None = None,
) -> CutResult:
    """Write frames [start_frame, end_frame) of the constant-rate `source` (a proxy made by
    `make_proxy`, frame N at N / fps) to `sink` as a fragmented MP4 with `lines` burned in.
    """
    if not 0 <= start_frame < end_frame:
        raise InvalidInput("a clip needs at least one frame: its end must come after its start")
    if fps <= 0:
        raise InvalidInput("the frame rate must be positive")
    out = writer(sink)
    with open_input(reader(source)) as container:
        job = _Cut(container, start_frame=start_frame, end_frame=end_frame, fps=fps)
        output = av.open(out, mode="w", format="mp4", options={"movflags": FRAGMENTED_MP4})
        try:
            job.run(output, lines=lines, crf=crf, preset=preset, progress=progress)
        finally:
            output.close()
    if job.frames_out == 0:
        raise MediaError("the clip's frames are not in the film", reason="empty_clip", field=None)
    return CutResult(
        width=job.width,
        height=job.height,
        fps=fps,
        start_frame=start_frame,
        frame_count=job.frames_out,
        duration_s=round(float(job.frames_out / fps), 3),
        has_audio=job.out_audio is not None,
        bytes_written=out.written,
    )


class _Cut:
    """One run of seek -> decode -> label -> encode, with the sound's packets copied."""

    def __init__(
        self, container: InputContainer, *, start_frame: int, end_frame: int, fps: Fraction
    ) -> None:
        self.container = container
        self.video: VideoStream = film_stream(container)
        self.video.codec_context.thread_type = "AUTO"
        audio = container.streams.audio[0] if container.streams.audio else None
        self.audio = audio if audio is not None and audio.codec_context is not None else None
        self.start, self.end, self.fps = start_frame, end_frame, fps
        self.width = self.video.codec_context.width
        self.height = self.video.codec_context.height
        self.frames_out = 0
        self.out_audio: Any = None
        self._reformatter = VideoReformatter()

    def _index(self, frame: VideoFrame) -> int:
        assert frame.pts is not None
        time_base = frame.time_base or self.video.time_base or Fraction(1, 90000)
        return round(frame.pts * time_base * self.fps)

    def run(
        self,
        output: OutputContainer,
        *,
        lines: Sequence[str],
        crf: int,
        preset: str,
        progress: Progress | None,
    ) -> None:
        label = Label(lines, width=self.width, height=self.height)
        stream = output.add_stream("libx264", rate=self.fps)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        stream.codec_context.time_base = 1 / self.fps
        stream.codec_context.thread_type = "AUTO"
        stream.options = dict(
            x264_options(gop=max(1, math.floor(self.fps)), crf=crf, preset=preset)
        )
        if self.audio is not None:
            self.out_audio = output.add_stream_from_template(self.audio)
        begin_s = self.start / self.fps
        end_s = self.end / self.fps
        if not self._seek(begin_s):
            self._seek(Fraction(0))
        done_video = False
        total = self.end - self.start
        streams = (self.video,) if self.audio is None else (self.video, self.audio)
        for packet in self.container.demux(streams):
            if packet.stream is self.video:
                if done_video:
                    if self.audio is None:
                        break
                    continue
                done_video = self._pictures(packet, output, stream, label)
                if progress is not None:
                    progress(min(0.999, self.frames_out / total))
            elif packet.pts is not None and packet.time_base is not None:
                at = packet.pts * packet.time_base
                if at >= end_s:
                    if done_video:
                        break
                    continue
                if at >= begin_s:
                    shift = round(begin_s / packet.time_base)
                    packet.pts -= shift
                    if packet.dts is not None:
                        packet.dts -= shift
                    packet.stream = self.out_audio
                    output.mux(packet)
        if not done_video:
            self._pictures(None, output, stream, label)
        output.mux(stream.encode(None))
        if progress is not None:
            progress(1.0)

    def _seek(self, at_s: Fraction) -> bool:
        """Seek to the keyframe at or before `at_s`; say whether decoding starts early enough."""
        time_base = self.video.time_base or Fraction(1, 90000)
        try:
            self.container.seek(int(at_s / time_base), stream=self.video, backward=True)
        except av.error.FFmpegError:
            return False
        self.video.codec_context.flush_buffers()
        for packet in self.container.demux(self.video):
            if packet.pts is None:
                continue
            landed = round(packet.pts * time_base * self.fps)
            ok = landed <= self.start
            break
        else:
            ok = False
        # Go back to the same place so the packet just looked at is demuxed again.
        self.container.seek(int(at_s / time_base), stream=self.video, backward=True)
        self.video.codec_context.flush_buffers()
        return ok

    def _pictures(
        self, packet: av.Packet[Any] | None, output: OutputContainer, stream: Any, label: Label
    ) -> bool:
        """Label and encode the clip's pictures in `packet`; say when the clip is complete."""
        try:
            frames = self.video.decode(packet)
        except av.error.FFmpegError:
            return False
        for frame in frames:
            if frame.pts is None:
                continue
            index = self._index(frame)
            if index < self.start:
                continue
            if index >= self.end:
                return True
            rgb = label.burn(np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8))
            picture = self._reformatter.reformat(
                VideoFrame.from_ndarray(rgb, format="rgb24"), format="yuv420p"
            )
            picture.pts = self.frames_out
            picture.time_base = 1 / self.fps
            output.mux(stream.encode(picture))
            self.frames_out += 1
            if self.frames_out >= self.end - self.start:
                return True
        return False
