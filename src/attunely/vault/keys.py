"""Master key-encryption keys, held outside the database, behind a small pluggable interface.

Envelope encryption in the vault has three levels:

1. a fresh random **data key** per stored object encrypts its chunks (`vault.crypto`);
2. a random **case key** per family case wraps the data keys of that case's objects
   (rows in `vault_case_keys`; destroying it crypto-shreds the whole case);
3. a **master key** (key-encryption key, KEK) wraps the case keys. It is never stored in
   the database: a `KeyManager` holds it. The database records only which master key
   *version* wrapped each case key (`vault_master_keys` keeps the history of versions).

Rotation creates a new master key version, re-wraps every case key under it and then
destroys the old version. Footage is never re-encrypted. Destroying the old versions is
also what makes crypto-shredding hold against old copies of the database (backups, the
SQLite WAL, PostgreSQL's dead row versions): a wrapped case key in such a copy was wrapped
by a master key version that no longer exists.

Plugging a KMS
--------------
Set ``ATTUNELY_KEY_MANAGER=package.module:factory``. The factory is called with the
`Settings` and returns an object with the four methods of `KeyManager`. The vault sends a
32-byte case key and a context (bytes naming the case) and keeps whatever opaque bytes
`wrap` returns. With AWS KMS, for example, `wrap` is ``kms.encrypt(KeyId=alias_for(version),
Plaintext=key, EncryptionContext={"attunely": context.hex()})["CiphertextBlob"]``, `unwrap`
is the matching ``kms.decrypt`` with the same EncryptionContext, `create_version` creates or
enables the KMS key behind the version's alias and `destroy_version` schedules its deletion.
HashiCorp Vault's transit engine maps the same way (`encrypt`/`decrypt` with ``context``).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import secrets
from pathlib import Path
from typing import Protocol, runtime_checkable

from attunely.config import Settings
from attunely.errors import ConfigurationError, InvalidInput
from attunely.vault import crypto


@runtime_checkable
class KeyManager(Protocol):
    """Holds master key versions; wraps and unwraps case keys with them."""

    name: str

    def create_version(self, version: int) -> None:
        """Make sure key material for `version` exists (idempotent)."""
        ...

    def wrap(self, key: bytes, *, version: int, context: bytes) -> bytes:
        """Encrypt a case key under master key `version`, bound to `context`."""
        ...

    def unwrap(self, wrapped: bytes, *, version: int, context: bytes) -> bytes:
        """Decrypt a case key; raise IntegrityError if it fails authentication."""
        ...

    def destroy_version(self, version: int) -> None:
        """Destroy the key material of `version` for good (idempotent)."""
        ...


_VERSION_FILE = re.compile(r"^vault-master-v(\d+)\.key$")


class LocalKeyFileManager:
    """Master keys as owner-only files `vault-master-v<N>.key` in the keys directory.

    They sit beside the application's `master.key` but are separate files on purpose:
    `master.key` also seals each user's second-factor secret, so it cannot be retired by a
    vault key rotation without locking every administrator out. A new version's file is
    written whole under a temporary name and then linked into place, so a concurrent
    reader never sees a half-written key. Back the keys directory up apart from the
    database, and keep retired versions out of backups that outlive them.
    """

    name = "local"

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir

    def _secret_name(self, version: int) -> str:
        if version < 1:
            raise InvalidInput("master key versions start at 1")
        return f"vault-master-v{version}"

    def path_for(self, version: int) -> Path:
        return self.keys_dir / f"{self._secret_name(version)}.key"

    def versions(self) -> list[int]:
        """Versions whose key file exists."""
        if not self.keys_dir.is_dir():
            return []
        found = (_VERSION_FILE.match(p.name) for p in self.keys_dir.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def create_version(self, version: int) -> None:
        path = self.path_for(version)
        if path.exists():
            return
        self.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.keys_dir / f".tmp-{secrets.token_hex(8)}-{path.name}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(crypto.new_key())
                handle.flush()
                os.fsync(handle.fileno())
            # link() refuses to replace: if another process won the race, keep its key.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(self.keys_dir)

    def _kek(self, version: int) -> bytes:
        path = self.path_for(version)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ConfigurationError(
                f"vault master key version {version} is not available "
                f"(destroyed by rotation, or missing from {self.keys_dir})"
            ) from None
        if len(data) != crypto.KEY_SIZE:
            raise ConfigurationError(f"key file {path.name} is damaged (wrong length)")
        return data

    def wrap(self, key: bytes, *, version: int, context: bytes) -> bytes:
        return crypto.wrap_key(self._kek(version), key, context=_context(version, context))

    def unwrap(self, wrapped: bytes, *, version: int, context: bytes) -> bytes:
        return crypto.unwrap_key(self._kek(version), wrapped, context=_context(version, context))

    def destroy_version(self, version: int) -> None:
        path = self.path_for(version)
        if path.exists():
            size = path.stat().st_size
            # Overwrite before unlinking; on copy-on-write or flash storage this is best
            # effort, which is why retired versions must also leave the backups in time.
            with path.open("r+b") as handle:
                handle.write(os.urandom(size))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            _fsync_dir(self.keys_dir)


def _context(version: int, context: bytes) -> bytes:
    return b"master-v%d\x00" % version + context


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def key_manager_for(settings: Settings) -> KeyManager:
    """Return the key manager the settings name ("local" or "package.module:factory")."""
    spec = settings.key_manager.strip()
    if spec == "local":
        return LocalKeyFileManager(settings.keys_dir)
    module_name, _, factory_name = spec.partition(":")
    if not module_name or not factory_name:
        raise ConfigurationError("ATTUNELY_KEY_MANAGER must be 'local' or 'package.module:factory'")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"cannot load key manager {spec!r}: {exc}") from exc
    manager = factory(settings)
    if not isinstance(manager, KeyManager):
        raise ConfigurationError(f"{spec!r} did not return a key manager")
    return manager
