"""Seekable chunked encryption: round trips, exact ranges, and every kind of tampering refused."""

from __future__ import annotations

import hashlib
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunely.errors import IntegrityError, InvalidInput
from attunely.vault import crypto

CHUNK = 64
KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def seal(data: bytes, *, object_id: str = "obj-1", chunk: int = CHUNK, key: bytes = KEY) -> bytes:
    return crypto.seal_bytes(data, key=key, object_id=object_id, chunk_size=chunk)


def opened(
    sealed: bytes, length: int, *, object_id: str = "obj-1", chunk: int = CHUNK, key: bytes = KEY
) -> crypto.SealedReader:
    return crypto.open_bytes(sealed, key=key, object_id=object_id, chunk_size=chunk, length=length)


def chunk_span(index: int, length: int, chunk: int = CHUNK) -> tuple[int, int]:
    """Byte span of sealed chunk `index` inside the sealed object."""
    count = crypto.chunk_count(length, chunk)
    start = crypto.HEADER_SIZE + index * (chunk + crypto.CHUNK_OVERHEAD)
    plain = length - index * chunk if index == count - 1 else chunk
    return start, start + plain + crypto.CHUNK_OVERHEAD


SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1, 7 * CHUNK - 3, 10 * CHUNK]


@pytest.mark.parametrize("size", SIZES)
def test_round_trip_at_chunk_boundaries(size: int) -> None:
    data = os.urandom(size)
    sealed = seal(data)
    assert len(sealed) == crypto.sealed_size(size, CHUNK)
    reader = opened(sealed, size)
    assert reader.read() == data
    assert reader.length == size
    assert reader.chunk_count == max(1, -(-size // CHUNK))
    assert reader.sha256 == hashlib.sha256(data).hexdigest()
    reader.verify()


@pytest.mark.parametrize("piece", [1, 7, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 1000])
def test_streaming_in_any_piece_size_gives_the_same_plaintext(piece: int) -> None:
    data = os.urandom(9 * CHUNK + 5)
    sink: list[bytes] = []
    encryptor = crypto.StreamEncryptor(
        key=KEY, object_id="obj-1", chunk_size=CHUNK, sink=lambda b: sink.append(bytes(b))
    )
    for i in range(0, len(data), piece):
        # Mutable buffers reused by the caller must not leak into later chunks.
        buffer = bytearray(data[i : i + piece])
        encryptor.update(buffer)
        buffer[:] = b"\xff" * len(buffer)
    encryptor.update(b"")
    encryptor.finish()
    sealed = b"".join(sink)
    assert encryptor.summary.length == len(data)
    assert encryptor.summary.sealed_size == len(sealed)
    assert opened(sealed, len(data)).read() == data


def test_default_chunk_size_round_trip_of_a_few_mebibytes() -> None:
    size = 3 * crypto.DEFAULT_CHUNK_SIZE + 12345
    data = os.urandom(size)
    sealed = crypto.seal_bytes(data, key=KEY, object_id="big")
    reader = crypto.open_bytes(
        sealed, key=KEY, object_id="big", chunk_size=crypto.DEFAULT_CHUNK_SIZE, length=size
    )
    assert (
        reader.read(crypto.DEFAULT_CHUNK_SIZE - 10, 2 * crypto.DEFAULT_CHUNK_SIZE + 10)
        == (data[crypto.DEFAULT_CHUNK_SIZE - 10 : 2 * crypto.DEFAULT_CHUNK_SIZE + 10])
    )
    assert reader.read() == data


@settings(max_examples=150, deadline=None)
@given(data=st.data(), size=st.integers(min_value=0, max_value=12 * CHUNK))
def test_any_range_returns_exactly_those_bytes(data: st.DataObject, size: int) -> None:
    plain = os.urandom(size)
    reader = opened(seal(plain), size)
    start = data.draw(st.integers(min_value=0, max_value=size), label="start")
    end = data.draw(st.integers(min_value=start, max_value=size), label="end")
    assert reader.read(start, end) == plain[start:end]
    assert b"".join(reader.iter_range(start, end)) == plain[start:end]


def test_a_range_read_decrypts_only_the_chunks_it_needs() -> None:
    plain = os.urandom(20 * CHUNK)
    sealed = seal(plain)
    touched: list[tuple[int, int]] = []

    def read_at(offset: int, size: int) -> bytes:
        touched.append((offset, size))
        return sealed[offset : offset + size]

    reader = crypto.SealedReader(
        key=KEY, object_id="obj-1", chunk_size=CHUNK, length=len(plain), read_at=read_at
    )
    touched.clear()
    assert reader.read(5 * CHUNK + 3, 6 * CHUNK + 1) == plain[5 * CHUNK + 3 : 6 * CHUNK + 1]
    assert [offset for offset, _ in touched] == [
        chunk_span(5, len(plain))[0],
        chunk_span(6, len(plain))[0],
    ]


@pytest.mark.parametrize(("start", "end"), [(-1, 3), (5, 4), (0, 3 * CHUNK + 1)])
def test_ranges_outside_the_object_are_refused(start: int, end: int) -> None:
    reader = opened(seal(os.urandom(3 * CHUNK)), 3 * CHUNK)
    with pytest.raises(InvalidInput):
        reader.read(start, end)


@pytest.mark.parametrize("size", [0, 1, CHUNK, 3 * CHUNK + 10])
def test_flipping_any_single_byte_is_detected(size: int) -> None:
    plain = os.urandom(size)
    sealed = seal(plain)
    for position in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        with pytest.raises(IntegrityError):
            opened(bytes(tampered), size).read()


@pytest.mark.parametrize("cut", [1, crypto.TAG_SIZE, crypto.FOOTER_SIZE, CHUNK + 28, 200])
def test_truncation_is_detected(cut: int) -> None:
    plain = os.urandom(4 * CHUNK)
    sealed = seal(plain)
    truncated = sealed[:-cut]
    with pytest.raises(IntegrityError):
        opened(truncated, len(plain)).read()
    # Even when the reader is not told the stored size, nothing past the cut is served.
    with pytest.raises(IntegrityError):
        crypto.SealedReader(
            key=KEY,
            object_id="obj-1",
            chunk_size=CHUNK,
            length=len(plain),
            read_at=lambda offset, size: truncated[offset : offset + size],
        ).read()


def test_dropping_whole_trailing_chunks_and_claiming_a_shorter_length_fails() -> None:
    plain = os.urandom(4 * CHUNK)
    sealed = seal(plain)
    # Keep header + the first two chunks, re-attach the real footer, claim 2 chunks' length.
    _, end_of_second = chunk_span(1, len(plain))
    forged = sealed[:end_of_second] + sealed[-crypto.FOOTER_SIZE :]
    with pytest.raises(IntegrityError):
        opened(forged, 2 * CHUNK)
    # Without the footer's help: serve chunk 1 as if it were the last one.
    with pytest.raises(IntegrityError):
        crypto.SealedReader(
            key=KEY,
            object_id="obj-1",
            chunk_size=CHUNK,
            length=2 * CHUNK,
            read_at=lambda o, s: (sealed[:end_of_second] + sealed[-crypto.FOOTER_SIZE :])[
                o : o + s
            ],
        )


def test_extra_bytes_after_the_footer_are_detected() -> None:
    plain = os.urandom(2 * CHUNK)
    with pytest.raises(IntegrityError):
        opened(seal(plain) + b"\x00", len(plain))


def test_reordered_chunks_are_detected() -> None:
    plain = os.urandom(3 * CHUNK)
    sealed = seal(plain)
    a, b = chunk_span(0, len(plain)), chunk_span(1, len(plain))
    swapped = sealed[: a[0]] + sealed[b[0] : b[1]] + sealed[a[0] : a[1]] + sealed[b[1] :]
    assert len(swapped) == len(sealed)
    reader = opened(swapped, len(plain))
    with pytest.raises(IntegrityError, match="chunk 0"):
        reader.read(0, 1)
    with pytest.raises(IntegrityError, match="chunk 1"):
        reader.read(CHUNK, CHUNK + 1)
    assert reader.read(2 * CHUNK, 3 * CHUNK) == plain[2 * CHUNK :]


def test_a_chunk_swapped_in_from_another_object_is_detected_even_under_the_same_key() -> None:
    plain_a, plain_b = os.urandom(3 * CHUNK), os.urandom(3 * CHUNK)
    sealed_a = seal(plain_a, object_id="object-a")
    sealed_b = seal(plain_b, object_id="object-b")
    start, end = chunk_span(1, 3 * CHUNK)
    mixed = sealed_a[:start] + sealed_b[start:end] + sealed_a[end:]
    reader = opened(mixed, 3 * CHUNK, object_id="object-a")
    assert reader.read(0, CHUNK) == plain_a[:CHUNK]
    with pytest.raises(IntegrityError, match="chunk 1"):
        reader.read(CHUNK, 2 * CHUNK)
    # The whole sealed object presented under another id fails at the footer.
    with pytest.raises(IntegrityError, match="footer"):
        opened(sealed_b, 3 * CHUNK, object_id="object-a")


def test_wrong_key_or_recorded_length_or_chunk_size_is_refused() -> None:
    plain = os.urandom(3 * CHUNK)
    sealed = seal(plain)
    with pytest.raises(IntegrityError):
        opened(sealed, len(plain), key=OTHER_KEY)
    with pytest.raises(IntegrityError):
        crypto.SealedReader(
            key=KEY,
            object_id="obj-1",
            chunk_size=CHUNK,
            length=len(plain) - 1,
            read_at=lambda o, s: sealed[o : o + s],
        )
    with pytest.raises(IntegrityError):
        opened(sealed, len(plain), chunk=CHUNK * 2)


def test_nonces_are_fresh_so_sealing_twice_differs() -> None:
    plain = b"\x00" * (3 * CHUNK)
    first, second = seal(plain), seal(plain)
    assert first != second
    nonces = {
        first[s : s + crypto.NONCE_SIZE] for s, _ in (chunk_span(i, len(plain)) for i in range(3))
    }
    assert len(nonces) == 3


def test_key_wrapping_binds_the_context() -> None:
    kek, key = crypto.new_key(), crypto.new_key()
    wrapped = crypto.wrap_key(kek, key, context=b"case-1")
    assert crypto.unwrap_key(kek, wrapped, context=b"case-1") == key
    with pytest.raises(IntegrityError):
        crypto.unwrap_key(kek, wrapped, context=b"case-2")
    with pytest.raises(IntegrityError):
        crypto.unwrap_key(crypto.new_key(), wrapped, context=b"case-1")
    with pytest.raises(IntegrityError):
        crypto.unwrap_key(kek, wrapped[:-1] + bytes([wrapped[-1] ^ 1]), context=b"case-1")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": b"short", "object_id": "x"},
        {"key": KEY, "object_id": ""},
        {"key": KEY, "object_id": "x", "chunk_size": 8},
        {"key": KEY, "object_id": "x", "chunk_size": crypto.MAX_CHUNK_SIZE + 1},
    ],
)
def test_bad_parameters_are_refused_clearly(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        crypto.StreamEncryptor(**kwargs)  # type: ignore[arg-type]


def test_an_encryptor_seals_only_once() -> None:
    encryptor = crypto.StreamEncryptor(key=KEY, object_id="x", chunk_size=CHUNK)
    encryptor.finish()
    with pytest.raises(InvalidInput):
        encryptor.update(b"more")
    with pytest.raises(InvalidInput):
        encryptor.finish()
