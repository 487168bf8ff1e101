"""A film's thumbnail strip (one JPEG sprite) and its audio waveform (peaks per time bucket).

Two ways to make them:

- during the proxy transcode, at no extra decoding cost: pass a `ThumbnailCollector` and a
  `PeakMeter` to `make_proxy` (the way for a long original: it is read and decrypted once);
- on their own from any film, for instance the proxy (upright, small, a keyframe every
  second, so seeking to each thumbnail is cheap): `thumbnail_strip(source, sink)` and
  `waveform(source)`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import av
import av.error
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.resampler import AudioResampler
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from attunely.errors import InvalidInput
from attunely.media.files import PacketReader, Sink, Source, open_input, writer
from attunely.media.files import reader as open_reader
from attunely.media.picture import clockwise_rotation, fit_size, rotation_filters, upright_size
from attunely.media.probe import film_stream, probe

# A JPEG may be at most 65,535 pixels on a side; keep well inside it and the browser's
# comfortable image sizes.
MAX_TILES = 400


class StripResult(BaseModel):
    """Layout of the sprite: tile i is at column i % columns, row i // columns."""

    model_config = ConfigDict(frozen=True)

    tile_width: int
    tile_height: int
    columns: int
    rows: int
    # Film time (seconds) shown by each tile, in order.
    times_s: list[float]
    bytes_written: int
    mime_type: str = "image/jpeg"


class Waveform(BaseModel):
    """Loudest sample in each `bucket_s` slice of the film, 0 (silence) to 255 (full scale)."""

    model_config = ConfigDict(frozen=True)

    bucket_s: float
    duration_s: float
    peaks: list[int]


class ThumbnailCollector:
    """Keeps one small picture every `every_s` seconds of film and writes them as a sprite.

    Parameters
    ----------
    every_s
        Seconds of film between thumbnails (> 0). Raised automatically for a film so long that
        it would need more than `max_tiles` thumbnails.
    tile_height
        Height of each thumbnail in pixels; the width follows the picture's shape.
    duration_s
        Expected film length, used only to space thumbnails for long films.
    """

    def __init__(
        self,
        *,
        every_s: float = 5.0,
        tile_height: int = 90,
        columns: int = 10,
        duration_s: float | None = None,
        max_tiles: int = MAX_TILES,
    ) -> None:
        if not every_s > 0 or tile_height < 8 or columns < 1 or max_tiles < 1:
            raise InvalidInput("thumbnail spacing, size and columns must be positive")
        if duration_s is not None and duration_s / every_s > max_tiles:
            every_s = duration_s / max_tiles
        self.every_s = every_s
        self.tile_height = tile_height
        self.columns = columns
        self.max_tiles = max_tiles
        self._tiles: list[NDArray[np.uint8]] = []
        self._times: list[float] = []

    def wants(self, time_s: float) -> bool:
        """Whether a picture at `time_s` (seconds of film) is the next thumbnail."""
        return len(self._tiles) < self.max_tiles and time_s >= len(self._tiles) * self.every_s

    def add(self, frame: VideoFrame, time_s: float) -> None:
        """Keep `frame` (already upright) as the thumbnail for `time_s`."""
        if self._tiles:
            height, width = self._tiles[0].shape[:2]
        else:
            width, height = fit_size(
                frame.width,
                frame.height,
                max_width=10 * self.tile_height,
                max_height=self.tile_height,
            )
        small = frame.reformat(width=width, height=height, format="rgb24")
        self._tiles.append(np.asarray(small.to_ndarray(), dtype=np.uint8))
        self._times.append(round(time_s, 3))

    def offer(self, frame: VideoFrame, time_s: float) -> None:
        if self.wants(time_s):
            self.add(frame, time_s)

    def write_jpeg(self, sink: Sink, *, quality: int = 5) -> StripResult:
        """Write the sprite as one JPEG to `sink`. `quality`: 2 (best) .. 31 (smallest)."""
        if not self._tiles:
            raise InvalidInput("no thumbnails were collected: the film has no pictures")
        tile_h, tile_w = self._tiles[0].shape[:2]
        columns = min(self.columns, len(self._tiles))
        rows = math.ceil(len(self._tiles) / columns)
        # One canvas, tiles pasted row by row; unused cells at the end stay black.
        canvas = np.zeros((rows * tile_h, columns * tile_w, 3), dtype=np.uint8)
        for index, tile in enumerate(self._tiles):
            row, col = divmod(index, columns)
            canvas[row * tile_h : (row + 1) * tile_h, col * tile_w : (col + 1) * tile_w] = tile
        data = encode_jpeg(canvas, quality=quality)
        out = writer(sink)
        out.write(data)
        return StripResult(
            tile_width=tile_w,
            tile_height=tile_h,
            columns=columns,
            rows=rows,
            times_s=list(self._times),
            bytes_written=out.written,
        )


