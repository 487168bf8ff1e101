"""The playback proxy: an H.264/AAC MP4 every browser plays, seekable to the exact frame.

Choices, and why:

- **Fragmented MP4** (`movflags=frag_keyframe+empty_moov+default_base_moof`). The sink is the
  vault's streaming encryptor, which cannot seek. A classic "fast-start" MP4 puts its index
  (moov) first, which FFmpeg can only do by going back over the finished file, and FFmpeg's
  `faststart` even re-opens the output by file name: a plaintext file on disk. A fragmented
  MP4 has its (empty) index first and then self-describing one-second fragments, so it is
  written strictly in order, starts playing at once like a fast-start file, and Chromium,
  Firefox and Safari play and seek it. The muxer also ends it with an `mfra` index of the
  fragments, which players use to seek.
- **Constant frame rate**, at most `max_fps` (30): output frame N is shown at exactly N/fps,
  whatever the source's timing was (phones record at a variable rate). Faster sources are
  divided by a whole number (60 -> 30, 50 -> 25, 59.94 -> 29.97) so motion stays even.
- **A keyframe every second** (GOP = whole frames per second, scene-cut detection off) and
  **no B-frames**: a seek lands on the exact frame after decoding at most a second of
  pictures, and presentation order equals decode order, so there is no composition offset
  or edit list for a player to get wrong.
  To show frame N, a player should seek to (N + 0.5) / fps: Chromium keeps times in whole
  microseconds, so a seek to exactly N / fps can land on frame N - 1 (the browser test
  checks the half-frame rule).
- **Upright**: the rotation a phone records as metadata is applied to the pixels.
- **At most `max_width` x `max_height`** (1280x720), even sides, 8-bit 4:2:0 (what browsers
  decode), AAC-LC 48 kHz.
- Time zero is the film's first picture: sound before it is dropped and a late start of the
  sound is filled with silence, so sound and picture stay in step.
- Damaged packets are skipped and counted, and decoding carries on; the constant-rate step
  repeats the previous picture over the gap so timing is kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
import av.error
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer, OutputContainer
from av.filter import Graph
from av.video.stream import VideoStream
from pydantic import BaseModel, ConfigDict

from attunely.errors import InvalidInput
from attunely.media.files import PacketReader, Sink, Source, open_input, reader, writer
from attunely.media.picture import PicturePipeline, fit_size
from attunely.media.probe import ProbeResult, film_stream, probe
from attunely.media.stills import PeakMeter, ThumbnailCollector

FRAGMENTED_MP4 = "frag_keyframe+empty_moov+default_base_moof"
AUDIO_RATE = 48000
AUDIO_FRAME = 1024  # samples per AAC frame
PRIMING = 1024  # FFmpeg's AAC encoder delay, in samples

# Rates cameras really use; a measured rate within 1.5 % of one of them is taken as it.
_STANDARD_RATES = [
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(30),
    Fraction(48),
    Fraction(50),
    Fraction(60000, 1001),
    Fraction(60),
    Fraction(100),
    Fraction(120000, 1001),
    Fraction(120),
    Fraction(240),
]
_SNAP = 0.015

Progress = Callable[[float], None]


class ProxyResult(BaseModel):
    """What was written. `fps` is exact: frame N is shown at N / fps seconds."""

    model_config = ConfigDict(frozen=True)

    width: int
    height: int
    fps: Fraction
    frame_count: int
    duration_s: float
    keyframe_interval: int
    # Degrees the source picture was turned clockwise to make it upright.
    rotation_applied: int
    has_audio: bool
    # Video packets the decoder refused, and pictures it flagged as corrupt: left out.
    skipped_video: int
    # Sound packets the decoder refused: replaced by silence.
    skipped_audio: int
    # Stretches of the file the demuxer could not read at all.
    unreadable_stretches: int
    bytes_written: int
    # For the <video> element or Media Source: 'video/mp4; codecs="avc1.64001f, mp4a.40.2"'.
    mime_type: str


def proxy_frame_rate(source_rate: float, *, max_fps: int = 30) -> Fraction:
    """The constant rate of the proxy for a source whose usual rate is `source_rate`.

    Snaps to a standard camera rate when close (29.97 stays 30000/1001), otherwise rounds to
    whole frames; then divides by the smallest whole number that brings it to `max_fps` or
    below, so every output frame is one source frame (60 -> 30, 50 -> 25).
    """
    if max_fps < 1:
        raise InvalidInput("max_fps must be at least 1")
    if not math.isfinite(source_rate) or source_rate <= 0:
        return Fraction(max_fps)
    rate = min(_STANDARD_RATES, key=lambda r: abs(float(r) - source_rate))
    if abs(float(rate) - source_rate) > _SNAP * source_rate:
        rate = Fraction(max(1, round(source_rate)))
    if rate > max_fps:
        rate /= math.ceil(rate / max_fps)
    return rate


def make_proxy(
    source: Source,
    sink: Sink,
    *,
    progress: Progress | None = None,
    max_width: int = 1280,
    max_height: int = 720,
    max_fps: int = 30,
    crf: int = 23,
    preset: str = "veryfast",
    audio_bit_rate: int = 128_000,
    thumbnails: ThumbnailCollector | None = None,
    peaks: PeakMeter | None = None,
) -> ProxyResult:
    """Transcode the film in `source` to a browser-playable MP4 written in order to `sink`.

    Parameters
    ----------
    source
        Seekable binary file-like object holding the film (the vault's decrypting reader).
    sink
        Object with `write(bytes)`; it is never asked to seek (the vault's encryptor).
    progress
        Called with the fraction done (0..1), about every half per cent and once with 1.0 at
        the end. It may raise to cancel the transcode; the exception propagates and what was
        written to `sink` so far must be discarded by the caller.
    max_width, max_height
        Bounds of the upright picture in pixels; never enlarged.
    max_fps
        Highest output frame rate (see `proxy_frame_rate`).
    crf, preset
        x264 quality (lower is better; 23 is its default) and speed.
    thumbnails, peaks
        Optional collectors fed with every output picture / sound frame, so a thumbnail strip
        and a waveform come out of the same pass over the original.

    Raises
    ------
    MediaError
        When the source is not a usable film (see `probe`).
    """
    info = probe(source)
    fps = proxy_frame_rate(info.video.nominal_frame_rate, max_fps=max_fps)
    gop = max(1, math.floor(fps))
    width, height = fit_size(
        info.video.display_width,
        info.video.display_height,
        max_width=max_width,
        max_height=max_height,
    )
    out = writer(sink)
    job = _Transcode(
        info=info,
        fps=fps,
        gop=gop,
        width=width,
        height=height,
        progress=progress,
        thumbnails=thumbnails,
        peaks=peaks,
    )
    src = reader(source)
    with open_input(src) as container:
        output = av.open(out, mode="w", format="mp4", options={"movflags": FRAGMENTED_MP4})
        try:
            job.run(container, output, crf=crf, preset=preset, audio_bit_rate=audio_bit_rate)
        finally:
            output.close()
    if progress is not None:
        progress(1.0)
    return ProxyResult(
        width=width,
        height=height,
        fps=fps,
        frame_count=job.frames_out,
        duration_s=round(float(job.frames_out / fps), 3),
        keyframe_interval=gop,
        rotation_applied=info.video.rotation,
        has_audio=job.has_audio,
        skipped_video=job.skipped_video,
        skipped_audio=job.skipped_audio,
        unreadable_stretches=job.unreadable,
        bytes_written=out.written,
        mime_type=_mime_type(job.codec_string, job.has_audio),
    )


class _Transcode:
    """One run of decode -> upright/scale/constant rate -> encode -> fragmented MP4."""

    def __init__(
        self,
        *,
        info: ProbeResult,
        fps: Fraction,
        gop: int,
        width: int,
        height: int,
        progress: Progress | None,
        thumbnails: ThumbnailCollector | None,
        peaks: PeakMeter | None,
    ) -> None:
        self.info = info
        self.fps = fps
        self.gop = gop
        self.width = width
        self.height = height
        self.progress = progress
        self.thumbnails = thumbnails
        self.peaks = peaks
        self.frames_out = 0
        self.skipped_video = 0
        self.skipped_audio = 0
        self.unreadable = 0
        self.has_audio = False
        self.codec_string = "avc1.64001f"
        self._reported = -1.0
        self._start: float | None = None
        self._pending_audio: list[AudioFrame] = []
        self._audio_graph: Graph | None = None
        self._audio_key: tuple[int, str, str] | None = None

    def run(
        self,
        container: InputContainer,
        output: OutputContainer,
        *,
        crf: int,
        preset: str,
        audio_bit_rate: int,
    ) -> None:
        video = film_stream(container)
        video.codec_context.thread_type = "AUTO"
        audio = container.streams.audio[0] if container.streams.audio else None
        if audio is not None and audio.codec_context is None:
            audio = None
        self.output = output
        self.out_video = self._add_video_stream(output, crf=crf, preset=preset)
        self.out_audio = None
        if audio is not None:
            self.has_audio = True
            self.out_audio = output.add_stream("aac", rate=AUDIO_RATE)
            self.out_audio.layout = "mono" if audio.codec_context.channels == 1 else "stereo"
            self.out_audio.bit_rate = audio_bit_rate
        time_base = video.time_base or Fraction(1, 90000)
        self.pictures = PicturePipeline(
            source_width=video.codec_context.width,
            source_height=video.codec_context.height,
            rotation=self.info.video.rotation,
            out_width=self.width,
            out_height=self.height,
            time_base=time_base,
            fps=self.fps,
        )
        self._time_base = time_base
        streams: tuple[VideoStream | AudioStream, ...] = (
            (video,) if audio is None else (video, audio)
        )
        packets = PacketReader(container, streams)
        for packet in packets:
            if packet.stream is video:
                self._video_packet(video, packet)
            elif audio is not None:
                self._audio_packet(audio, packet)
        self.unreadable = packets.errors
        self._video_packet(video, None)
        if audio is not None:
            self._audio_packet(audio, None)
        self._flush()

    def _add_video_stream(self, output: OutputContainer, *, crf: int, preset: str) -> VideoStream:
        stream = output.add_stream("libx264", rate=self.fps)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        stream.codec_context.time_base = 1 / self.fps
        # PyAV defaults to slice threads, which libx264 turns into its slower sliced-threads
        # mode; frame threads are what the ffmpeg command line uses.
        stream.codec_context.thread_type = "AUTO"
        stream.options = dict(x264_options(gop=self.gop, crf=crf, preset=preset))
        return stream

    # --- picture ---

    def _video_packet(self, video: VideoStream, packet: av.Packet[Any] | None) -> None:
        try:
            frames = video.decode(packet)
        except av.error.FFmpegError:
            self.skipped_video += 1
            return
        for frame in frames:
            if frame.is_corrupt or frame.pts is None:
                self.skipped_video += 1
                continue
            if self._start is None:
                self._start = float(frame.pts * self._time_base)
                self._start_pts = frame.pts
                for pending in self._pending_audio:
                    self._push_audio(pending)
                self._pending_audio.clear()
            if frame.pts < self._start_pts:
                continue  # before the first picture (reordering preroll)
            frame.pts -= self._start_pts
            self.pictures.push(frame)
            self._encode_pictures()
            self._report(float(frame.pts * self._time_base))
        if packet is None:
            self.pictures.push(None)
            self._encode_pictures()

    def _encode_pictures(self) -> None:
        for frame in self.pictures.pull_all():
            # After the fps filter the timestamp counts output frames; keep exactly that.
            frame.pts = self.frames_out
            frame.time_base = 1 / self.fps
            frame.pict_type = av.video.frame.PictureType.NONE
            if self.thumbnails is not None:
                self.thumbnails.offer(frame, float(self.frames_out / self.fps))
            self.output.mux(self.out_video.encode(frame))
            self.frames_out += 1
            if self.frames_out == 1:
                self.codec_string = _avc_codec_string(self.out_video.codec_context.extradata)

    # --- sound ---

    def _audio_packet(self, audio: AudioStream, packet: av.Packet[Any] | None) -> None:
        try:
            frames = audio.decode(packet)
        except av.error.FFmpegError:
            self.skipped_audio += 1
            return
        for frame in frames:
            if frame.pts is None or frame.time_base is None:
                self.skipped_audio += 1
            elif self._start is None:
                self._pending_audio.append(frame)
            else:
                self._push_audio(frame)
        if packet is None and self._audio_graph is not None:
            self._audio_graph.push(None)
            self._encode_audio()

    def _push_audio(self, frame: AudioFrame) -> None:
        key = (frame.sample_rate, frame.format.name, frame.layout.name)
        if self._audio_graph is None:
            self._audio_graph = self._make_audio_graph(frame)
            self._audio_key = key
        elif key != self._audio_key:
            self.skipped_audio += 1  # the sound changed format mid-film; keep the first
            return
        assert frame.time_base is not None and frame.pts is not None and self._start is not None
        # Count in samples from the first picture; aresample fills gaps and trims overlaps.
        # AAC starts with PRIMING samples of encoder delay that a fragmented MP4 cannot hide
        # (it has no edit list), so the sound is fed that much early and its packets are
        # stamped that much late: sound and picture line up and no timestamp is negative
        # (a negative one would make the muxer delay the picture too, breaking N/fps).
        at = float(frame.pts * frame.time_base) - self._start - PRIMING / AUDIO_RATE
        frame.pts = round(at * frame.sample_rate)
        frame.time_base = Fraction(1, frame.sample_rate)
        self._audio_graph.push(frame)
        self._encode_audio()

    def _make_audio_graph(self, frame: AudioFrame) -> Graph:
        assert self.out_audio is not None
        graph = Graph()
        chain = [
            graph.add_abuffer(
                sample_rate=frame.sample_rate,
                format=frame.format.name,
                layout=frame.layout.name,
                time_base=Fraction(1, frame.sample_rate),
            ),
            # async: stretch small drifts, pad gaps with silence; first_pts=0: start at the
            # first picture, trimming earlier sound or padding a late start.
            graph.add("aresample", f"{AUDIO_RATE}:async=1:first_pts=0"),
            graph.add(
                "aformat",
                f"sample_fmts=fltp:sample_rates={AUDIO_RATE}"
                f":channel_layouts={self.out_audio.layout.name}",
            ),
            graph.add("abuffersink"),
        ]
        graph.link_nodes(*chain).configure()
        graph.set_audio_frame_size(AUDIO_FRAME)
        return graph

    def _encode_audio(self) -> None:
        assert self._audio_graph is not None and self.out_audio is not None
        while True:
            try:
                frame = self._audio_graph.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            assert isinstance(frame, AudioFrame)
            if self.peaks is not None and frame.pts is not None:
                self.peaks.add_frame(frame, start_s=(frame.pts + PRIMING) / AUDIO_RATE)
            self._mux_audio(self.out_audio.encode(frame))

    def _mux_audio(self, packets: list[av.Packet[Any]]) -> None:
        for packet in packets:
            if packet.pts is not None:
                packet.pts += PRIMING
            if packet.dts is not None:
                packet.dts += PRIMING
            self.output.mux(packet)

    # --- end ---

    def _flush(self) -> None:
        self.output.mux(self.out_video.encode(None))
        if self.out_audio is not None:
            self._mux_audio(self.out_audio.encode(None))

    def _report(self, at: float) -> None:
        if self.progress is None or self.info.duration_s <= 0:
            return
        fraction = min(at / self.info.duration_s, 0.999)
        if fraction - self._reported >= 0.005:
            self._reported = fraction
            self.progress(fraction)


def x264_options(*, gop: int, crf: int, preset: str) -> dict[str, str]:
    """libx264 settings of the proxy (the benchmark gives the same to the ffmpeg CLI)."""
    return {
        "preset": preset,
        "crf": str(crf),
        "profile": "high",
        # keyint = min-keyint = gop with scene-cut off: an IDR frame exactly every second.
        "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0",
    }


def _avc_codec_string(extradata: bytes | None) -> str:
    """RFC 6381 'avc1.PPCCLL' from the encoder's sequence parameter set."""
    if not extradata:
        return "avc1.64001f"
    if extradata[0] == 1 and len(extradata) >= 4:  # avcC box contents
        return "avc1." + extradata[1:4].hex()
    index = 0
    while (index := extradata.find(b"\x00\x00\x01", index)) >= 0:
        nal = extradata[index + 3 : index + 7]
        if len(nal) == 4 and nal[0] & 0x1F == 7:  # sequence parameter set
            return "avc1." + nal[1:4].hex()
        index += 3
    return "avc1.64001f"


def _mime_type(codec: str, has_audio: bool) -> str:
    codecs = f"{codec}, mp4a.40.2" if has_audio else codec
    return f'video/mp4; codecs="{codecs}"'
