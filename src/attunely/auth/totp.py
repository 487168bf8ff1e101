"""Time-based one-time passwords (RFC 6238) with encrypted secrets and replay protection."""

from __future__ import annotations

import os
import time

import pyotp
import segno
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_STEP = 30
_AAD = b"attunely/totp-secret/v1"


def _key(master_key: bytes) -> bytes:
    # A purpose-bound subkey: the master key itself never encrypts anything directly.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_AAD).derive(master_key)


def new_secret() -> str:
    """Return a fresh base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def seal(secret: str, master_key: bytes, user_id: str) -> bytes:
    """Encrypt a secret, bound to its user so it cannot be moved to another account."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_key(master_key)).encrypt(nonce, secret.encode(), _AAD + user_id.encode())


def unseal(sealed: bytes, master_key: bytes, user_id: str) -> str:
    """Decrypt a secret sealed by `seal`."""
    nonce, body = sealed[:12], sealed[12:]
    return AESGCM(_key(master_key)).decrypt(nonce, body, _AAD + user_id.encode()).decode()


def provisioning_uri(secret: str, *, username: str, issuer: str) -> str:
    """Return the otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """Render the URI as an inline SVG QR code (no network, no image files)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, dark="#1d2b36", light="#ffffff"))


def accepted_step(
    secret: str, code: str, *, last_step: int | None, now: float | None = None
) -> int | None:
    """Return the time step a valid code belongs to, or None.

    One step of clock drift either way is tolerated; a step at or before `last_step`
    is refused so an observed code cannot be replayed.
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    now = time.time() if now is None else now
    totp = pyotp.TOTP(secret, interval=_STEP)
    current = int(now // _STEP)
    for step in (current, current - 1, current + 1):
        if last_step is not None and step <= last_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * _STEP), code):
            return step
    return None