def encode_jpeg(image: NDArray[np.uint8], *, quality: int = 5) -> bytes:
    """JPEG bytes of an (H, W, 3) RGB image, encoded in memory by FFmpeg's mjpeg encoder."""
    height, width = image.shape[:2]
    # 4:2:0 JPEG needs even sides; pad by repeating the last row/column.
    padded = np.pad(image, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(padded), format="rgb24")
    context = av.CodecContext.create("mjpeg", "w")
    context.width, context.height = padded.shape[1], padded.shape[0]
    context.pix_fmt = "yuvj420p"
    context.time_base = Fraction(1, 25)
    # mjpeg's quality is the fixed quantiser (qscale), passed as global_quality in lambda units.
    context.qscale = True
    context.global_quality = quality * 118  # FF_QP2LAMBDA
    frame = frame.reformat(format="yuvj420p")
    frame.pts = 0
    packets = context.encode(frame) + context.encode(None)
    return b"".join(bytes(packet) for packet in packets)


class PeakMeter:
    """Collects the loudest sample per time bucket from audio frames.

    Parameters
    ----------
    bucket_s
        Length of one bucket in seconds (> 0); 0.1 gives ten peaks per second of film.
    """

    def __init__(self, *, bucket_s: float = 0.1) -> None:
        if not bucket_s > 0:
            raise InvalidInput("waveform bucket length must be positive")
        self.bucket_s = bucket_s
        self._peaks: NDArray[np.float32] = np.zeros(0, dtype=np.float32)
        self._end_s = 0.0

    def add(self, samples: NDArray[np.float32], *, start_s: float, sample_rate: int) -> None:
        """Add (channels, n) float samples (full scale = 1.0) starting at `start_s` seconds."""
        if samples.size == 0:
            return
        # Loudest channel at each instant: a downmix could cancel out-of-phase channels.
        level = np.abs(samples).max(axis=0)
        count = level.shape[0]
        times = start_s + np.arange(count, dtype=np.float64) / sample_rate
        buckets = np.floor(times / self.bucket_s).astype(np.int64)
        keep = buckets >= 0
        buckets, level = buckets[keep], level[keep]
        if buckets.size == 0:
            return
        needed = int(buckets[-1]) + 1
        if needed > self._peaks.shape[0]:
            self._peaks = np.pad(self._peaks, (0, needed - self._peaks.shape[0]))
        # Unbuffered max per bucket: several samples of one frame fall in the same bucket.
        np.maximum.at(self._peaks, buckets, level.astype(np.float32))
        self._end_s = max(self._end_s, start_s + count / sample_rate)

    def add_frame(self, frame: AudioFrame, *, start_s: float) -> None:
        """Add a decoded frame in planar float format (`fltp`), as the proxy's audio is."""
        array = frame.to_ndarray()
        self.add(
            array.astype(np.float32, copy=False), start_s=start_s, sample_rate=frame.sample_rate
        )

    def result(self) -> Waveform:
        # Clip (float audio may exceed full scale) and scale to one byte per bucket.
        scaled = np.clip(self._peaks, 0.0, 1.0) * 255
        return Waveform(
            bucket_s=self.bucket_s,
            duration_s=round(self._end_s, 3),
            peaks=[int(v) for v in np.rint(scaled)],
        )


