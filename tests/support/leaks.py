"""Find plaintext of a secret inside files: any run of 64 or more bytes counts as a leak."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK = 32  # any 64-byte run of the secret contains a whole 32-byte block aligned in the file


@dataclass(frozen=True)
class Leak:
    path: Path
    offset: int
    length: int


def _word_index(secret: bytes) -> np.ndarray:
    """Every 8-byte window of the secret, as sorted unique 64-bit words."""
    words = []
    data = np.frombuffer(secret, dtype=np.uint8)
    for shift in range(8):
        usable = (len(data) - shift) // 8 * 8
        if usable > 0:
            words.append(data[shift : shift + usable].view(np.uint64))
    return np.unique(np.concatenate(words)) if words else np.zeros(0, dtype=np.uint64)


def _run_length(haystack: bytes, at: int, secret: bytes, where: int) -> int:
    """Length of the common run through haystack[at] == secret[where]."""
    left = 0
    while (
        at - left - 1 >= 0
        and where - left - 1 >= 0
        and haystack[at - left - 1] == secret[where - left - 1]
    ):
        left += 1
    right = 0
    while (
        at + right < len(haystack)
        and where + right < len(secret)
        and haystack[at + right] == secret[where + right]
    ):
        right += 1
    return left + right


def find_leaks(secret: bytes, paths: list[Path], *, min_run: int = 64) -> list[Leak]:
    """Return where a run of at least `min_run` bytes of `secret` appears in the files.

    Blocks with fewer than 8 distinct byte values are skipped: zero padding and repeated
    bytes occur everywhere and are not film content; a leaked film (compressed, high-entropy)
    is found through its other blocks.
    """
    index = _word_index(secret)
    leaks: list[Leak] = []
    for path in paths:
        haystack = path.read_bytes()
        usable = len(haystack) // BLOCK * BLOCK
        if usable == 0:
            continue
        heads = np.frombuffer(haystack[:usable], dtype=np.uint8).reshape(-1, BLOCK)
        first_words = heads[:, :8].copy().view(np.uint64).ravel()
        # Membership by binary search in the sorted index (np.isin re-sorts on every call).
        found = np.searchsorted(index, first_words).clip(max=max(len(index) - 1, 0))
        candidates = np.nonzero(index[found] == first_words)[0] if len(index) else []
        for row in candidates:
            block = bytes(heads[row])
            if len(set(block)) < 8:
                continue
            at = int(row) * BLOCK
            where = secret.find(block)
            if where < 0:
                continue
            run = _run_length(haystack, at, secret, where)
            if run >= min_run:
                leaks.append(Leak(path, at, run))
                break
    return leaks


def files_under(*roots: Path) -> list[Path]:
    """Every regular file below the roots."""
    found: list[Path] = []
    for root in roots:
        if root.is_file():
            found.append(root)
        elif root.exists():
            found.extend(p for p in root.rglob("*") if p.is_file())
    return found
