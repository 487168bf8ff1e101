"""Find runs of recorded footage inside files (a browser profile, say): any run of 64 or more
bytes of the footage counts.

Any 64-byte run of the footage contains one of its 32-byte blocks that start at a multiple of
32, so looking for those blocks at every offset of a file finds every such run; each hit is
then extended both ways to measure the run. Blocks with fewer than 8 different byte values
(zero padding, repeated bytes) are left out of the search: every database file has them, and
they are not footage. A real leak of compressed film is found through its other blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK = 32


@dataclass(frozen=True)
class Run:
    """A run of footage in a file: where one of its blocks sits, and how long the run is."""

    path: Path
    offset: int
    length: int


def _run_length(data: bytes, at: int, secret: bytes, where: int) -> int:
    """Length of the common run through data[at] == secret[where]."""
    before = 0
    while (
        at - before > 0
        and where - before > 0
        and data[at - before - 1] == secret[where - before - 1]
    ):
        before += 1
    after = 0
    while (
        at + after < len(data)
        and where + after < len(secret)
        and data[at + after] == secret[where + after]
    ):
        after += 1
    return before + after


def _anchor(block: bytes) -> int:
    """Where in a block its most varied 8 bytes start: the word the search looks for.

    Searching for the block's first 8 bytes would stop at every run of zeros in every file.
    """
    return max(range(BLOCK - 7), key=lambda k: len(set(block[k : k + 8])))


def footage_runs(secret: bytes, root: Path, *, min_run: int = 64) -> list[Run]:
    """Return every file under `root` that holds a run of `min_run` bytes of `secret`."""
    # word -> [(position of its block in the secret, where the word sits in the block)]
    anchors: dict[bytes, list[tuple[int, int]]] = {}
    for start in range(0, len(secret) - BLOCK + 1, BLOCK):
        block = secret[start : start + BLOCK]
        if len(set(block)) < 8:
            continue
        k = _anchor(block)
        anchors.setdefault(block[k : k + 8], []).append((start, k))
    if not anchors:
        raise ValueError("the footage has no distinctive 32-byte block to look for")
    words = np.sort(np.frombuffer(b"".join(anchors), dtype="<u8"))
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        longest, where_found = 0, -1
        for shift in range(8):
            count = (len(data) - shift) // 8
            if count <= 0:
                continue
            # Every 8-byte word at offsets shift, shift + 8, ...: which are anchors?
            here = np.frombuffer(data, dtype="<u8", count=count, offset=shift)
            slots = np.minimum(np.searchsorted(words, here), len(words) - 1)
            for index in np.nonzero(words[slots] == here)[0]:
                at = shift + 8 * int(index)
                for start, k in anchors.get(data[at : at + 8], []):
                    if data[at - k : at - k + BLOCK] != secret[start : start + BLOCK]:
                        continue
                    run = _run_length(data, at - k, secret, start)
                    if run > longest:
                        longest, where_found = run, at - k
        if longest >= min_run:
            found.append(Run(path, where_found, longest))
    return found
