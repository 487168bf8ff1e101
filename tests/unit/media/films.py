"""Shared, cached test films and their proxies (each made once per test run, in memory)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from attunely.media import ProxyResult, make_proxy
from tests.support import media_files as mf

FILMS: dict[str, Callable[[], bytes]] = {
    "normal": mf.normal_film,
    "portrait": mf.portrait_film,
    "hevc60": mf.hevc_60fps_film,
    "vfr": mf.vfr_film,
    "no_audio": mf.no_audio_film,
    "webm": mf.webm_capture_film,
    "corrupted": mf.corrupted_film,
    "truncated_playable": lambda: mf.truncated_film(index_at_end=False),
    "full_hd": lambda: mf.film_bytes(width=1920, height=1080, seconds=1.0),
}


class RecordingSink:
    """A sink that keeps every write and would notice any attempt to seek or read back.

    It offers seek/tell/seekable on purpose: FFmpeg must not use them even when available.
    """

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.other_calls: list[str] = []

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        self.other_calls.append(f"seek({offset}, {whence})")
        raise OSError("this sink cannot seek")

    def tell(self) -> int:
        self.other_calls.append("tell()")
        raise OSError("this sink cannot tell")

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.other_calls.append("read()")
        raise OSError("this sink cannot read")

    @property
    def data(self) -> bytes:
        return b"".join(self.chunks)


@dataclass
class Proxied:
    source: bytes
    result: ProxyResult
    sink: RecordingSink
    progress: list[float] = field(default_factory=list)

    @property
    def data(self) -> bytes:
        return self.sink.data


@cache
def film(kind: str) -> bytes:
    return FILMS[kind]()


@cache
def proxied(kind: str) -> Proxied:
    source = film(kind)
    sink = RecordingSink()
    progress: list[float] = []
    result = make_proxy(io.BytesIO(source), sink, progress=progress.append)
    return Proxied(source=source, result=result, sink=sink, progress=progress)
