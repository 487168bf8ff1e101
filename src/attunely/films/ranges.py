"""HTTP byte ranges (RFC 9110 §14): parse one `Range` header against a length."""

from __future__ import annotations

from attunely.errors import AttunelyError


class RangeNotSatisfiable(AttunelyError):
    """The range lies outside the object; the answer is 416 with the real length."""

    code = "range_not_satisfiable"

    def __init__(self, length: int) -> None:
        super().__init__(f"the requested range is outside the {length} bytes available")
        self.length = length
        self.details = {"length": length}


def parse_range(header: str | None, length: int) -> tuple[int, int] | None:
    """Return [start, end) for a single-range header, or None to send the whole object.

    Malformed headers are ignored (the whole object is sent), as the RFC allows; a
    well-formed range that misses the object raises `RangeNotSatisfiable`. Only the first
    of several ranges is served: players ask for one at a time.
    """
    if not header or not header.startswith("bytes="):
        return None
    first = header[len("bytes=") :].split(",")[0].strip()
    start_text, dash, end_text = first.partition("-")
    if not dash:
        return None
    try:
        if start_text == "":
            # "bytes=-N": the last N bytes.
            suffix = int(end_text)
            if suffix <= 0:
                raise RangeNotSatisfiable(length)
            return max(0, length - suffix), length
        start = int(start_text)
        end = int(end_text) + 1 if end_text else max(length, start + 1)
    except ValueError:
        return None
    if start < 0 or end <= start:
        return None
    if start >= length:
        raise RangeNotSatisfiable(length)
    return start, min(end, length)
