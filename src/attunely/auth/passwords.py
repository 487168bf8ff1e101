"""Argon2id password hashing."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from attunely.errors import InvalidInput

MIN_LENGTH = 12
MAX_LENGTH = 256

# OWASP's second Argon2id configuration (m=19 MiB, t=2, p=1): safe and quick on 2 cores.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("attunely-timing-equaliser")


def check_strength(password: str) -> None:
    """Refuse passwords that are too short, too long or trivially weak."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"password must have at least {MIN_LENGTH} characters", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"password must have at most {MAX_LENGTH} characters", field="password")
    if len(set(password)) < 4:
        raise InvalidInput("password is too repetitive", field="password")


def hash_password(password: str) -> str:
    """Return the Argon2id hash of a password that passed `check_strength`."""
    check_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password in constant-ish time whether or not the user exists."""
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