def thumbnail_strip(
    source: Source,
    sink: Sink,
    *,
    every_s: float = 5.0,
    tile_height: int = 90,
    columns: int = 10,
    max_tiles: int = MAX_TILES,
) -> StripResult:
    """Write a JPEG sprite of thumbnails, one every `every_s` seconds, from the film in `source`.

    Each thumbnail is found by seeking to the keyframe before its time and decoding forward,
    so a long film is not decoded whole; the pictures are turned upright. Time zero is the
    first picture, as in the proxy.
    """
    info = probe(source)
    collector = ThumbnailCollector(
        every_s=every_s,
        tile_height=tile_height,
        columns=columns,
        duration_s=info.duration_s,
        max_tiles=max_tiles,
    )
    # Thumbnails at 0, every_s, 2 every_s, ... up to the start of the last frame.
    last_frame_at = info.duration_s - 1 / max(info.video.nominal_frame_rate, 1.0)
    count = min(max_tiles, max(1, math.ceil(last_frame_at / collector.every_s)))
    src = open_reader(source)
    with open_input(src) as container:
        video = film_stream(container)
        video.codec_context.thread_type = "AUTO"
        start = _video_start(video)
        for index in range(count):
            wanted = index * collector.every_s
            frame = _picture_at(container, video, start + wanted)
            if frame is not None and frame.time is not None:
                shown_at = max(0.0, frame.time - start)
                collector.add(_upright(frame), shown_at)
    return collector.write_jpeg(sink)


def _picture_at(container: InputContainer, video: VideoStream, at: float) -> VideoFrame | None:
    """The first decodable picture at or after `at` seconds (or the last one before the end)."""
    assert video.time_base is not None
    half_frame = 0.5 / float(video.average_rate or 30)
    try:
        container.seek(int(at / video.time_base), stream=video, backward=True)
    except av.error.FFmpegError:
        return None
    last: VideoFrame | None = None
    for packet in PacketReader(container, (video,)):
        try:
            frames = video.decode(packet)
        except av.error.FFmpegError:
            continue
        for frame in frames:
            if frame.is_corrupt or frame.time is None:
                continue
            last = frame
            if frame.time >= at - half_frame:
                return frame
    try:
        frames = video.decode(None)
    except av.error.FFmpegError:
        frames = []
    return frames[-1] if frames else last


def _upright(frame: VideoFrame) -> VideoFrame:
    rotation = clockwise_rotation(frame)
    if not rotation:
        return frame
    width, height = upright_size(frame.width, frame.height, rotation)
    graph = av.filter.Graph()
    chain = [
        graph.add_buffer(
            width=frame.width, height=frame.height, format=frame.format, time_base=Fraction(1, 1000)
        )
    ]
    for name, args in rotation_filters(rotation):
        chain.append(graph.add(name, args))
    chain.append(graph.add("buffersink"))
    graph.link_nodes(*chain).configure()
    frame.pts = 0
    graph.vpush(frame)
    turned = graph.vpull()
    assert (turned.width, turned.height) == (width, height)
    return turned


def waveform(source: Source, *, bucket_s: float = 0.1) -> Waveform:
    """Peaks of the film's sound per `bucket_s` seconds; empty peaks for a silent film.

    Time zero is the film's first picture, as in the proxy, so bucket i covers
    [i * bucket_s, (i + 1) * bucket_s) of the proxy's timeline.
    """
    meter = PeakMeter(bucket_s=bucket_s)
    src = open_reader(source)
    with open_input(src) as container:
        video = film_stream(container)
        if not container.streams.audio:
            return meter.result()
        audio = container.streams.audio[0]
        start = _video_start(video)
        to_float = AudioResampler(format="fltp")
        for packet in PacketReader(container, (audio,)):
            try:
                frames = audio.decode(packet)
            except av.error.FFmpegError:
                continue
            for frame in frames:
                if frame.time is None:
                    continue
                at = frame.time - start
                for converted in to_float.resample(frame):
                    meter.add_frame(converted, start_s=at)
                    at += converted.samples / converted.sample_rate
    return meter.result()


def _video_start(video: VideoStream) -> float:
    if video.start_time is not None and video.time_base is not None:
        return float(video.start_time * video.time_base)
    return 0.0
