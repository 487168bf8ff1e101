"""Subject access: the package holds all of the requester's data and nothing about others."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi import FastAPI
from sqlalchemy.orm import Session

from attunely.rights.holdings import HOLDINGS
from attunely.rights.inventory import inventory
from tests.integration.rights.conftest import OTHER_MARKERS, REQUESTER, Family, sha
from tests.support import media_files


def _package(family: Family, request_id: str | None = None) -> zipfile.ZipFile:
    client = family.dpo_client
    if request_id is None:
        page = client.get("/rights")
        assert page.status_code == 200, page.text
        listed = [r for r in _requests(client) if r[1] == REQUESTER]
        request_id = listed[0][0]
    response = client.get(f"/rights/requests/{request_id}/package")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def _requests(client) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    import re

    page = client.get("/rights").text
    rows = re.findall(r'data-request="([0-9a-f-]+)"[^>]*>\s*<td>([^<]+)', page)
    return [(rid, name.strip()) for rid, name in rows]


def test_the_package_holds_everything_about_the_requester_and_nothing_about_others(
    family: Family, app: FastAPI, db: Session
) -> None:
    archive = _package(family)
    names = archive.namelist()
    assert "index.html" in names and "data.json" in names
    data = json.loads(archive.read("data.json"))
    index = archive.read("index.html").decode()

    # Every holding is present and holds rows about the requester (planted in every table).
    tables = {h["table"]: h["rows"] for h in data["holdings"]}
    assert set(tables) == {h.table for h in HOLDINGS}
    empty = [t for t, rows in tables.items() if not rows]
    assert empty == [], f"nothing found about the requester in {empty}"
    assert [p["id"] for p in tables["case_people"]] == [family.marigold]
    assert {c["person_id"] for c in tables["consent_records"]} == {family.marigold}
    assert {f["id"] for f in tables["films"]} == {family.films["A"], family.films["C"]}
    assert all("wrapped" not in key for rows in tables.values() for r in rows for key in r)

    # Every planted text about her is there, in the data and the readable index.
    text = json.dumps(data)
    for marker in family.markers["marigold"]:
        assert marker in text, marker
        assert marker in index, marker
    assert REQUESTER in text

    # Films in which she can be seen, decrypted, byte for byte; clips cut from them.
    films = {sha(archive.read(n)): n for n in names if n.startswith("films/")}
    assert set(films) == {sha(family.originals["A"]), sha(family.originals["C"])}
    clips = [n for n in names if n.startswith("clips/")]
    assert len(clips) == 2
    for clip in clips:
        frames = media_files.frames_of(archive.read(clip))
        numbers = [media_files.frame_number_of(f) for f in frames]
        # Clip [35, 50) starts at the keyframe before it (frame 30) and ends before 50.
        assert numbers[0] == 30 and numbers[-1] == 49, numbers
    assert any(n.startswith("analysis/") for n in names)

    # Who accessed her data: the supervisor's playback of film A is listed, film B's is not.
    reads = [e for e in data["audit"] if e["action"] == "vault.read"]
    film_a = next(f for f in tables["films"] if f["id"] == family.films["A"])
    assert any(e["object_id"] == film_a["proxy_object_id"] for e in reads)
    db.rollback()
    other = inventory(db, case_id=family.case_id, person_id=family.zephyrina)
    film_b = next(f for f in other.of("films") if f["id"] == family.films["B"])
    assert all(e["object_id"] != film_b["proxy_object_id"] for e in data["audit"])
    assert any(e["action"] == "film.view" or e["action"].startswith("case") for e in data["audit"])

    # Nothing about the other caregiver, anywhere in the zip.
    forbidden = [*OTHER_MARKERS, *family.other_ids, sha(family.originals["B"])]
    for name in names:
        body = archive.read(name)
        digest = sha(body)
        for word in forbidden:
            assert word.encode() not in body and word != digest, f"{word} in {name}"
    assert "[another person]" in text


def test_the_other_persons_package_holds_film_b_and_not_the_requesters_own_film(
    family: Family, db: Session
) -> None:
    rows = _requests(family.dpo_client)
    request_id = next(rid for rid, name in rows if name != REQUESTER)
    archive = _package(family, request_id)
    films = {sha(archive.read(n)) for n in archive.namelist() if n.startswith("films/")}
    assert films == {sha(family.originals["B"]), sha(family.originals["C"])}
    text = b"".join(
        archive.read(n) for n in archive.namelist() if not n.startswith(("films/", "clips/"))
    )
    assert b"ZEPHMARK-note-B" in text and b"MARIMARK-note-A" not in text
    assert b"Fairweather" not in text and b"Marigold" not in text
