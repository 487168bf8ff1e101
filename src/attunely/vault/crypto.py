"""Seekable authenticated encryption of large objects, in independently decryptable chunks.

Pure code: no database, no storage, no web. Built only from `cryptography`'s AES-256-GCM.

Format (version 1) of one sealed object, all integers big-endian::

    header   16 bytes                 b"ATTVAULT" | u16 format (1) | u16 0 | u32 chunk_size
    chunk i  12 + n_i + 16 bytes      nonce | AES-GCM ciphertext of n_i plaintext bytes | tag
    footer   12 + 52 + 16 bytes       nonce | AES-GCM(u64 count | u64 length | u32 chunk_size
                                                      | 32-byte SHA-256 of the plaintext) | tag

An object has at least one chunk. Every chunk but the last holds exactly `chunk_size` bytes;
the last holds 1..chunk_size bytes (0 only when the whole object is empty). So the position
of every chunk follows from (chunk_size, length) alone and any byte range can be served by
decrypting only the chunks that overlap it.

What each authentication tag binds (its associated data):

- every chunk: the header, the object id, the chunk index, and a "last chunk" flag; the last
  chunk also binds the total chunk count and total plaintext length. A chunk moved to another
  position or another object, or a middle chunk presented as the end, fails.
- the footer: the header and the object id. It carries the count, the length, the chunk size
  and the plaintext digest, so a reader learns them from an authenticated source before it
  serves a byte. A chunk is then accepted only with `last = (index == count - 1)`, which binds
  the total count to every chunk even though a streaming writer cannot know it until the end.

Truncation removes the footer or the flagged last chunk (or changes the blob's size, which is
checked against the authenticated length); reordering or swapping breaks the index or object
binding; any changed byte breaks a tag or the header check. Every such failure raises
`IntegrityError`.

Nonces: each object gets a fresh random 256-bit data key, and each chunk (and the footer) a
fresh random 96-bit nonce stored in front of it. A counter nonce would also be safe while an
object is written exactly once, but a restarted or retried writer that re-encrypts chunk i
under the same key with different bytes would reuse a nonce, which breaks GCM completely
(plaintext XOR leaks and tags become forgeable). Random nonces make that mistake harmless for
12 bytes per MiB; with at most a few million chunks per key the chance of any collision stays
below 2**-50.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from attunely.errors import IntegrityError, InvalidInput

MAGIC = b"ATTVAULT"
FORMAT_VERSION = 1
KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16
CHUNK_OVERHEAD = NONCE_SIZE + TAG_SIZE
HEADER_SIZE = 16
_FOOTER_BODY = struct.Struct(">QQI32s")
FOOTER_SIZE = NONCE_SIZE + _FOOTER_BODY.size + TAG_SIZE
DEFAULT_CHUNK_SIZE = 256 * 1024
MIN_CHUNK_SIZE = 16
MAX_CHUNK_SIZE = 64 * 1024 * 1024

_HEADER = struct.Struct(">8sHHI")
_CHUNK_TAIL = struct.Struct(">QBQQ")
_CHUNK_DOMAIN = b"attunely/vault/chunk/v1\x00"
_FOOTER_DOMAIN = b"attunely/vault/footer/v1\x00"
_WRAP_DOMAIN = b"attunely/vault/wrapped-key/v1\x00"

#: Read `size` bytes at `offset` of the sealed object; may return fewer at its end.
ReadAt = Callable[[int, int], bytes]

_HAS_INTO = hasattr(AESGCM, "encrypt_into")


def new_key() -> bytes:
    """Return a fresh random AES-256 key."""
    return AESGCM.generate_key(bit_length=256)


def _check_key(key: bytes) -> None:
    if len(key) != KEY_SIZE:
        raise InvalidInput(f"a vault key is {KEY_SIZE} bytes, not {len(key)}")


def _check_chunk_size(chunk_size: int) -> None:
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise InvalidInput(
            f"chunk size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes",
            field="chunk_size",
        )


def _object_id_bytes(object_id: str) -> bytes:
    raw = object_id.encode("utf-8")
    if not 0 < len(raw) <= 255:
        raise InvalidInput("an object id is 1 to 255 bytes", field="object_id")
    # Length-prefixed so ids never run into the fields after them.
    return struct.pack(">H", len(raw)) + raw


def header_bytes(chunk_size: int) -> bytes:
    """Return the header that starts every sealed object of this chunk size."""
    return _HEADER.pack(MAGIC, FORMAT_VERSION, 0, chunk_size)


def chunk_count(length: int, chunk_size: int) -> int:
    """Return how many chunks hold `length` plaintext bytes (at least one)."""
    return max(1, -(-length // chunk_size))


def sealed_size(length: int, chunk_size: int) -> int:
    """Return the size in bytes of the sealed form of `length` plaintext bytes."""
    return HEADER_SIZE + chunk_count(length, chunk_size) * CHUNK_OVERHEAD + length + FOOTER_SIZE


def _chunk_aad(prefix: bytes, index: int, *, last: bool, count: int, length: int) -> bytes:
    if last:
        return prefix + _CHUNK_TAIL.pack(index, 1, count, length)
    return prefix + _CHUNK_TAIL.pack(index, 0, 0, 0)


def wrap_key(kek: bytes, key: bytes, *, context: bytes) -> bytes:
    """Encrypt `key` under the key-encryption key `kek`, bound to `context`."""
    _check_key(kek)
    nonce = os.urandom(NONCE_SIZE)
    return nonce + AESGCM(kek).encrypt(nonce, key, _WRAP_DOMAIN + context)


def unwrap_key(kek: bytes, wrapped: bytes, *, context: bytes) -> bytes:
    """Decrypt a key sealed by `wrap_key` with the same `kek` and `context`."""
    _check_key(kek)
    try:
        return AESGCM(kek).decrypt(
            wrapped[:NONCE_SIZE], wrapped[NONCE_SIZE:], _WRAP_DOMAIN + context
        )
    except (InvalidTag, ValueError):
        raise IntegrityError("a wrapped key failed authentication") from None


@dataclass(frozen=True)
class SealedSummary:
    """What a finished encryptor wrote."""

    length: int
    chunk_count: int
    chunk_size: int
    sha256: str
    sealed_size: int


#: Receives sealed bytes; the buffer it gets may be reused once it returns.
Sink = Callable[[memoryview], None]

#: Pieces at least this large are hashed on a helper thread.
_THREADED_DIGEST_MIN = 256 * 1024


class _OverlappedDigest:
    """SHA-256 of the plaintext, computed on a helper thread one piece behind the caller.

    hashlib releases the GIL on large buffers, so hashing piece n overlaps with encrypting
    and writing it; SHA-256 is several times slower than AES-GCM here, so hashing inline
    would cost about as much as everything else put together. At most one piece is in
    flight, so memory stays bounded. Pieces must not change while they are hashed (the
    encryptor only passes immutable bytes).
    """

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._pool: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def update(self, view: memoryview) -> None:
        self._wait()
        if len(view) < _THREADED_DIGEST_MIN:
            self._hash.update(view)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vault-sha256")
        self._pending = self._pool.submit(self._hash.update, view)

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def digest(self) -> bytes:
        self._wait()
        self.close()
        return self._hash.digest()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


class StreamEncryptor:
    """Encrypt bytes as they arrive; holds back at most one chunk of plaintext.

    Call `update` with each piece and `finish` at the end. With a `sink`, sealed bytes go
    to it as soon as they are ready (in a buffer that is reused after the call returns,
    so large objects are sealed without allocating per chunk); without one, `update` and
    `finish` return them. The last chunk is only known to be last when `finish` comes, so
    one full chunk is held back until more data (or the end) arrives. Pieces passed as
    `bytes` are held without copying; mutable buffers are copied first.
    """

    def __init__(
        self,
        *,
        key: bytes,
        object_id: str,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        sink: Sink | None = None,
    ) -> None:
        _check_key(key)
        _check_chunk_size(chunk_size)
        self._aead = AESGCM(key)
        self._chunk_size = chunk_size
        self._header = header_bytes(chunk_size)
        oid = _object_id_bytes(object_id)
        self._chunk_prefix = _CHUNK_DOMAIN + self._header + oid
        self._footer_aad = _FOOTER_DOMAIN + self._header + oid
        self._sink = sink
        self._collected: list[bytes] = []
        self._held: list[memoryview] = []
        self._held_length = 0
        self._out = bytearray(NONCE_SIZE + chunk_size + TAG_SIZE)
        self._index = 0
        self._length = 0
        self._digest = _OverlappedDigest()
        self._started = False
        self._summary: SealedSummary | None = None

    def _emit(self, data: memoryview) -> None:
        if self._sink is not None:
            self._sink(data)
        else:
            self._collected.append(bytes(data))

    def _collected_bytes(self) -> bytes:
        out = b"".join(self._collected)
        self._collected.clear()
        return out

    def _seal(self, plain: bytes | memoryview, *, last: bool) -> None:
        nonce = os.urandom(NONCE_SIZE)
        aad = _chunk_aad(
            self._chunk_prefix, self._index, last=last, count=self._index + 1, length=self._length
        )
        size = NONCE_SIZE + len(plain) + TAG_SIZE
        out = memoryview(self._out)[:size]
        out[:NONCE_SIZE] = nonce
        if _HAS_INTO:
            self._aead.encrypt_into(nonce, plain, aad, out[NONCE_SIZE:])
        else:  # pragma: no cover - cryptography before encrypt_into
            out[NONCE_SIZE:] = self._aead.encrypt(nonce, plain, aad)
        self._emit(out)
        self._index += 1

    def _take(self, size: int) -> bytes | memoryview:
        """Remove and return the first `size` held bytes (no copy when one piece has them)."""
        first = self._held[0]
        if len(first) >= size:
            piece = first[:size]
            if len(first) == size:
                self._held.pop(0)
            else:
                self._held[0] = first[size:]
            self._held_length -= size
            return piece
        parts, need = [], size
        while need:
            head = self._held[0]
            if len(head) <= need:
                parts.append(head)
                self._held.pop(0)
                need -= len(head)
            else:
                parts.append(head[:need])
                self._held[0] = head[need:]
                need = 0
        self._held_length -= size
        return b"".join(parts)

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self._emit(memoryview(self._header))

    def update(self, data: bytes | bytearray | memoryview) -> bytes:
        """Take the next piece of plaintext; without a sink, return what is ready."""
        if self._summary is not None:
            raise InvalidInput("the object is already sealed")
        self._start()
        if not isinstance(data, bytes):
            # The caller may reuse a mutable buffer; hold our own copy of it.
            data = bytes(data)
        if data:
            view = memoryview(data)
            self._digest.update(view)
            self._length += len(view)
            self._held.append(view)
            self._held_length += len(view)
        # Keep the final piece back: only `finish` knows which chunk is the last.
        while self._held_length > self._chunk_size:
            self._seal(self._take(self._chunk_size), last=False)
        return self._collected_bytes()

    def close(self) -> None:
        """Release the helper thread of an encryptor that will not be finished."""
        self._digest.close()

    def finish(self) -> bytes:
        """Seal the last chunk and the footer; without a sink, return what remains."""
        if self._summary is not None:
            raise InvalidInput("the object is already sealed")
        self._start()
        self._seal(self._take(self._held_length) if self._held else b"", last=True)
        digest = self._digest.digest()
        body = _FOOTER_BODY.pack(self._index, self._length, self._chunk_size, digest)
        nonce = os.urandom(NONCE_SIZE)
        self._emit(memoryview(nonce + self._aead.encrypt(nonce, body, self._footer_aad)))
        self._summary = SealedSummary(
            length=self._length,
            chunk_count=self._index,
            chunk_size=self._chunk_size,
            sha256=digest.hex(),
            sealed_size=sealed_size(self._length, self._chunk_size),
        )
        return self._collected_bytes()

    @property
    def length(self) -> int:
        """Plaintext bytes taken so far."""
        return self._length

    @property
    def summary(self) -> SealedSummary:
        """What was written; available after `finish`."""
        if self._summary is None:
            raise InvalidInput("the object is not sealed yet")
        return self._summary


class SealedReader:
    """Decrypt any byte range of a sealed object, reading only the chunks it overlaps.

    Opening checks the header, the footer and (when given) the stored size, so a reader
    that opens without error knows the authenticated length and chunk count.
    """

    def __init__(
        self,
        *,
        key: bytes,
        object_id: str,
        chunk_size: int,
        length: int,
        read_at: ReadAt,
        stored_size: int | None = None,
    ) -> None:
        _check_key(key)
        _check_chunk_size(chunk_size)
        self._aead = AESGCM(key)
        self._object_id = object_id
        self._chunk_size = chunk_size
        self._read_at = read_at
        self._header = header_bytes(chunk_size)
        oid = _object_id_bytes(object_id)
        self._chunk_prefix = _CHUNK_DOMAIN + self._header + oid
        if length < 0:
            raise IntegrityError(f"object {object_id} has a negative length")
        expected_size = sealed_size(length, chunk_size)
        if stored_size is not None and stored_size != expected_size:
            raise IntegrityError(
                f"object {object_id} is {stored_size} bytes, not the {expected_size} expected"
                " (truncated or extended)"
            )
        if self._read_exact(0, HEADER_SIZE) != self._header:
            raise IntegrityError(f"object {object_id} has a damaged header")
        footer = self._read_exact(expected_size - FOOTER_SIZE, FOOTER_SIZE)
        try:
            body = self._aead.decrypt(
                footer[:NONCE_SIZE], footer[NONCE_SIZE:], _FOOTER_DOMAIN + self._header + oid
            )
        except InvalidTag:
            raise IntegrityError(f"object {object_id} has a damaged footer") from None
        count, sealed_length, sealed_chunk, digest = _FOOTER_BODY.unpack(body)
        if (count, sealed_length, sealed_chunk) != (
            chunk_count(length, chunk_size),
            length,
            chunk_size,
        ):
            raise IntegrityError(f"object {object_id} does not have the recorded length")
        self._length = length
        self._count = int(count)
        self._sha256 = bytes(digest).hex()
        if length == 0:
            # No range ever touches the single empty chunk, so check it now.
            self.chunk(0)

    @property
    def length(self) -> int:
        """Authenticated plaintext length."""
        return self._length

    @property
    def chunk_count(self) -> int:
        return self._count

    @property
    def sha256(self) -> str:
        """Authenticated SHA-256 of the whole plaintext (hex), from the footer."""
        return self._sha256

    def _read_exact(self, offset: int, size: int) -> bytes:
        data = self._read_at(offset, size)
        if len(data) != size:
            raise IntegrityError(f"object {self._object_id} is truncated")
        return data

    def chunk(self, index: int) -> bytes:
        """Return the plaintext of one chunk, authenticated."""
        if not 0 <= index < self._count:
            raise InvalidInput(f"chunk {index} is outside the object")
        last = index == self._count - 1
        plain_size = self._length - index * self._chunk_size if last else self._chunk_size
        offset = HEADER_SIZE + index * (self._chunk_size + CHUNK_OVERHEAD)
        sealed = self._read_exact(offset, plain_size + CHUNK_OVERHEAD)
        aad = _chunk_aad(
            self._chunk_prefix, index, last=last, count=self._count, length=self._length
        )
        try:
            view = memoryview(sealed)
            return self._aead.decrypt(view[:NONCE_SIZE], view[NONCE_SIZE:], aad)
        except InvalidTag:
            raise IntegrityError(
                f"object {self._object_id}: chunk {index} failed authentication"
            ) from None

    def _bounds(self, start: int, end: int | None) -> tuple[int, int]:
        end = self._length if end is None else end
        if not 0 <= start <= end <= self._length:
            raise InvalidInput(
                f"range {start}-{end} is outside the object (0-{self._length})", field="range"
            )
        return start, end

    def iter_range(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield the plaintext of [start, end) piece by piece (one chunk at a time)."""
        start, end = self._bounds(start, end)
        if start == end:
            return
        size = self._chunk_size
        for index in range(start // size, (end - 1) // size + 1):
            plain = self.chunk(index)
            base = index * size
            # Slice the chunk to the part of it that falls inside the range.
            yield plain[max(start - base, 0) : min(end - base, len(plain))]

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        """Return the plaintext of [start, end) (default: the whole object)."""
        return b"".join(self.iter_range(start, end))

    def verify(self) -> None:
        """Decrypt every chunk and check the whole plaintext against the sealed digest."""
        digest = hashlib.sha256()
        for index in range(self._count):
            digest.update(self.chunk(index))
        if digest.hexdigest() != self._sha256:
            raise IntegrityError(f"object {self._object_id} does not match its digest")


def seal_bytes(
    plain: bytes, *, key: bytes, object_id: str, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> bytes:
    """Seal a whole byte string at once (small objects and tests)."""
    encryptor = StreamEncryptor(key=key, object_id=object_id, chunk_size=chunk_size)
    return encryptor.update(plain) + encryptor.finish()


def open_bytes(
    sealed: bytes, *, key: bytes, object_id: str, chunk_size: int, length: int
) -> SealedReader:
    """Open a sealed byte string held in memory."""
    return SealedReader(
        key=key,
        object_id=object_id,
        chunk_size=chunk_size,
        length=length,
        read_at=lambda offset, size: sealed[offset : offset + size],
        stored_size=len(sealed),
    )
