"""Turning decoded pictures upright, to a bounded size and a constant frame rate.

Shared by the proxy (transcode.py) and the thumbnails (stills.py) so both agree on what
"upright" and "frame N" mean.
"""

from __future__ import annotations

from fractions import Fraction

import av
from av.filter import Graph
from av.video.frame import VideoFrame
from av.video.reformatter import VideoReformatter


def clockwise_rotation(frame: VideoFrame) -> int:
    """Degrees (0, 90, 180, 270) to turn `frame` clockwise so it shows upright.

    FFmpeg gives the display matrix as a counter-clockwise angle (PyAV's `frame.rotation`);
    phones write "turn 90 clockwise" for a portrait film, which arrives here as -90.
    """
    # Round to the nearest quarter turn: matrices written by some apps carry 89.99 degrees.
    return (round(-frame.rotation / 90) * 90) % 360


def upright_size(width: int, height: int, rotation: int) -> tuple[int, int]:
    """Display size after turning a `width` x `height` picture by `rotation` degrees."""
    return (height, width) if rotation in (90, 270) else (width, height)


def fit_size(width: int, height: int, *, max_width: int, max_height: int) -> tuple[int, int]:
    """Largest even size with the same shape that fits the bounds, never enlarging.

    Even, because H.264 in 4:2:0 colour (the only kind every browser plays) needs it.
    """
    scale = min(1.0, max_width / width, max_height / height)
    out_w = max(2, round(width * scale / 2) * 2)
    out_h = max(2, round(height * scale / 2) * 2)
    return out_w, out_h


def rotation_filters(rotation: int) -> list[tuple[str, str]]:
    """FFmpeg filters (name, arguments) that turn a picture `rotation` degrees clockwise."""
    if rotation == 90:
        return [("transpose", "clock")]
    if rotation == 270:
        return [("transpose", "cclock")]
    if rotation == 180:
        return [("hflip", ""), ("vflip", "")]
    return []


class PicturePipeline:
    """Scale, turn upright, (optionally) resample to a constant rate, convert to yuv420p.

    Frames are first converted to one fixed size and pixel format, so the FFmpeg filter graph
    never sees a change of size or format mid-film (browser recordings do change size). The
    `fps` filter then makes the rate constant: it repeats or drops frames by their timestamps,
    so output frame N is the picture on screen at time N/fps.

    Push frames whose `pts` counts from the film's time zero in `time_base`; pulled frames
    have `pts` = output frame number when `fps` is given.
    """

    def __init__(
        self,
        *,
        source_width: int,
        source_height: int,
        rotation: int,
        out_width: int,
        out_height: int,
        time_base: Fraction,
        fps: Fraction | None,
        pix_fmt: str = "yuv420p",
    ) -> None:
        # Scale before turning: transposing the small picture is cheaper than the large one.
        self._scaled = upright_size(out_width, out_height, rotation)
        self._pix_fmt = pix_fmt
        self._time_base = time_base
        # One scaler for the whole film: `frame.reformat` would set up a new one per frame,
        # which costs more than the scaling itself.
        self._reformatter = VideoReformatter()
        self.graph = Graph()
        src = self.graph.add_buffer(
            width=self._scaled[0],
            height=self._scaled[1],
            format=av.VideoFormat(pix_fmt),
            time_base=time_base,
        )
        chain = [src]
        for name, args in rotation_filters(rotation):
            chain.append(self.graph.add(name, args))
        if fps is not None:
            # round=near: a frame belongs to the output tick nearest its timestamp.
            chain.append(self.graph.add("fps", f"fps={fps.numerator}/{fps.denominator}"))
        chain.append(self.graph.add("buffersink"))
        self.graph.link_nodes(*chain).configure()

    def push(self, frame: VideoFrame | None) -> None:
        if frame is None:
            self.graph.vpush(None)
            return
        normalised = self._reformatter.reformat(
            frame,
            width=self._scaled[0],
            height=self._scaled[1],
            format=self._pix_fmt,
            interpolation="BICUBIC",
        )
        normalised.pts = frame.pts
        normalised.time_base = self._time_base
        normalised.duration = frame.duration
        self.graph.vpush(normalised)

    def pull_all(self) -> list[VideoFrame]:
        frames = []
        while True:
            try:
                frames.append(self.graph.vpull())
            except (av.error.BlockingIOError, av.error.EOFError):
                return frames
