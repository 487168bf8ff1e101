"""Jobs the platform itself needs (and uses to test the queue end to end)."""

from __future__ import annotations

import time

from attunely.errors import InvalidInput
from attunely.jobs.registry import JobContext, register


@register("system.wait")
def wait(ctx: JobContext) -> str:
    """Wait a given number of seconds in small steps, reporting progress (queue health checks)."""
    seconds = float(ctx.payload.get("seconds", 0))
    if not 0 <= seconds <= 600:
        raise InvalidInput("seconds must be between 0 and 600")
    steps = max(1, int(seconds * 10))
    for step in range(steps):
        time.sleep(seconds / steps)
        ctx.progress((step + 1) / steps, "waiting")
    return f"waited {seconds:g} s"
