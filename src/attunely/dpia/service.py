"""Generate the DPIA pack (checked by the policy, audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.config import Settings
from attunely.db import make_engine, make_session_factory, unit_of_work, utcnow
from attunely.dpia import datamap, render
from attunely.errors import InvalidInput
from attunely.guard import require
from attunely.policy import Action, Actor

Format = Literal["html", "markdown"]


def pack_format(out: Path, requested: str | None) -> Format:
    """Choose the format: as asked, else from the file name (.md: Markdown), else HTML."""
    markdown = out.suffix.lower() in (".md", ".markdown")
    return pack_format_name(requested or ("markdown" if markdown else "html"))


def pack_format_name(name: str) -> Format:
    """Return the format a name stands for, refusing anything else."""
    if name.lower() in ("md", "markdown"):
        return "markdown"
    if name.lower() == "html":
        return "html"
    raise InvalidInput("format must be html or markdown", field="format")


def generate(db: Session, settings: Settings, *, actor: Actor, fmt: Format) -> str:
    """Return the pack for the live configuration, as HTML or Markdown (audited)."""
    require(db, actor=actor, action=Action.DPIA_VIEW, object_type="dpia")
    pack = datamap.build(settings, db.connection(), now=utcnow())
    audit.record(
        db,
        actor=actor,
        action="dpia.generate",
        object_type="dpia",
        object_id="-",
        purpose="governance",
        detail={"format": fmt},
    )
    return render.html(pack) if fmt == "html" else render.markdown(pack)


def write(settings: Settings, *, actor: Actor, out: Path, fmt: Format) -> Path:
    """Write the pack to a new file `out`."""
    if out.exists():
        raise InvalidInput(f"{out} exists; choose a new file name", field="out")
    if not out.parent.is_dir():
        raise InvalidInput(f"there is no folder {out.parent}", field="out")
    engine = make_engine(settings)
    try:
        with unit_of_work(make_session_factory(engine)) as db:
            text = generate(db, settings, actor=actor, fmt=fmt)
    finally:
        engine.dispose()
    with out.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return out
