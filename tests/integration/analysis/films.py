"""Small real films for the bad-input tests: plain sound and picture, and damaged copies."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_plain_film(
    path: Path, *, seconds: float, audio: np.ndarray | None, moving: bool = False
) -> Path:
    """A small H.264/AAC MP4 with the given 16 kHz sound and a grey picture."""
    fps = 10
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        video.options = {"preset": "ultrafast"}
        sound = None
        if audio is not None:
            sound = container.add_stream("aac", rate=16_000)
            sound.layout = "mono"
        for i in range(round(seconds * fps)):
            picture = np.full((120, 160, 3), 100, dtype=np.uint8)
            if moving:
                picture[40:80, 20 + (i % 5) * 4 : 50 + (i % 5) * 4] = 220
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None and audio is not None:
            for start in range(0, audio.size, 16_000):
                piece = audio[start : start + 16_000].astype(np.float32)[None, :]
                frame = av.AudioFrame.from_ndarray(piece, format="flt", layout="mono")
                frame.sample_rate = 16_000
                frame.pts = start
                frame.time_base = Fraction(1, 16_000)
                container.mux(sound.encode(frame))
            container.mux(sound.encode(None))
    return path


def damage(source: Path, target: Path, *, at: tuple[float, ...] = (0.3, 0.5, 0.7)) -> Path:
    """Copy a file and overwrite 3 kB of random bytes at each fraction of its length."""
    data = bytearray(source.read_bytes())
    rng = np.random.default_rng(0)
    for fraction in at:
        i = int(len(data) * fraction)
        data[i : i + 3000] = rng.integers(0, 256, 3000, dtype=np.uint8).tobytes()
    target.write_bytes(bytes(data))
    return target
