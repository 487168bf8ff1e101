"""Where sealed objects live: a local directory (default) or S3-compatible object storage.

Stores only ever see ciphertext. Keys are relative paths such as ``<case id>/<object id>``.
A blob becomes visible under its key only when its writer commits, so a reader (or the
orphan scan) never sees half a blob under a real key:

- `LocalDirStore` writes to a temporary file in the target directory, fsyncs it and links
  it into place; `purge_incomplete` removes temporaries a killed process left behind.
- `S3Store` sends parts with a multipart upload that is completed on commit and aborted on
  failure; `purge_incomplete` aborts uploads a killed process left open. It works against
  AWS S3, MinIO or Ceph RGW (path-style addressing, no newer checksum headers), selected
  with ``ATTUNELY_STORAGE=s3`` and the ``ATTUNELY_S3_*`` settings.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from attunely.config import Settings
from attunely.errors import ConfigurationError, Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")
_TMP_PREFIX = ".tmp-"
#: S3 parts must be at least 5 MiB, except the last.
DEFAULT_PART_SIZE = 8 * 1024 * 1024
MIN_PART_SIZE = 5 * 1024 * 1024


def check_key(key: str) -> str:
    """Return the key if it is a safe relative path; refuse anything else."""
    if len(key) > 512 or not _KEY.match(key):
        raise InvalidInput(f"not a valid storage key: {key[:80]!r}", field="key")
    return key


@dataclass(frozen=True)
class BlobInfo:
    """One stored blob."""

    key: str
    size: int
    modified: datetime


class BlobWriter(Protocol):
    """Receives a blob piece by piece; nothing is visible under the key before `commit`."""

    def write(self, data: bytes | bytearray | memoryview) -> None: ...

    def commit(self) -> None: ...

    def abort(self) -> None:
        """Throw away everything written (safe to call more than once, or after commit)."""
        ...


class BlobStore(Protocol):
    """The operations the vault needs from a storage backend."""

    name: str

    def open_writer(self, key: str) -> BlobWriter: ...

    def put(self, key: str, data: bytes) -> None: ...

    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Return bytes [start, end) of the blob (fewer if it ends sooner)."""
        ...

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the blob; removing a missing blob is not an error."""
        ...

    def list(self, prefix: str = "") -> Iterator[BlobInfo]: ...

    def purge_incomplete(self, older_than: timedelta) -> int:
        """Remove uploads abandoned longer ago than `older_than`; return how many."""
        ...


_WRITEBACK_STEP = 16 * 1024 * 1024
_FADVISE = getattr(os, "posix_fadvise", None)
_DONTNEED = getattr(os, "POSIX_FADV_DONTNEED", 4)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _LocalWriter:
    def __init__(self, root: Path, final: Path) -> None:
        self._root = root
        self._final = final
        final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Same directory as the target, so the final link is atomic on one filesystem.
        self._tmp = final.parent / f"{_TMP_PREFIX}{secrets.token_hex(8)}-{final.name}"
        self._fd: int | None = os.open(
            self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600
        )
        self._written = 0
        self._flushed = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._fd is None:
            raise Conflict("the blob writer is closed")
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
            self._written += written
        if self._written - self._flushed >= _WRITEBACK_STEP and _FADVISE is not None:
            # Start writing the finished part to disk now (Linux starts write-back for a
            # DONTNEED range), so the fsync at commit has little left to wait for.
            _FADVISE(self._fd, self._flushed, self._written - self._flushed, _DONTNEED)
            self._flushed = self._written

    def commit(self) -> None:
        if self._fd is None:
            raise Conflict("the blob writer is closed")
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = None
        try:
            # A hard link never replaces an existing blob (objects are write-once).
            os.link(self._tmp, self._final)
        except FileExistsError:
            self.abort()
            raise Conflict(f"blob {self._final.name} already exists") from None
        except FileNotFoundError:
            # The orphan clean-up removed this upload's temporary file: it was abandoned.
            raise Conflict("the upload was abandoned and cleaned up; send it again") from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                self.abort()
                raise
            os.replace(self._tmp, self._final)
        self._tmp.unlink(missing_ok=True)
        _fsync_dir(self._final.parent)

    def abort(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._tmp.unlink(missing_ok=True)


class LocalDirStore:
    """Blobs as files under one directory (default: `<data dir>/vault`)."""

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root
        try:
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise ConfigurationError(f"cannot use vault directory {root}: {exc.strerror}") from exc

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def open_writer(self, key: str) -> BlobWriter:
        return _LocalWriter(self.root, self._path(key))

    def put(self, key: str, data: bytes) -> None:
        writer = self.open_writer(key)
        try:
            writer.write(data)
            writer.commit()
        finally:
            writer.abort()

    def read_range(self, key: str, start: int, end: int) -> bytes:
        if start < 0 or end < start:
            raise InvalidInput("invalid byte range", field="range")
        try:
            fd = os.open(self._path(key), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise NotFound(f"no blob {key}") from None
        try:
            parts = []
            offset, remaining = start, end - start
            while remaining > 0:
                piece = os.pread(fd, remaining, offset)
                if not piece:
                    break
                parts.append(piece)
                offset += len(piece)
                remaining -= len(piece)
            return b"".join(parts)
        finally:
            os.close(fd)

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"no blob {key}") from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        for dirpath, _dirs, files in os.walk(self.root):
            for name in sorted(files):
                if name.startswith(_TMP_PREFIX):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                yield BlobInfo(key, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    def purge_incomplete(self, older_than: timedelta) -> int:
        cutoff = (datetime.now(UTC) - older_than).timestamp()
        removed = 0
        for dirpath, _dirs, files in os.walk(self.root):
            for name in files:
                path = Path(dirpath) / name
                if not name.startswith(_TMP_PREFIX):
                    continue
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed


class _S3Writer:
    def __init__(self, store: S3Store, key: str) -> None:
        self._store = store
        self._key = key
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._closed = False

    def _send_part(self, data: bytes) -> None:
        client, bucket = self._store.client, self._store.bucket
        if self._upload_id is None:
            created = self._store.call(client.create_multipart_upload, Bucket=bucket, Key=self._key)
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        sent = self._store.call(
            client.upload_part,
            Bucket=bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=data,
        )
        self._parts.append({"PartNumber": number, "ETag": sent["ETag"]})

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._closed:
            raise Conflict("the blob writer is closed")
        self._buffer += data
        part = self._store.part_size
        while len(self._buffer) >= part:
            self._send_part(bytes(self._buffer[:part]))
            del self._buffer[:part]

    def commit(self) -> None:
        if self._closed:
            raise Conflict("the blob writer is closed")
        client, bucket = self._store.client, self._store.bucket
        try:
            if self._upload_id is None:
                self._store.call(
                    client.put_object, Bucket=bucket, Key=self._key, Body=bytes(self._buffer)
                )
            else:
                if self._buffer:
                    self._send_part(bytes(self._buffer))
                self._store.call(
                    client.complete_multipart_upload,
                    Bucket=bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
                self._upload_id = None
        except BaseException:
            self.abort()
            raise
        self._buffer.clear()
        self._closed = True

    def abort(self) -> None:
        self._closed = True
        self._buffer.clear()
        if self._upload_id is not None:
            upload_id, self._upload_id = self._upload_id, None
            self._store.call(
                self._store.client.abort_multipart_upload,
                Bucket=self._store.bucket,
                Key=self._key,
                UploadId=upload_id,
            )


class S3Store:
    """Blobs as objects in one bucket of S3-compatible storage, optionally under a prefix."""

    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str = "us-east-1",
        prefix: str = "",
        part_size: int = DEFAULT_PART_SIZE,
    ) -> None:
        import boto3
        from botocore.config import Config

        if part_size < MIN_PART_SIZE:
            raise ConfigurationError(f"S3 parts must be at least {MIN_PART_SIZE} bytes")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.bucket = bucket
        self.prefix = prefix
        self.part_size = part_size
        config = Config(
            region_name=region,
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 4, "mode": "standard"},
            max_pool_connections=64,
            # Older MinIO/Ceph releases refuse the newer default checksum trailers.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        self.client: S3Client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Store:
        if not settings.s3_bucket:
            raise ConfigurationError("ATTUNELY_S3_BUCKET must be set when ATTUNELY_STORAGE=s3")
        secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
        return cls(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=secret,
            region=settings.s3_region,
            prefix=settings.s3_prefix,
        )

    def call(self, method: Any, /, **kwargs: Any) -> Any:
        """Call the client, turning transport failures into a clear configuration error."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return method(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                raise NotFound(f"no blob {kwargs.get('Key', '')}") from None
            if code == "InvalidRange":
                return None
            raise ConfigurationError(f"object storage refused the request ({code})") from exc
        except BotoCoreError as exc:
            raise ConfigurationError(f"object storage is unavailable: {exc}") from exc

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (for first setup and tests)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.call(self.client.create_bucket, Bucket=self.bucket)

    def open_writer(self, key: str) -> BlobWriter:
        return _S3Writer(self, self._key(key))

    def put(self, key: str, data: bytes) -> None:
        writer = self.open_writer(key)
        writer.write(data)
        writer.commit()

    def read_range(self, key: str, start: int, end: int) -> bytes:
        if start < 0 or end < start:
            raise InvalidInput("invalid byte range", field="range")
        if end == start:
            return b""
        response = self.call(
            self.client.get_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Range=f"bytes={start}-{end - 1}",
        )
        if response is None:
            return b""
        body = response["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def size(self, key: str) -> int:
        head = self.call(self.client.head_object, Bucket=self.bucket, Key=self._key(key))
        return int(head["ContentLength"])

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except NotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        self.call(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        pages = self.call(paginator.paginate, Bucket=self.bucket, Prefix=self.prefix + prefix)
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                yield BlobInfo(key, int(item["Size"]), item["LastModified"])

    def purge_incomplete(self, older_than: timedelta) -> int:
        cutoff = datetime.now(UTC) - older_than
        removed = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        pages = self.call(paginator.paginate, Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < cutoff:
                    self.call(
                        self.client.abort_multipart_upload,
                        Bucket=self.bucket,
                        Key=upload["Key"],
                        UploadId=upload["UploadId"],
                    )
                    removed += 1
        return removed


def store_for(settings: Settings) -> BlobStore:
    """Return the storage backend the settings select."""
    if settings.storage == "s3":
        return S3Store.from_settings(settings)
    return LocalDirStore(settings.resolved_data_dir / "vault")
