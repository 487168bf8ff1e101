"""Tiny test films made with PyAV, each carrying its own frame number.

Every generated video frame shows its frame number twice: as digits for a person, and as a
row of black/white cells across the top edge for a test (`read_frame_number`). The code row
also marks which way is up, so a test can tell whether a rotated film came out upright.

Films are a few seconds long and small so the media tests stay fast. Everything is built in
memory (bytes); nothing is written to disk here.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

# --- the frame code -------------------------------------------------------------------------

CELLS = 20
BITS = 16
# Cell 0 is always white and cell 18 always black so a misread or upside-down row is refused;
# cells 1..16 hold the frame number (most significant bit first), 17 an even-parity bit and 19
# is white again.
_START, _PARITY, _STOP, _END = 0, 1 + BITS, 2 + BITS, 3 + BITS

# 3x5 digit glyphs, one string of 15 pixels (row by row) per digit.
_GLYPHS = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
}

RGB = NDArray[np.uint8]


def _cell_size(width: int) -> int:
    return max(width // CELLS, 4)


def draw_frame_number(image: RGB, number: int) -> None:
    """Draw `number` into the top rows of an (H, W, 3) RGB image, in place."""
    if not 0 <= number < 2**BITS:
        raise ValueError(f"frame number {number} does not fit {BITS} bits")
    width = image.shape[1]
    cell = _cell_size(width)
    bits = [(number >> (BITS - 1 - i)) & 1 for i in range(BITS)]
    values = [1, *bits, sum(bits) % 2, 0, 1]
    for index, value in enumerate(values):
        image[0:cell, index * cell : (index + 1) * cell] = 255 if value else 0
    # Human-readable digits under the code row, on a black plate.
    scale = max(cell // 3, 2)
    text = str(number)
    top, left = cell + scale, scale
    plate_w = (len(text) * 4 + 1) * scale
    image[cell : top + 6 * scale, 0 : left + plate_w] = 0
    for position, char in enumerate(text):
        glyph = _GLYPHS[char]
        for pixel, on in enumerate(glyph):
            if on == "1":
                row, col = divmod(pixel, 3)
                y = top + row * scale
                x = left + (position * 4 + col) * scale
                image[y : y + scale, x : x + scale] = 255


def read_frame_number(image: NDArray[Any]) -> int | None:
    """Read the frame number drawn by `draw_frame_number`; None if the code row is not there.

    Works at any scale (the cells are found by their share of the width) on an (H, W, 3) RGB
    or (H, W) grey image, so a test can read a downscaled, re-encoded proxy frame.
    """
    grey = image.mean(axis=2) if image.ndim == 3 else image.astype(np.float64)
    height, width = grey.shape
    cell = width / CELLS
    values = []
    for index in range(CELLS):
        # Sample the middle half of each cell: its edges blur when the film is re-encoded.
        x0, x1 = int((index + 0.25) * cell), int((index + 0.75) * cell)
        y0, y1 = int(0.25 * cell), max(int(0.75 * cell), int(0.25 * cell) + 1)
        if y1 > height or x1 <= x0:
            return None
        values.append(1 if grey[y0:y1, x0:x1].mean() >= 128 else 0)
    bits = values[1 : 1 + BITS]
    if values[_START] != 1 or values[_STOP] != 0 or values[_END] != 1:
        return None
    if sum(bits) % 2 != values[_PARITY]:
        return None
    return int("".join(map(str, bits)), 2)


def frame_number_of(frame: av.VideoFrame) -> int | None:
    """Read the frame number shown by a decoded PyAV frame."""
    return read_frame_number(frame.to_ndarray(format="rgb24"))


# --- film specification ---------------------------------------------------------------------


@dataclass(frozen=True)
class FilmSpec:
    """What to generate. `width` x `height` is the size as displayed (after rotation)."""

    width: int = 640
    height: int = 360
    seconds: float = 2.0
    fps: int = 30
    video_codec: str | None = "libx264"
    pix_fmt: str = "yuv420p"
    audio_codec: str | None = "aac"
    audio_rate: int = 48000
    container: str = "mp4"
    # Counter-clockwise degrees, as FFmpeg's display matrix (and PyAV's frame.rotation) say
    # it; a phone held upright records landscape pixels with rotation -90 ("rotate=90" tag).
    rotation: int = 0
    # Presentation time (seconds) of every frame, for variable-frame-rate films.
    frame_times: tuple[Fraction, ...] | None = None
    # Put the index (moov) before the media data, as `-movflags faststart` does.
    faststart: bool = False
    # Write through a non-seekable sink, as a live recorder (MediaRecorder) does.
    streamed: bool = False


def frame_times(spec: FilmSpec) -> list[Fraction]:
    """Presentation time in seconds of each frame that `spec` produces."""
    if spec.frame_times is not None:
        return list(spec.frame_times)
    count = round(spec.seconds * spec.fps)
    return [Fraction(i, spec.fps) for i in range(count)]


def vfr_times(seconds: float = 3.0) -> tuple[Fraction, ...]:
    """Irregular frame times like a phone's in low light: intervals of 1/60 .. 1/15 s."""
    # A fixed cycle keeps the film identical on every run.
    cycle = [Fraction(1, 30), Fraction(1, 30), Fraction(1, 20), Fraction(1, 60), Fraction(1, 24)]
    cycle += [Fraction(1, 15), Fraction(1, 30), Fraction(1, 40), Fraction(1, 30), Fraction(1, 25)]
    times = []
    t = Fraction(0)
    index = 0
    while t < seconds:
        times.append(t)
        t += cycle[index % len(cycle)]
        index += 1
    return tuple(times)


