"""Find pieces of known plaintext in files: the at-rest leak check (reusable by other tests).

Any run of 64 plaintext bytes contains one of the plaintext's 32-byte blocks that start at
a multiple of 32, so looking for those blocks finds every 64-byte run (and shorter
leaks too). Candidates are found with numpy on 8-byte prefixes, then compared exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BLOCK = 32


@dataclass(frozen=True)
class Leak:
    path: Path
    offset: int


class PlaintextIndex:
    def __init__(self, plaintexts: Iterable[bytes]) -> None:
        self.blocks: set[bytes] = set()
        for plain in plaintexts:
            for start in range(0, len(plain) - BLOCK + 1, BLOCK):
                self.blocks.add(plain[start : start + BLOCK])
        # The first 8 bytes of each block as one integer, to sift candidates quickly.
        self.prefixes = np.unique(np.frombuffer(b"".join(b[:8] for b in self.blocks), dtype="<u8"))

    def find_in(self, data: bytes) -> int | None:
        """Return the offset of the first block of plaintext found in `data`, or None."""
        found: list[int] = []
        for shift in range(8):
            usable = (len(data) - shift) // 8 * 8
            if usable <= 0:
                continue
            # Every offset congruent to `shift` mod 8, read as little-endian u64 prefixes.
            words = np.frombuffer(data, dtype="<u8", count=usable // 8, offset=shift)
            for index in np.nonzero(np.isin(words, self.prefixes))[0]:
                offset = shift + 8 * int(index)
                if data[offset : offset + BLOCK] in self.blocks:
                    found.append(offset)
        return min(found) if found else None

    def scan(self, roots: Iterable[Path]) -> list[Leak]:
        leaks = []
        for root in roots:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                offset = self.find_in(path.read_bytes())
                if offset is not None:
                    leaks.append(Leak(path, offset))
        return leaks
