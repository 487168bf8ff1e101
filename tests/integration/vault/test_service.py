"""The vault service on real databases (SQLite and PostgreSQL) and real storage."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from attunely.audit.models import AuditEntry
from attunely.audit.service import verify
from attunely.db import unit_of_work
from attunely.errors import Conflict, IntegrityError, InvalidInput, NotFound
from attunely.policy import local_operator
from attunely.vault import crypto, service
from attunely.vault.keyring import case_key_context
from attunely.vault.models import CaseKey, ObjectState, VaultMasterKey, VaultObject
from attunely.vault.service import Vault
from attunely.vault.storage import LocalDirStore
from tests.support.factories import World

ACTOR = local_operator("vault-test")
SMALL = 4096


def new_case(world: World) -> str:
    return world.case(world.team()).id


def store(
    vault: Vault, case_id: str, data: bytes, *, chunk: int = SMALL, kind: str = "original"
) -> service.StoredObject:
    return service.store_stream(
        vault,
        actor=ACTOR,
        case_id=case_id,
        kind=kind,
        source=[data[i : i + 5000] for i in range(0, len(data), 5000)],
        purpose="ingest",
        chunk_size=chunk,
    )


def read(vault: Vault, object_id: str, start: int = 0, end: int | None = None) -> bytes:
    with unit_of_work(vault.sessions) as db:
        return service.read_range(
            db,
            vault=vault,
            actor=ACTOR,
            object_id=object_id,
            purpose="review",
            start=start,
            end=end,
        )


@dataclass(frozen=True)
class Entry:
    object_id: str
    outcome: str
    purpose: str
    actor_id: str


def entries(vault: Vault, action: str) -> list[Entry]:
    """Audit entries of one action, read in a short transaction of their own.

    (On SQLite every transaction takes the write lock, so tests never keep one open.)
    """
    with unit_of_work(vault.sessions) as db:
        rows = db.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [Entry(e.object_id, e.outcome, e.purpose, e.actor_id) for e in rows]


def chain_ok(vault: Vault) -> bool:
    with unit_of_work(vault.sessions) as db:
        return verify(db).ok


def blob_root(vault: Vault) -> Path:
    assert isinstance(vault.store, LocalDirStore)
    return vault.store.root


def blob_path(vault: Vault, obj: service.StoredObject) -> Path:
    return blob_root(vault) / obj.case_id / obj.id


def test_store_and_read_back_with_audit(vault: Vault, world: World) -> None:
    case_id = new_case(world)
    data = os.urandom(3 * SMALL + 100)
    obj = store(vault, case_id, data)
    assert obj.state == ObjectState.COMPLETE
    assert obj.length == len(data) and obj.chunk_count == 4
    assert obj.sha256 == hashlib.sha256(data).hexdigest()
    assert read(vault, obj.id) == data
    assert read(vault, obj.id, SMALL - 1, 2 * SMALL + 1) == data[SMALL - 1 : 2 * SMALL + 1]
    stored = entries(vault, "vault.store")
    assert [e.object_id for e in stored] == [obj.id]
    reads = entries(vault, "vault.read")
    assert [e.outcome for e in reads] == ["success", "success"]
    assert all(e.purpose == "review" and e.actor_id == "local:vault-test" for e in reads)
    assert chain_ok(vault)
    with unit_of_work(vault.sessions) as db:
        assert [o.id for o in service.list_objects(db, case_id=case_id)] == [obj.id]


@pytest.mark.parametrize("size", [0, SMALL, SMALL + 1])
def test_edge_sizes_round_trip(vault: Vault, world: World, size: int) -> None:
    case_id = new_case(world)
    data = os.urandom(size)
    obj = store(vault, case_id, data)
    assert read(vault, obj.id) == data
    assert blob_path(vault, obj).stat().st_size == crypto.sealed_size(size, SMALL)


def test_reader_streams_ranges_and_verifies(vault: Vault, world: World) -> None:
    case_id = new_case(world)
    data = os.urandom(10 * SMALL)
    obj = store(vault, case_id, data)
    db = vault.sessions()  # kept open: the reader audits failures through it
    reader = service.open_reader(db, vault=vault, actor=ACTOR, object_id=obj.id, purpose="play")
    db.commit()
    assert reader.length == len(data) and reader.sha256 == obj.sha256
    pieces = list(reader.iter_range(5, 3 * SMALL + 7))
    assert len(pieces) == 4 and b"".join(pieces) == data[5 : 3 * SMALL + 7]
    reader.verify()


def test_a_failed_upload_leaves_nothing(vault: Vault, world: World) -> None:
    case_id = new_case(world)

    def dropping() -> Iterator[bytes]:
        yield os.urandom(3 * SMALL)
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        service.store_stream(
            vault,
            actor=ACTOR,
            case_id=case_id,
            kind="original",
            source=dropping(),
            purpose="ingest",
            chunk_size=SMALL,
        )
    with pytest.raises(InvalidInput, match="SHA-256"):
        service.store_stream(
            vault,
            actor=ACTOR,
            case_id=case_id,
            kind="original",
            source=[b"what arrived"],
            purpose="ingest",
            expected_sha256=hashlib.sha256(b"what was sent").hexdigest(),
        )
    with unit_of_work(vault.sessions) as db:
        assert db.scalars(select(VaultObject)).all() == []
    assert list(vault.store.list()) == []
    assert [p for p in blob_root(vault).rglob("*") if p.is_file()] == []
    assert entries(vault, "vault.store") == []


def test_bad_requests_get_clear_errors(vault: Vault, world: World) -> None:
    case_id = new_case(world)
    with pytest.raises(InvalidInput, match="kind"):
        store(vault, case_id, b"x", kind="poster")
    with pytest.raises(NotFound):
        store(vault, "no-such-case", b"x")
    with pytest.raises(NotFound):
        read(vault, "no-such-object")
    obj = store(vault, case_id, os.urandom(100))
    with pytest.raises(InvalidInput):
        read(vault, obj.id, 50, 101)


def _flip(path: Path, position: int) -> None:
    raw = bytearray(path.read_bytes())
    raw[position] ^= 0x80
    path.write_bytes(bytes(raw))


def test_a_flipped_byte_anywhere_fails_and_is_audited(vault: Vault, world: World) -> None:
    case_id = new_case(world)
    data = os.urandom(3 * SMALL)
    objects = [store(vault, case_id, data) for _ in range(4)]
    size = crypto.sealed_size(len(data), SMALL)
    # Header, first chunk's nonce, the middle of chunk 1, the footer's last byte.
    positions = [3, crypto.HEADER_SIZE + 2, crypto.HEADER_SIZE + SMALL + 200, size - 1]
    for obj, position in zip(objects, positions, strict=True):
        _flip(blob_path(vault, obj), position)
        with pytest.raises(IntegrityError):
            read(vault, obj.id)
    failures = [e for e in entries(vault, "vault.read") if e.outcome == "integrity_error"]
    assert sorted(e.object_id for e in failures) == sorted(o.id for o in objects)
    assert chain_ok(vault)


def test_a_bad_chunk_met_while_streaming_is_audited(vault: Vault, world: World) -> None:
    case_id = new_case(world)
    obj = store(vault, case_id, os.urandom(5 * SMALL))
    db = vault.sessions()  # kept open: the reader audits failures through it
    reader = service.open_reader(db, vault=vault, actor=ACTOR, object_id=obj.id, purpose="play")
    db.commit()
    _flip(blob_path(vault, obj), crypto.HEADER_SIZE + 3 * (SMALL + 28) + 5)
    assert reader.read_range(0, 3 * SMALL) is not None
    with pytest.raises(IntegrityError, match="chunk 3"):
        reader.read_range(0, 4 * SMALL)
    assert [e.outcome for e in entries(vault, "vault.read")] == ["success", "integrity_error"]


def test_swapped_truncated_or_misrecorded_objects_fail(vault: Vault, world: World) -> None:
    case_id = new_case(world)
    data_a, data_b = os.urandom(3 * SMALL), os.urandom(3 * SMALL)
    a, b, c, d = (store(vault, case_id, x) for x in (data_a, data_b, data_a, data_a))
    # Whole blobs swapped between two objects of the same case.
    path_a, path_b = blob_path(vault, a), blob_path(vault, b)
    raw_a, raw_b = path_a.read_bytes(), path_b.read_bytes()
    path_a.write_bytes(raw_b)
    path_b.write_bytes(raw_a)
    for obj in (a, b):
        with pytest.raises(IntegrityError):
            read(vault, obj.id)
    # Truncated blob.
    path_c = blob_path(vault, c)
    path_c.write_bytes(path_c.read_bytes()[:-100])
    with pytest.raises(IntegrityError):
        read(vault, c.id)
    # A database row that claims a different length, or holds another object's data key.
    with unit_of_work(vault.sessions) as session:
        row_d = session.get(VaultObject, d.id)
        assert row_d is not None
        row_d.plaintext_length -= 1
    with pytest.raises(IntegrityError):
        read(vault, d.id)
    e, f = store(vault, case_id, data_a), store(vault, case_id, data_b)
    with unit_of_work(vault.sessions) as session:
        row_e, row_f = session.get(VaultObject, e.id), session.get(VaultObject, f.id)
        assert row_e is not None and row_f is not None
        row_e.wrapped_data_key, row_f.wrapped_data_key = (
            row_f.wrapped_data_key,
            row_e.wrapped_data_key,
        )
    with pytest.raises(IntegrityError):
        read(vault, e.id)
    # A blob that vanished from storage is an integrity failure, not a crash.
    g = store(vault, case_id, data_a)
    vault.store.delete(f"{case_id}/{g.id}")
    with pytest.raises(IntegrityError, match="missing"):
        read(vault, g.id)
    failed = {x.object_id for x in entries(vault, "vault.read") if x.outcome == "integrity_error"}
    assert failed == {a.id, b.id, c.id, d.id, e.id, g.id}


def test_shredding_makes_every_object_of_the_case_unreadable(vault: Vault, world: World) -> None:
    doomed, kept = new_case(world), new_case(world)
    originals = [store(vault, doomed, os.urandom(2 * SMALL), kind=k) for k in ("original", "proxy")]
    survivor = store(vault, kept, b"other family")
    # Keep what an attacker with an old backup would have: blobs and every database row.
    with unit_of_work(vault.sessions) as session:
        old_case_key = session.get(CaseKey, doomed)
        assert old_case_key is not None and old_case_key.wrapped_key is not None
        backup_key, backup_version = old_case_key.wrapped_key, old_case_key.key_version
        backup_rows = {
            o.id: session.get(VaultObject, o.id).wrapped_data_key  # type: ignore[union-attr]
            for o in originals
        }
    backup_blobs = {o.id: blob_path(vault, o).read_bytes() for o in originals}

    with unit_of_work(vault.sessions) as db:
        report = service.shred_case(
            db, vault=vault, actor=ACTOR, case_id=doomed, reason="withdrawn"
        )
    assert report.objects == 2
    for obj in originals:
        with pytest.raises(NotFound, match="destroyed"):
            read(vault, obj.id)
    assert read(vault, survivor.id) == b"other family"
    with pytest.raises(Conflict):
        store(vault, doomed, b"new footage")
    with unit_of_work(vault.sessions) as db:
        row = db.get(CaseKey, doomed)
        assert row is not None and row.wrapped_key is None and row.shredded_at is not None
        rows = db.scalars(select(VaultObject).where(VaultObject.case_id == doomed)).all()
        assert [(o.wrapped_data_key, o.state) for o in rows] == [(None, "shredded")] * 2
    shred = entries(vault, "vault.shred")
    assert [(e.object_id, e.purpose) for e in shred] == [(doomed, "erasure")]
    assert service.purge_blobs(vault, storage_keys=report.storage_keys) == 2
    assert not any(blob_path(vault, o).exists() for o in originals)

    # Until the master key is rotated, the backup could still be opened...
    case_key = vault.keys.unwrap(
        backup_key, version=backup_version, context=case_key_context(doomed)
    )
    assert len(case_key) == 32
    # ...after rotation the master key version that wrapped it is gone for good.
    service.rotate_keys(vault, actor=ACTOR)
    from attunely.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="not available"):
        vault.keys.unwrap(backup_key, version=backup_version, context=case_key_context(doomed))
    assert set(backup_blobs) == set(backup_rows)
    assert read(vault, survivor.id) == b"other family"


def test_rotation_rewraps_without_touching_ciphertext(vault: Vault, world: World) -> None:
    cases = [new_case(world) for _ in range(3)]
    data = {c: os.urandom(2 * SMALL + 7) for c in cases}
    objects = {c: store(vault, c, data[c]) for c in cases}
    before = {
        c: hashlib.sha256(blob_path(vault, o).read_bytes()).hexdigest() for c, o in objects.items()
    }
    with unit_of_work(vault.sessions) as db:
        wrapped_before = {k.case_id: k.wrapped_key for k in db.scalars(select(CaseKey))}

    first = service.rotate_keys(vault, actor=ACTOR)
    second = service.rotate_keys(vault, actor=ACTOR)
    assert (first.new_version, first.rewrapped, first.retired_versions) == (2, 3, [1])
    assert (second.new_version, second.retired_versions) == (3, [2])
    after = {
        c: hashlib.sha256(blob_path(vault, o).read_bytes()).hexdigest() for c, o in objects.items()
    }
    assert after == before
    with unit_of_work(vault.sessions) as db:
        keys = list(db.scalars(select(CaseKey)))
        versions = service.master_key_versions(db)
    assert {k.key_version for k in keys} == {3}
    assert all(k.wrapped_key != wrapped_before[k.case_id] for k in keys)
    assert versions == [(1, "retired"), (2, "retired"), (3, "active")]
    assert vault.keys.versions() == [3]  # type: ignore[attr-defined]
    for c, obj in objects.items():
        assert read(vault, obj.id) == data[c]
    # New cases after rotation get keys under the new version.
    later = new_case(world)
    assert read(vault, store(vault, later, b"fresh").id) == b"fresh"
    with unit_of_work(vault.sessions) as db:
        assert db.get(CaseKey, later).key_version == 3  # type: ignore[union-attr]
    assert len(entries(vault, "vault.keys.rotate")) == 2
    assert chain_ok(vault)


def test_orphans_from_a_killed_upload_are_found_and_cleaned(vault: Vault, world: World) -> None:
    case_id = new_case(world)
    kept = store(vault, case_id, os.urandom(3 * SMALL))
    # A process killed mid-upload: a pending row and a partial temporary file.
    killed = service.open_writer(
        vault, actor=ACTOR, case_id=case_id, kind="original", purpose="ingest", chunk_size=SMALL
    )
    killed.write(os.urandom(5 * SMALL))
    # A process killed after its blob was durable but before the row was completed.
    late = service.open_writer(
        vault, actor=ACTOR, case_id=case_id, kind="proxy", purpose="ingest", chunk_size=SMALL
    )
    late.write(os.urandom(SMALL))
    vault.store.put(late.storage_key, b"sealed bytes")
    # And a blob whose row is gone altogether.
    vault.store.put(f"{case_id}/stray", b"sealed bytes")

    with unit_of_work(vault.sessions) as db:
        scan = service.find_orphans(db, vault=vault, older_than=timedelta(hours=1))
    assert [o.storage_key for o in scan.blobs] == [f"{case_id}/stray"]
    assert scan.stale_rows == []
    report = service.clean_orphans(vault, actor=ACTOR, older_than=timedelta(seconds=-1))
    assert (report.blobs_removed, report.rows_removed, report.incomplete_uploads_removed) == (
        2,
        2,
        2,
    )
    assert [b.key for b in vault.store.list()] == [f"{case_id}/{kept.id}"]
    with unit_of_work(vault.sessions) as db:
        assert [o.id for o in service.list_objects(db, case_id=case_id)] == [kept.id]
    assert read(vault, kept.id) is not None
    # The writer that comes back to life finds its upload abandoned, and keeps nothing.
    with pytest.raises(Conflict, match="abandoned"):
        late.finish()
    assert [b.key for b in vault.store.list()] == [f"{case_id}/{kept.id}"]
    assert len(entries(vault, "vault.cleanup")) == 1


def test_deleting_an_object_forgets_its_key(vault: Vault, world: World) -> None:
    case_id = new_case(world)
    obj = store(vault, case_id, b"a proxy that failed")
    with unit_of_work(vault.sessions) as db:
        service.delete_object(db, vault=vault, actor=ACTOR, object_id=obj.id, purpose="transcode")
    with pytest.raises(NotFound):
        read(vault, obj.id)
    assert service.clean_orphans(vault, actor=ACTOR).blobs_removed == 1
    assert list(vault.store.list()) == []


def test_the_s3_backend_stores_reads_and_detects_tampering(s3_vault: Vault, world: World) -> None:
    case_id = new_case(world)
    data = os.urandom(2 * 1024 * 1024 + 999)
    obj = service.store_stream(
        s3_vault, actor=ACTOR, case_id=case_id, kind="original", source=[data], purpose="ingest"
    )
    assert read(s3_vault, obj.id, 1_000_000, 2_000_000) == data[1_000_000:2_000_000]
    key = f"{case_id}/{obj.id}"
    raw = bytearray(s3_vault.store.read_range(key, 0, s3_vault.store.size(key)))
    size = crypto.DEFAULT_CHUNK_SIZE
    inside = 1_500_000 // size  # a chunk that the second range needs and the first does not
    raw[crypto.HEADER_SIZE + inside * (size + crypto.CHUNK_OVERHEAD) + 100] ^= 1
    s3_vault.store.delete(key)
    s3_vault.store.put(key, bytes(raw))
    assert read(s3_vault, obj.id, 0, 1000) == data[:1000]
    with pytest.raises(IntegrityError):
        read(s3_vault, obj.id, 1_000_000, 2_000_000)
    assert [e.outcome for e in entries(s3_vault, "vault.read")] == [
        "success",
        "success",
        "integrity_error",
    ]


def test_master_key_versions_are_recorded_once(vault: Vault, world: World) -> None:
    for _ in range(3):
        store(vault, new_case(world), b"x")
    with unit_of_work(vault.sessions) as db:
        rows = db.scalars(select(VaultMasterKey)).all()
        assert [(v.version, v.state, v.manager) for v in rows] == [(1, "active", "local")]


def test_concurrent_first_stores_share_one_master_version_and_one_case_key(
    vault: Vault, world: World
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    shared = new_case(world)
    others = [new_case(world) for _ in range(3)]
    targets = [shared, shared, shared, *others]
    payloads = [os.urandom(SMALL + i) for i in range(len(targets))]
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        stored = list(
            pool.map(
                lambda pair: store(vault, pair[0], pair[1]), zip(targets, payloads, strict=True)
            )
        )
    for obj, data in zip(stored, payloads, strict=True):
        assert read(vault, obj.id) == data
    with unit_of_work(vault.sessions) as db:
        assert service.master_key_versions(db) == [(1, "active")]
        assert len(db.scalars(select(CaseKey)).all()) == 4


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_range_through_the_service_returns_exactly_those_bytes(
    vault: Vault, world: World, data: st.DataObject
) -> None:
    # One stored object shared by every example (the fixtures are made once per test).
    global _RANGE_OBJECT
    if _RANGE_OBJECT is None or _RANGE_OBJECT[0] is not vault:
        plain = os.urandom(7 * SMALL + 123)
        _RANGE_OBJECT = (vault, store(vault, new_case(world), plain), plain)
    _, obj, plain = _RANGE_OBJECT
    start = data.draw(st.integers(min_value=0, max_value=len(plain)), label="start")
    end = data.draw(st.integers(min_value=start, max_value=len(plain)), label="end")
    assert read(vault, obj.id, start, end) == plain[start:end]


_RANGE_OBJECT: tuple[Vault, service.StoredObject, bytes] | None = None