class _WriteOnly:
    """Hide seek/tell so FFmpeg treats the output as a pipe."""

    def __init__(self, target: io.BytesIO) -> None:
        self._target = target

    def write(self, data: bytes) -> int:
        return self._target.write(data)


def _background(width: int, height: int) -> RGB:
    # Fixed noise plus a gradient: realistic enough that encoders do real work, and moving it
    # each frame (np.roll) gives motion without per-frame random numbers.
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 48, size=(height, width, 1), dtype=np.uint8)
    ys = np.linspace(40, 160, height, dtype=np.float32)[:, None]
    xs = np.linspace(0, 80, width, dtype=np.float32)[None, :]
    ys, xs = np.broadcast_arrays(ys, xs)
    base = np.stack([ys + xs, 200 - ys, 60 + xs], axis=2).astype(np.uint8)
    return base + noise


def display_image(spec: FilmSpec, number: int, background: RGB | None = None) -> RGB:
    """The picture of frame `number` as it should be displayed (upright)."""
    if background is None:
        background = _background(spec.width, spec.height)
    image = np.roll(background, shift=(number * 3, number * 5), axis=(0, 1))
    # A bright square that travels across the picture: visible motion for a human viewer.
    size = max(spec.height // 8, 4)
    x = (number * 7) % max(spec.width - size, 1)
    y = spec.height // 2
    image[y : y + size, x : x + size] = (250, 220, 40)
    draw_frame_number(image, number)
    return image


def _stored(image: RGB, rotation: int) -> RGB:
    # Display = stored picture turned `rotation` degrees counter-clockwise, so the stored
    # picture is the displayed one turned back; np.rot90 with k>0 turns counter-clockwise.
    quarter_turns = (-rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=quarter_turns))


