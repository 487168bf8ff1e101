"""A seekable, read-only file over a vault object, for FFmpeg to read from."""

from __future__ import annotations

import io
import os

from attunely.vault.service import VaultReader


class VaultFile(io.RawIOBase):
    """Decrypts only what is read; keeps the last chunk so small sequential reads are cheap."""

    def __init__(self, reader: VaultReader) -> None:
        super().__init__()
        self._reader = reader
        self._size = reader.length
        self._pos = 0
        self._chunk_size = reader.info.chunk_size
        self._cached_index = -1
        self._cached = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _chunk(self, index: int) -> bytes:
        if index != self._cached_index:
            start = index * self._chunk_size
            self._cached = self._reader.read_range(start, min(self._size, start + self._chunk_size))
            self._cached_index = index
        return self._cached

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        filled = 0
        while filled < len(view) and self._pos < self._size:
            index, within = divmod(self._pos, self._chunk_size)
            chunk = self._chunk(index)
            take = min(len(view) - filled, len(chunk) - within)
            view[filled : filled + take] = chunk[within : within + take]
            filled += take
            self._pos += take
        return filled

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._size - self._pos
        buffer = bytearray(max(0, min(size, self._size - self._pos)))
        count = self.readinto(buffer)
        return bytes(buffer[:count])
