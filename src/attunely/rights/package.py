"""The subject access package: one .zip with a readable index, the data as JSON, and the
footage in which the person appears, decrypted for them.

Footage goes from the vault into the zip as it is decrypted (`iter_zip` yields the zip's bytes
in order), so no plaintext copy is made anywhere but in the package itself.

Redaction rule: the package holds the person's own rows and the rows about the whole family
case; other people's rows are left out, and their names (and each word of their names that is
not also part of the requester's name) and the ids of their rows are replaced by
"[another person]" wherever they occur in text. Films in which the person can be seen are
included whole, with everyone else in them: the requester appears in that footage.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from attunely.audit import service as audit
from attunely.cases.service import people_names
from attunely.db import utcnow
from attunely.films.vaultfile import VaultFile
from attunely.policy import Actor
from attunely.rights import clips
from attunely.rights.holdings import HOLDINGS, REDACTED
from attunely.rights.inventory import Inventory, redactor
from attunely.vault import service as vault_service
from attunely.vault.context import Vault
from attunely.vault.models import ObjectState
from attunely.web.templating import TEMPLATES

SCHEMA = "attunely.subject-access/1"
PURPOSE = "subject_access"
RULE = (
    "Your own records and the records about your family's case are included. Other people's "
    f"records are left out; their names and record ids are replaced by {REDACTED!r}. Films in "
    "which you can be seen are included whole, as you appear in them."
)
_EXTENSIONS = {"matroska": "mkv", "mov": "mov", "webm": "webm", "avi": "avi"}
Chunks = Callable[[], Iterator[bytes]]


@dataclass
class Entry:
    """One file of the package and where its bytes come from."""

    path: str
    kind: str
    film_id: str
    chunks: Chunks = field(repr=False)
    media: bool = True


@dataclass
class Package:
    data: dict[str, Any]
    entries: list[Entry]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _clean(
    row: dict[str, Any], redact: Callable[[str], str], secret: tuple[str, ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in row.items():
        if name in secret:
            continue
        value = _plain(value)
        out[name] = redact(value) if isinstance(value, str) else value
    return out


def _copy(reader: vault_service.VaultReader) -> Chunks:
    return lambda: reader.iter_range()


class _Pieces(list[bytes]):
    def write(self, data: bytes) -> int:
        self.append(bytes(data))
        return len(data)


def _clip(reader: vault_service.VaultReader, start_s: float, end_s: float) -> Chunks:
    def chunks() -> Iterator[bytes]:
        # A clip is seconds long: it is cut into memory, then goes into the zip.
        pieces = _Pieces()
        clips.cut(VaultFile(reader), pieces, start_s=start_s, end_s=end_s)
        yield from pieces

    return chunks


def _rate(value: Any) -> float:
    """Read a frame rate stored as "30000/1001" (or a number); 0 when unknown."""
    try:
        return float(Fraction(str(value))) if value else 0.0
    except (ValueError, ZeroDivisionError):
        return 0.0


def _footage(
    db: Session, vault: Vault, actor: Actor, inv: Inventory
) -> tuple[list[Entry], list[dict[str, Any]]]:
    """Open (audited) the footage in which the subject appears, and name each file."""
    readable = {o["id"] for o in inv.of("vault_objects") if o["state"] == ObjectState.COMPLETE}
    entries: list[Entry] = []
    listed: list[dict[str, Any]] = []

    def reader(object_id: str | None, film_id: str) -> vault_service.VaultReader | None:
        if object_id is None or object_id not in readable:
            return None
        return vault_service.open_reader(
            db,
            vault=vault,
            actor=actor,
            object_id=object_id,
            purpose=PURPOSE,
            detail={"film": film_id},
        )

    analyses = {a["film_id"]: a for a in inv.of("film_analyses")}
    for number, film in enumerate(sorted(inv.of("films"), key=lambda f: str(f["created_at"])), 1):
        fid = str(film["id"])
        probe = json.loads(film.get("probe") or "{}")
        ext = _EXTENSIONS.get(str(probe.get("container", "")), "mp4")
        original = reader(film["original_object_id"], fid)
        if original is not None:
            entries.append(Entry(f"films/film-{number:02d}.{ext}", "film", fid, _copy(original)))
        analysis = analyses.get(fid)
        if analysis is not None:
            for column, suffix in (("result_object_id", ""), ("stills_object_id", "-stills")):
                sealed = reader(analysis[column], fid)
                if sealed is not None:
                    path = f"analysis/film-{number:02d}{suffix}.json"
                    entries.append(Entry(path, "analysis", fid, _copy(sealed), media=False))
        fps = _rate(json.loads(film.get("proxy_info") or "{}").get("fps"))
        film_clips = sorted(
            (c for c in inv.of("film_clips") if c["film_id"] == fid), key=lambda c: c["position"]
        )
        proxy = reader(film["proxy_object_id"], fid) if film_clips and fps > 0 else None
        for clip in film_clips if proxy is not None else []:
            assert proxy is not None
            start, end = clip["in_frame"] / fps, clip["out_frame"] / fps
            path = f"clips/film-{number:02d}-clip-{clip['position'] + 1:02d}.mp4"
            entries.append(Entry(path, "clip", fid, _clip(proxy, start, end)))
        listed.append({"film_id": fid, "number": number, "label": film["label"]})
    return entries, listed


def build(db: Session, *, vault: Vault, actor: Actor, inv: Inventory) -> Package:
    """Gather the package about `inv.subject` and open its footage (each read audited).

    The caller commits before writing the zip, so no transaction is held while it streams.
    """
    assert inv.subject is not None
    redact = redactor(inv)
    holdings = []
    for each in HOLDINGS:
        rows = [_clean(r, redact, each.secret) for r in inv.of(each.table)]
        holdings.append({"table": each.table, "what": each.what, "rows": rows})
    staff = people_names(db, {str(e["actor_id"]) for e in inv.audit})
    trail = [
        {
            **_clean(e, redact, ("detail_digest", "prev_hash", "hash")),
            "actor_name": staff.get(str(e["actor_id"]), str(e["actor_id"])),
        }
        for e in inv.audit
    ]
    entries, films = _footage(db, vault, actor, inv)
    person = next(p for p in inv.people() if p["id"] == inv.subject.person_id)
    data = {
        "schema": SCHEMA,
        "produced_at": utcnow().isoformat(timespec="seconds"),
        "produced_by": actor.label,
        "person": _clean(person, redact, ()),
        "case": {"reference": inv.case.reference, "programme": inv.case.programme},
        "redaction": RULE,
        "holdings": holdings,
        "audit": trail,
        "films": films,
        "files": [{"path": e.path, "kind": e.kind, "film_id": e.film_id} for e in entries],
    }
    audit.record(
        db,
        actor=actor,
        action="rights.sar.export",
        object_type="person",
        object_id=inv.subject.person_id,
        purpose=PURPOSE,
        detail={"case": inv.case.id, "files": len(entries), "audit_entries": len(trail)},
    )
    return Package(data, entries)


class _Spool:
    """A write-only sink whose bytes are taken out as they come (zipfile streams into it)."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._at = 0

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        self._at += len(data)
        return len(data)

    def tell(self) -> int:
        return self._at

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


def index_html(data: dict[str, Any]) -> str:
    """Render the readable index of the package."""
    return TEMPLATES.env.get_template("rights_package.html").render(data=data)


def iter_zip(package: Package) -> Iterator[bytes]:
    """Yield the package as a zip, in order, as each part is decrypted."""
    spool = _Spool()
    archive = zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED)  # type: ignore[call-overload]
    text = {
        "index.html": index_html(package.data),
        "data.json": json.dumps(package.data, indent=2, ensure_ascii=False, default=str),
    }
    for name, body in text.items():
        archive.writestr(name, body)
        yield spool.take()
    for entry in package.entries:
        info = zipfile.ZipInfo(entry.path, date_time=utcnow().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED if not entry.media else zipfile.ZIP_STORED
        with archive.open(info, "w", force_zip64=True) as member:
            for piece in entry.chunks():
                member.write(piece)
                taken = spool.take()
                if taken:
                    yield taken
        yield spool.take()
    archive.close()
    yield spool.take()