def _audio_signal(spec: FilmSpec, channels: int) -> NDArray[np.float32]:
    # A 440 Hz tone, loud for the first half of each second and quiet for the second half,
    # so a waveform has a pattern a test can check.
    count = round(spec.seconds * spec.audio_rate)
    t = np.arange(count, dtype=np.float64) / spec.audio_rate
    loud = (t % 1.0) < 0.5
    envelope = np.where(loud, 0.8, 0.05)
    tone = (envelope * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.stack([tone] * channels)


def write_film(spec: FilmSpec, out: Any) -> None:
    """Encode the film described by `spec` into the writable file-like `out`."""
    if spec.faststart:
        # FFmpeg's own faststart re-opens the output by file name, which a file object has
        # not got; move the index in memory instead.
        buffer = io.BytesIO()
        write_film(replace(spec, faststart=False), buffer)
        out.write(move_index_to_front(buffer.getvalue()))
        return
    target = _WriteOnly(out) if spec.streamed else out
    container = av.open(target, "w", format=spec.container)
    try:
        _encode_into(container, spec)
    finally:
        container.close()


def _boxes(data: bytes | bytearray, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, offset, size) of the ISO-BMFF boxes between `start` and `end`."""
    out = []
    at = start
    while at + 8 <= end:
        size = int.from_bytes(data[at : at + 4], "big")
        kind = bytes(data[at + 4 : at + 8])
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
        elif size == 0:
            size = end - at
        out.append((kind, at, size))
        at += size
    return out


_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


def _shift_chunk_offsets(moov: bytearray, start: int, end: int, shift: int) -> None:
    for kind, at, size in _boxes(moov, start, end):
        if kind in _CONTAINERS:
            _shift_chunk_offsets(moov, at + 8, at + size, shift)
        elif kind in (b"stco", b"co64"):
            width = 4 if kind == b"stco" else 8
            count = int.from_bytes(moov[at + 12 : at + 16], "big")
            for i in range(count):
                pos = at + 16 + i * width
                value = int.from_bytes(moov[pos : pos + width], "big") + shift
                moov[pos : pos + width] = value.to_bytes(width, "big")


def move_index_to_front(data: bytes) -> bytes:
    """Rewrite an MP4 with its `moov` box before `mdat` (what `movflags=faststart` does)."""
    top = _boxes(data, 0, len(data))
    kinds = [kind for kind, _, _ in top]
    if b"moov" not in kinds or kinds.index(b"moov") < kinds.index(b"mdat"):
        return data
    _, moov_at, moov_size = top[kinds.index(b"moov")]
    moov = bytearray(data[moov_at : moov_at + moov_size])
    # Every chunk moves forward by the size of the index now placed ahead of it.
    _shift_chunk_offsets(moov, 8, len(moov), moov_size)
    _, mdat_at, _ = top[kinds.index(b"mdat")]
    rest = data[mdat_at:moov_at] + data[moov_at + moov_size :]
    return data[:mdat_at] + bytes(moov) + rest


_FAST_ENCODING = {
    "libx264": {"preset": "ultrafast"},
    "libx265": {"preset": "ultrafast", "x265-params": "log-level=error"},
    "libvpx": {"deadline": "realtime", "cpu-used": "8"},
}


def _encode_into(container: Any, spec: FilmSpec) -> None:
    video = None
    stored_w, stored_h = spec.width, spec.height
    if spec.rotation % 180:
        stored_w, stored_h = spec.height, spec.width
    times = frame_times(spec)
    if spec.video_codec is not None:
        video = container.add_stream(spec.video_codec, rate=spec.fps)
        video.width, video.height, video.pix_fmt = stored_w, stored_h, spec.pix_fmt
        opts = _FAST_ENCODING.get(spec.video_codec, {})
        video.options = opts
        if spec.frame_times is not None:
            # Irregular timestamps need a fine clock; 90 kHz is what phones and MPEG use.
            video.codec_context.time_base = Fraction(1, 90000)
            video.time_base = Fraction(1, 90000)
        if spec.rotation:
            video.set_display_rotation(spec.rotation)
    audio = None
    if spec.audio_codec is not None:
        audio = container.add_stream(spec.audio_codec, rate=spec.audio_rate)
        audio.layout = "stereo"
    if video is not None:
        background = _background(spec.width, spec.height)
        tb = video.codec_context.time_base
        for number, at in enumerate(times):
            image = _stored(display_image(spec, number, background), spec.rotation)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = round(at / tb) if spec.frame_times is not None else number
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
    if audio is not None:
        signal = _audio_signal(spec, channels=2)
        step = 1024
        for start in range(0, signal.shape[1], step):
            chunk = np.ascontiguousarray(signal[:, start : start + step])
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = spec.audio_rate
            frame.pts = start
            container.mux(audio.encode(frame))
        container.mux(audio.encode(None))


def film_bytes(spec: FilmSpec | None = None, **changes: Any) -> bytes:
    """Bytes of the film `spec` (default: a 2 s 640x360 H.264/AAC MP4), with `changes`."""
    spec = replace(spec or FilmSpec(), **changes)
    buffer = io.BytesIO()
    write_film(spec, buffer)
    return buffer.getvalue()


# --- the named kinds of test film -----------------------------------------------------------

NORMAL = FilmSpec()
PORTRAIT = FilmSpec(width=360, height=640, rotation=-90)
HEVC_60 = FilmSpec(width=320, height=180, fps=60, video_codec="libx265", pix_fmt="yuv420p10le")
VFR = FilmSpec(seconds=3.0, frame_times=vfr_times(3.0))
NO_AUDIO = FilmSpec(audio_codec=None)
AUDIO_ONLY = FilmSpec(video_codec=None, container="mp4")
# What a browser's MediaRecorder uploads: WebM, VP8 + Opus, streamed so it has no duration
# and no cues.
WEBM_CAPTURE = FilmSpec(
    width=320,
    height=240,
    video_codec="libvpx",
    audio_codec="libopus",
    container="webm",
    streamed=True,
)


def normal_film(**changes: Any) -> bytes:
    """2 s, 640x360, 30 fps H.264 + AAC stereo MP4."""
    return film_bytes(NORMAL, **changes)


def portrait_film(**changes: Any) -> bytes:
    """A phone held upright: 640x360 pixels stored, display matrix says turn 90 clockwise."""
    return film_bytes(PORTRAIT, **changes)


def hevc_60fps_film(**changes: Any) -> bytes:
    """HEVC (10-bit, like recent phones) at 60 fps, small so the test stays fast."""
    return film_bytes(HEVC_60, **changes)


def vfr_film(**changes: Any) -> bytes:
    """Variable frame rate: frame intervals from 1/60 s to 1/15 s (see `vfr_times`)."""
    return film_bytes(VFR, **changes)


def no_audio_film(**changes: Any) -> bytes:
    return film_bytes(NO_AUDIO, **changes)


def audio_only_file(**changes: Any) -> bytes:
    """An M4A-like MP4 with only an AAC track."""
    return film_bytes(AUDIO_ONLY, **changes)


def webm_capture_film(**changes: Any) -> bytes:
    return film_bytes(WEBM_CAPTURE, **changes)


def wrong_extension_film() -> tuple[str, bytes]:
    """A WebM recording under a name that claims MP4: content, not the name, must decide."""
    return "film.mp4", webm_capture_film()


def zero_length_file() -> bytes:
    return b""


def not_a_video_file() -> bytes:
    """A text document, as when someone picks the wrong file."""
    return b"Minutes of the team meeting\n" * 200


def still_image_file() -> bytes:
    """A single PNG picture: FFmpeg opens it as a one-frame video, but it is not a film."""
    image = display_image(FilmSpec(width=320, height=180), 0)
    context = av.CodecContext.create("png", "w")
    context.width, context.height, context.pix_fmt = 320, 180, "rgb24"
    packets = context.encode(av.VideoFrame.from_ndarray(image, format="rgb24"))
    packets += context.encode(None)
    return b"".join(bytes(p) for p in packets)


def truncated_film(*, index_at_end: bool = True) -> bytes:
    """A film cut off at 60 % of its bytes, as an interrupted copy leaves it.

    With the index at the end (how phones write MP4) nothing is readable; with the index at
    the start, the first part of the film still plays.
    """
    data = film_bytes(NORMAL, seconds=3.0, faststart=not index_at_end)
    return data[: len(data) * 6 // 10]


def corrupted_film() -> bytes:
    """A 4 s film with 4 KiB in the middle of its media data inverted (a bad sector)."""
    data = bytearray(film_bytes(NORMAL, seconds=4.0, faststart=True))
    middle = len(data) // 2
    for offset in range(middle, middle + 4096):
        data[offset] ^= 0xFF
    return bytes(data)


def unsupported_codec_film() -> bytes:
    """An MP4 whose video sample entry names a codec no decoder knows ('avc1' -> 'zzzz')."""
    data = bytearray(normal_film(faststart=True))
    stsd = data.index(b"stsd")
    entry = data.index(b"avc1", stsd)
    data[entry : entry + 4] = b"zzzz"
    return bytes(data)


def frames_of(data: bytes) -> list[av.VideoFrame]:
    """Decode every video frame of `data` (for assertions)."""
    with av.open(io.BytesIO(data)) as container:
        return list(container.decode(video=0))


def video_packets(data: bytes) -> list[tuple[float, bool]]:
    """(time in seconds, is keyframe) of every video packet of `data`, in decode order."""
    out: list[tuple[float, bool]] = []
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.pts is None or packet.time_base is None:
                continue
            out.append((float(packet.pts * packet.time_base), packet.is_keyframe))
    return out


def expected_numbers(times: Sequence[Fraction], fps: Fraction, count: int) -> list[int]:
    """Source frame shown by each of `count` constant-rate output frames (the proxy's rule).

    Each source frame belongs to the output tick nearest its time (halves round up), and output
    frame N shows the last source frame whose tick is N or earlier: the picture on screen at
    N / fps, give or take half a frame.
    """
    ticks = [math.floor(t * fps + Fraction(1, 2)) for t in times]
    shown = []
    index = 0
    for n in range(count):
        while index + 1 < len(ticks) and ticks[index + 1] <= n:
            index += 1
        shown.append(index)
    return shown
