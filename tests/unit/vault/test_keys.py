"""Master key files: versions, wrapping bound to version and context, destruction, plugging."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from attunely.config import Settings
from attunely.errors import ConfigurationError, IntegrityError
from attunely.vault import crypto
from attunely.vault.keys import KeyManager, LocalKeyFileManager, key_manager_for


def test_versions_are_owner_only_files_and_wrap_round_trips(tmp_path: Path) -> None:
    manager = LocalKeyFileManager(tmp_path / "keys")
    manager.create_version(1)
    manager.create_version(2)
    assert manager.versions() == [1, 2]
    mode = stat.S_IMODE(manager.path_for(1).stat().st_mode)
    assert mode == 0o600
    key = crypto.new_key()
    wrapped = manager.wrap(key, version=1, context=b"case-a")
    assert key not in wrapped
    assert manager.unwrap(wrapped, version=1, context=b"case-a") == key
    # Bound to the version and to the case it belongs to.
    with pytest.raises(IntegrityError):
        manager.unwrap(wrapped, version=2, context=b"case-a")
    with pytest.raises(IntegrityError):
        manager.unwrap(wrapped, version=1, context=b"case-b")


def test_a_destroyed_version_cannot_unwrap_and_is_not_silently_recreated(tmp_path: Path) -> None:
    manager = LocalKeyFileManager(tmp_path / "keys")
    manager.create_version(1)
    key = crypto.new_key()
    wrapped = manager.wrap(key, version=1, context=b"c")
    manager.destroy_version(1)
    assert not manager.path_for(1).exists()
    with pytest.raises(ConfigurationError, match="version 1 is not available"):
        manager.unwrap(wrapped, version=1, context=b"c")
    assert manager.versions() == []
    manager.destroy_version(1)  # idempotent


def test_the_key_manager_is_pluggable(tmp_path: Path) -> None:
    local = key_manager_for(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalKeyFileManager)
    plugged = key_manager_for(
        Settings(data_dir=tmp_path, key_manager="tests.unit.vault.test_keys:_fake_kms")
    )
    assert isinstance(plugged, KeyManager) and plugged.name == "fake-kms"
    for spec in ("nonsense", "no.such.module:factory", "tests.unit.vault.test_keys:missing"):
        with pytest.raises(ConfigurationError):
            key_manager_for(Settings(data_dir=tmp_path, key_manager=spec))


class _FakeKms:
    """Stands in for an organisation's KMS plug-in (what ATTUNELY_KEY_MANAGER loads)."""

    name = "fake-kms"

    def __init__(self, keys_dir: Path) -> None:
        self._inner = LocalKeyFileManager(keys_dir)

    def create_version(self, version: int) -> None:
        self._inner.create_version(version)

    def wrap(self, key: bytes, *, version: int, context: bytes) -> bytes:
        return self._inner.wrap(key, version=version, context=context)

    def unwrap(self, wrapped: bytes, *, version: int, context: bytes) -> bytes:
        return self._inner.unwrap(wrapped, version=version, context=context)

    def destroy_version(self, version: int) -> None:
        self._inner.destroy_version(version)


def _fake_kms(settings: Settings) -> KeyManager:
    return _FakeKms(settings.keys_dir / "fake-kms")
