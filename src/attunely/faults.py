"""Named crash points for fault-injection tests.

Set `ATTUNELY_CRASH_AT=<name>` (optionally `<name>:<n>` to crash on the n-th pass) and the
process kills itself with SIGKILL when it reaches that point — the harshest way to stop,
with no clean-up code run. Unset (always, in production), `point()` does nothing.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_passes: Counter[str] = Counter()


def point(name: str) -> None:
    """Crash here if the environment asks for it."""
    wanted = os.environ.get("ATTUNELY_CRASH_AT")
    if not wanted:
        return
    target, _, nth = wanted.partition(":")
    if target != name:
        return
    _passes[name] += 1
    if _passes[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
