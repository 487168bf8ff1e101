"""Passwords and one-time codes."""

from __future__ import annotations

import pyotp
import pytest

from attunely.auth import passwords, totp
from attunely.errors import InvalidInput


def test_password_hash_is_argon2id_and_verifies() -> None:
    hashed = passwords.hash_password("a perfectly fine passphrase")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "a perfectly fine passphrase")
    assert not passwords.verify_password(hashed, "a perfectly fine passphrasE")
    assert not passwords.verify_password(None, "anything at all")


@pytest.mark.parametrize("weak", ["short", "aaaaaaaaaaaaaaaa", "x" * 300])
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(InvalidInput):
        passwords.hash_password(weak)


def test_totp_window_and_replay() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    code = pyotp.TOTP(secret).at(now)
    step = totp.accepted_step(secret, code, last_step=None, now=now)
    assert step == int(now // 30)
    assert totp.accepted_step(secret, code, last_step=step, now=now) is None
    # One step of drift either way is fine; two is not.
    assert totp.accepted_step(secret, pyotp.TOTP(secret).at(now - 30), last_step=None, now=now)
    assert (
        totp.accepted_step(secret, pyotp.TOTP(secret).at(now - 60), last_step=None, now=now) is None
    )
    assert totp.accepted_step(secret, "12345", last_step=None, now=now) is None
    assert totp.accepted_step(secret, "abcdef", last_step=None, now=now) is None


def test_sealed_secret_is_bound_to_its_user() -> None:
    key = b"k" * 32
    sealed = totp.seal("JBSWY3DPEHPK3PXP", key, "user-1")
    assert totp.unseal(sealed, key, "user-1") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(Exception):
        totp.unseal(sealed, key, "user-2")
