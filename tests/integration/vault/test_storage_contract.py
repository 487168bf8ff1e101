"""Every storage backend keeps the same promises (local directory and S3 over real HTTP)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from attunely.errors import Conflict, InvalidInput, NotFound
from attunely.vault.storage import MIN_PART_SIZE, BlobStore, LocalDirStore, S3Store


def test_put_read_ranges_size_exists_list_delete(blob_store: BlobStore) -> None:
    data = os.urandom(10_000)
    blob_store.put("case-1/object-a", data)
    blob_store.put("case-2/object-b", b"xyz")
    assert blob_store.exists("case-1/object-a")
    assert not blob_store.exists("case-1/nothing")
    assert blob_store.size("case-1/object-a") == len(data)
    for start, end in [(0, 0), (0, 1), (17, 4099), (9_999, 10_000), (0, 10_000)]:
        assert blob_store.read_range("case-1/object-a", start, end) == data[start:end]
    # Past the end a read comes back short rather than padded.
    assert blob_store.read_range("case-1/object-a", 9_990, 20_000) == data[9_990:]
    assert blob_store.read_range("case-1/object-a", 20_000, 20_010) == b""
    assert sorted(b.key for b in blob_store.list()) == ["case-1/object-a", "case-2/object-b"]
    assert [b.key for b in blob_store.list("case-2/")] == ["case-2/object-b"]
    assert {b.key: b.size for b in blob_store.list()}["case-1/object-a"] == len(data)
    blob_store.delete("case-1/object-a")
    blob_store.delete("case-1/object-a")  # deleting twice is fine
    assert not blob_store.exists("case-1/object-a")
    with pytest.raises(NotFound):
        blob_store.size("case-1/object-a")
    with pytest.raises(NotFound):
        blob_store.read_range("case-1/object-a", 0, 1)


def test_multi_part_writes_assemble_in_order(blob_store: BlobStore) -> None:
    # Big enough for S3 to use a multipart upload with a short last part.
    pieces = [os.urandom(MIN_PART_SIZE // 3 + i) for i in range(4)]
    writer = blob_store.open_writer("case-1/multi")
    for piece in pieces:
        writer.write(piece)
    assert not blob_store.exists("case-1/multi"), "visible before commit"
    writer.commit()
    whole = b"".join(pieces)
    assert blob_store.size("case-1/multi") == len(whole)
    assert blob_store.read_range("case-1/multi", 0, len(whole)) == whole
    middle = MIN_PART_SIZE - 5
    assert blob_store.read_range("case-1/multi", middle, middle + 10) == whole[middle : middle + 10]


def test_an_aborted_write_leaves_nothing(blob_store: BlobStore) -> None:
    writer = blob_store.open_writer("case-1/aborted")
    writer.write(os.urandom(MIN_PART_SIZE + 10))
    writer.write(b"more")
    writer.abort()
    writer.abort()
    assert not blob_store.exists("case-1/aborted")
    assert list(blob_store.list()) == []
    assert blob_store.purge_incomplete(timedelta(0)) == 0


def test_an_abandoned_write_is_invisible_until_purged(blob_store: BlobStore) -> None:
    writer = blob_store.open_writer("case-1/abandoned")
    writer.write(os.urandom(MIN_PART_SIZE + 10))  # a process killed here leaves this behind
    assert list(blob_store.list()) == []
    assert not blob_store.exists("case-1/abandoned")
    assert blob_store.purge_incomplete(timedelta(seconds=-1)) == 1
    assert blob_store.purge_incomplete(timedelta(seconds=-1)) == 0


def test_a_young_local_upload_is_not_purged(tmp_path: Path) -> None:
    # Local only: the S3 emulator reports one fixed start date for every multipart upload,
    # so it cannot show an age threshold; real S3 reports the true start time.
    store = LocalDirStore(tmp_path / "vault")
    writer = store.open_writer("case-1/in-flight")
    writer.write(b"sealed bytes")
    assert store.purge_incomplete(timedelta(hours=1)) == 0
    writer.write(b" more")
    writer.commit()
    assert store.read_range("case-1/in-flight", 0, 100) == b"sealed bytes more"


@pytest.mark.parametrize("key", ["../escape", "/abs", "a//b", "", "a/../b", ".hidden", "a b"])
def test_unsafe_keys_are_refused(blob_store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidInput):
        blob_store.put(key, b"x")


def test_local_blobs_are_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    store = LocalDirStore(tmp_path / "vault")
    store.put("c/o", b"first")
    assert (tmp_path / "vault" / "c" / "o").stat().st_mode & 0o077 == 0
    with pytest.raises(Conflict):
        store.put("c/o", b"second")
    assert store.read_range("c/o", 0, 5) == b"first"
    assert [p.name for p in (tmp_path / "vault" / "c").iterdir()] == ["o"]


def test_s3_store_reports_an_unreachable_server_clearly() -> None:
    import boto3
    from botocore.config import Config

    from attunely.errors import ConfigurationError

    store = S3Store(
        bucket="attunely-nowhere",
        endpoint_url="http://127.0.0.1:9",
        access_key="a",
        secret_key="b",
    )
    # One quick attempt, so the test does not sit through the production retry policy.
    store.client = boto3.session.Session().client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="a",
        aws_secret_access_key="b",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    with pytest.raises(ConfigurationError, match="unavailable"):
        store.size("x")
