"""File-like objects in and out of FFmpeg, and opening a film without touching the disk.

FFmpeg (through PyAV) reads a film from a Python object and writes to one. Two adapters sit in
between so that FFmpeg sees exactly the abilities we mean it to have:

- `_Reader` offers read/seek/tell and nothing else, so closing the FFmpeg container never
  closes the caller's source (PyAV closes any object that has a `close` method).
- `_Writer` offers only `write`, so FFmpeg knows the sink cannot seek and never tries to go
  back (the vault's streaming encryptor accepts bytes strictly in order).
"""

from __future__ import annotations

import os
from typing import Any, Protocol

import av
import av.error
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.packet import Packet
from av.video.stream import VideoStream

from attunely.errors import MediaError


class Source(Protocol):
    """A seekable binary file-like object: `io.BytesIO`, an open file, the vault's reader."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


class Sink(Protocol):
    """Anything with `write(bytes)`; it need not seek (the vault's streaming encryptor)."""

    def write(self, data: bytes, /) -> object: ...


class _Reader:
    """Read/seek access to a `Source`; deliberately without `close`."""

    def __init__(self, source: Source) -> None:
        self._source = source
        self.size = source.seek(0, os.SEEK_END)
        source.seek(0)

    def read(self, size: int = -1) -> bytes:
        return self._source.read(size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._source.seek(offset, whence)

    def tell(self) -> int:
        return self._source.tell()

    def seekable(self) -> bool:
        return True


class _Writer:
    """Write-only access to a `Sink`, counting bytes. Having no `seek` tells FFmpeg it's a pipe."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self.written = 0

    def write(self, data: bytes) -> int:
        self._sink.write(data)
        self.written += len(data)
        return len(data)


def reader(source: Source) -> _Reader:
    """Wrap `source` for FFmpeg, refusing an empty file before FFmpeg sees it."""
    wrapped = _Reader(source)
    if wrapped.size == 0:
        raise MediaError("The file is empty (0 bytes): there is no film in it.", reason="empty")
    return wrapped


def writer(sink: Sink) -> _Writer:
    return _Writer(sink)


def open_input(source: _Reader) -> InputContainer:
    """Open a film for reading, turning FFmpeg's refusals into a `MediaError` that says why."""
    source.seek(0)
    try:
        return av.open(source, mode="r")
    except av.error.FFmpegError as exc:
        if mp4_cut_short(source):
            raise MediaError(
                "The film is incomplete: the file ends before its index, so it was probably "
                "cut off while copying or uploading. Please upload the complete file.",
                reason="truncated",
            ) from exc
        raise MediaError(
            "This file is not a video we can read (its format was not recognised).",
            reason="not_video",
        ) from exc


# Box types that can start an ISO base media file (MP4, MOV, 3GP).
_MP4_FIRST_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"}


def mp4_cut_short(source: _Reader) -> bool:
    """True if `source` is an MP4/MOV whose top-level boxes run past the end of the file.

    Only box headers are read (a few bytes per box), so this is cheap even for a large film.
    """
    source.seek(0)
    head = source.read(8)
    if len(head) < 8 or head[4:8] not in _MP4_FIRST_BOXES:
        return False
    at = 0
    for _ in range(100_000):
        if at >= source.size:
            return False
        source.seek(at)
        header = source.read(16)
        if len(header) < 8:
            return True
        size = int.from_bytes(header[0:4], "big")
        if size == 1:
            if len(header) < 16:
                return True
            size = int.from_bytes(header[8:16], "big")
        elif size == 0:
            return False  # "extends to the end of the file" by definition
        if size < 8:
            return False  # not a box structure we understand; let FFmpeg judge
        if at + size > source.size:
            return True
        at += size
    return False


class PacketReader:
    """Packets of `streams`, stepping over damaged ones instead of stopping at the first.

    PyAV's demux generator ends at the first error; FFmpeg's demuxer itself can usually carry
    on from where it was, so a fresh generator is started, up to a bound.
    """

    MAX_ERRORS = 1000

    def __init__(
        self, container: InputContainer, streams: tuple[VideoStream | AudioStream, ...]
    ) -> None:
        self._container = container
        self._streams = streams
        self.errors = 0

    def __iter__(self) -> PacketReader:
        self._demux = self._container.demux(self._streams)
        return self

    def __next__(self) -> Packet[Any]:
        while True:
            try:
                packet = next(self._demux)
            except av.error.EOFError:
                raise StopIteration from None
            except av.error.FFmpegError:
                self.errors += 1
                if self.errors > self.MAX_ERRORS:
                    raise StopIteration from None
                self._demux = self._container.demux(self._streams)
                continue
            if packet.size == 0 and packet.pts is None:
                # The demuxer's end-of-stream marker: nothing to read.
                continue
            return packet
