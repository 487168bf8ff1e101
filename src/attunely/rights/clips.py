"""Cut a clip out of a film's playback copy without re-encoding, straight into a sink.

The playback copy has a keyframe every second, so a clip starts at the keyframe at or before its
first frame (at most a second early) and ends at its last frame. The sink only needs `write`:
the clip goes into the subject access package as it is cut, never through a temporary file.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av

from attunely.media import files
from attunely.media.transcode import FRAGMENTED_MP4


def cut(source: files.Source, sink: files.Sink, *, start_s: float, end_s: float) -> int:
    """Copy the packets of [start_s, end_s) of `source` into an MP4 in `sink`; return bytes."""
    out = files.writer(sink)
    with files.open_input(files.reader(source)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        output = av.open(out, mode="w", format="mp4", options={"movflags": FRAGMENTED_MP4})
        try:
            streams: dict[int, Any] = {video.index: output.add_stream_from_template(video)}
            if audio is not None:
                streams[audio.index] = output.add_stream_from_template(audio)
            assert video.time_base is not None
            container.seek(int(start_s / video.time_base), stream=video, backward=True)
            origin: float | None = None
            done: set[int] = set()
            wanted = [s for s in (video, audio) if s is not None]
            for packet in container.demux(*wanted):
                if packet.pts is None or packet.time_base is None:
                    continue
                at = float(packet.pts * packet.time_base)
                index = packet.stream.index
                if origin is None:
                    if index != video.index or not packet.is_keyframe:
                        continue
                    origin = at
                if at < origin:
                    continue
                if at >= end_s:
                    done.add(index)
                    if len(done) == len(wanted):
                        break
                    continue
                shift = int(Fraction(origin) / packet.time_base)
                packet.pts -= shift
                if packet.dts is not None:
                    packet.dts -= shift
                packet.stream = streams[index]
                output.mux(packet)
        finally:
            output.close()
    return out.written
