"""Benchmark the film vault: encrypted import vs `cp`, and range-read latency.

Run: ``.venv/bin/python benchmarks/vault_import.py [--size-mib 1024] [--write-doc]``

1. Generates an incompressible file of ``--size-mib`` MiB (default 1024, i.e. > 1 GB).
2. Floor: ``cp`` of that file on the same filesystem, alone and followed by an fsync of the
   copy (the vault fsyncs what it stores, so that is the like-for-like floor).
3. Imports it through the real vault service (SQLite database, local store, audit entry):
   read, SHA-256, AES-GCM in 1 MiB chunks, write, fsync, commit.
4. Range reads of 256 KiB at random offsets through the service, the way the streaming
   endpoint will do them: open the reader (policy-checked caller, audit entry, commit),
   then decrypt only the chunks needed. Measured with 1 reader and with 50 concurrent.

With ``--write-doc`` the results replace the vault section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from attunely.config import Settings, reset_settings_cache  # noqa: E402
from attunely.db import make_engine, make_session_factory, unit_of_work, upgrade  # noqa: E402
from attunely.policy import local_operator  # noqa: E402
from attunely.vault import crypto, service  # noqa: E402
from attunely.vault.keys import LocalKeyFileManager  # noqa: E402
from attunely.vault.storage import LocalDirStore  # noqa: E402

MIB = 1024 * 1024
RANGE = 256 * 1024
CHUNK = crypto.DEFAULT_CHUNK_SIZE
PACE = 0.25
BEGIN = "<!-- vault_import.py: begin -->"
END = "<!-- vault_import.py: end -->"


def generate(path: Path, size_mib: int) -> None:
    """Write an incompressible file without holding it in memory."""
    block = os.urandom(16 * MIB)
    with path.open("wb") as handle:
        for i in range(size_mib // 16):
            # A different first bytes per block, so no two blocks are identical.
            handle.write(i.to_bytes(8, "big") + block[8:])
        handle.write(os.urandom((size_mib % 16) * MIB))


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def cp(src: Path, dst: Path, *, sync: bool) -> float:
    def run() -> None:
        subprocess.run(["cp", str(src), str(dst)], check=True)
        if sync:
            fd = os.open(dst, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)

    elapsed = timed(run)
    dst.unlink()
    return elapsed


def read_and_hash(src: Path) -> float:
    """Time to read the file and SHA-256 it: work the vault cannot skip."""

    def run() -> None:
        digest = hashlib.sha256()
        with src.open("rb", buffering=0) as handle:
            while piece := handle.read(MIB):
                digest.update(piece)

    return timed(run)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def machine() -> str:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()[:10]
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.rstrip()
    return "\n".join(
        [
            f"nproc: {os.cpu_count()} · Python {platform.python_version()} · {platform.platform()}",
            "",
            "```",
            *lscpu,
            "",
            free,
            "```",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--reads", type=int, default=300, help="reads for the 1-reader run")
    parser.add_argument("--concurrent-reads", type=int, default=20, help="reads per thread (50)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="attunely-bench-", dir=args.workdir))
    try:
        results = run(work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = render(results, args)
    print(report)
    if args.write_doc:
        write_doc(report)


def run(work: Path, args: argparse.Namespace) -> dict[str, object]:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    source = work / "film.bin"
    print(f"generating {args.size_mib} MiB ...", flush=True)
    generate(source, args.size_mib)
    size = source.stat().st_size

    reset_settings_cache()
    settings = Settings(data_dir=work / "data")
    upgrade(settings)
    engine = make_engine(settings)
    sessions = make_session_factory(engine)
    vault = service.Vault(
        store=LocalDirStore(settings.resolved_data_dir / "vault"),
        keys=LocalKeyFileManager(settings.keys_dir),
        sessions=sessions,
    )
    actor = local_operator("benchmark")
    with unit_of_work(sessions) as db:
        from attunely.accounts.models import Organisation, Team
        from attunely.cases.models import Case

        org = Organisation(name="Bench")
        db.add(org)
        db.flush()
        team = Team(organisation_id=org.id, name="Bench")
        db.add(team)
        db.flush()
        case = Case(
            organisation_id=org.id,
            team_id=team.id,
            reference="BENCH-1",
            programme="vig",
            created_by="benchmark",
        )
        db.add(case)
        db.flush()
        case_id = case.id

    # Warm the source into the page cache once, so neither side pays for the first read.
    cp(source, work / "warm.bin", sync=False)
    cp_times, cp_sync_times, import_times, hash_times = [], [], [], []
    stored = None
    for round_ in range(args.rounds):
        print(f"round {round_ + 1}: cp, cp+fsync, import ...", flush=True)
        # Start each measurement with no dirty pages left over from the one before.
        os.sync()
        cp_times.append(cp(source, work / "copy.bin", sync=False))
        os.sync()
        cp_sync_times.append(cp(source, work / "copy.bin", sync=True))
        hash_times.append(read_and_hash(source))
        os.sync()
        with source.open("rb", buffering=0) as handle:
            start = time.perf_counter()
            stored = service.store_stream(
                vault,
                actor=actor,
                case_id=case_id,
                kind="original",
                source=handle,
                purpose="benchmark",
            )
            import_times.append(time.perf_counter() - start)
    assert stored is not None and stored.length == size

    rng = random.Random(7)

    def one_read() -> float:
        start_at = rng.randrange(0, size - RANGE)
        begin = time.perf_counter()
        with unit_of_work(sessions) as db:
            reader = service.open_reader(
                db, vault=vault, actor=actor, object_id=stored.id, purpose="benchmark"
            )
        data = reader.read_range(start_at, start_at + RANGE)
        elapsed = time.perf_counter() - begin
        assert len(data) == RANGE
        return elapsed

    print("range reads, 1 reader ...", flush=True)
    single = [one_read() for _ in range(args.reads)]
    print("range reads, 50 readers ...", flush=True)
    lock = threading.Lock()
    concurrent: list[float] = []

    def reader_thread(_: int) -> None:
        mine = [one_read() for _ in range(args.concurrent_reads)]
        with lock:
            concurrent.extend(mine)

    wall = timed(lambda: list(ThreadPoolExecutor(max_workers=50).map(reader_thread, range(50))))

    print("range reads, 50 paced readers ...", flush=True)
    paced: list[float] = []

    def paced_thread(index: int) -> None:
        # A viewer of a proxy fetches the next range every PACE seconds (8 Mbit/s here).
        time.sleep(index * PACE / 50)
        mine = []
        for _ in range(args.concurrent_reads):
            began = time.perf_counter()
            mine.append(one_read())
            time.sleep(max(0.0, PACE - (time.perf_counter() - began)))
        with lock:
            paced.extend(mine)

    list(ThreadPoolExecutor(max_workers=50).map(paced_thread, range(50)))
    engine.dispose()
    return {
        "load": load,
        "size": size,
        "cp": min(cp_times),
        "cp_sync": min(cp_sync_times),
        "import": min(import_times),
        "hash": min(hash_times),
        "single": single,
        "concurrent": concurrent,
        "concurrent_wall": wall,
        "paced": paced,
    }


def render(r: dict[str, object], args: argparse.Namespace) -> str:
    size = int(r["size"])  # type: ignore[call-overload]
    cp_s, cp_sync_s, imp = float(r["cp"]), float(r["cp_sync"]), float(r["import"])  # type: ignore[arg-type]
    hash_s = float(r["hash"])  # type: ignore[arg-type]
    single: list[float] = r["single"]  # type: ignore[assignment]
    conc: list[float] = r["concurrent"]  # type: ignore[assignment]
    paced: list[float] = r["paced"]  # type: ignore[assignment]

    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q) * 1000:.1f}"

    def rate(seconds: float) -> str:
        return f"{size / seconds / 1e6:.0f} MB/s"

    return "\n".join(
        [
            BEGIN,
            "## Film vault: encrypted import and range reads (`benchmarks/vault_import.py`)",
            "",
            f"Measured {time.strftime('%Y-%m-%d')} on the development machine:",
            "",
            machine(),
            "",
            f"Import of a {size / 1e9:.2f} GB incompressible file (best of {args.rounds} rounds, "
            "source in page cache, same filesystem, `sync` before each measurement; "
            f"machine load average before the run: {r['load']}):",
            "",
            "| what | seconds | throughput | ratio |",
            "| --- | ---: | ---: | ---: |",
            f"| `cp` (floor, no fsync) | {cp_s:.2f} | {rate(cp_s)} | 1.00 |",
            f"| `cp` + fsync of the copy (like-for-like floor) | {cp_sync_s:.2f} | "
            f"{rate(cp_sync_s)} | {cp_sync_s / cp_s:.2f} x cp |",
            f"| read + SHA-256 only (one core; the vault must do this) | {hash_s:.2f} | "
            f"{rate(hash_s)} | {hash_s / cp_s:.2f} x cp |",
            f"| vault import (SHA-256 + AES-256-GCM in {CHUNK // 1024} KiB chunks + fsync + row "
            "+ audit) | "
            f"{imp:.2f} | {rate(imp)} | **{imp / cp_s:.2f} x cp**, "
            f"{imp / cp_sync_s:.2f} x cp+fsync |",
            "",
            f"Range reads of {RANGE // 1024} KiB at random offsets through the service (open: "
            "row, key unwrap, header/footer check, audit entry committed in SQLite; then "
            "decrypt the 1-2 chunks needed). 50 concurrent readers are 50 threads each "
            "issuing reads back to back (closed loop), so latency there is mostly queueing:",
            "",
            "| readers | reads | p50 ms | p95 ms | p99 ms |",
            "| ---: | ---: | ---: | ---: | ---: |",
            f"| 1 | {len(single)} | {ms(single, 50)} | {ms(single, 95)} | {ms(single, 99)} |",
            f"| 50 concurrent | {len(conc)} | {ms(conc, 50)} | {ms(conc, 95)} | {ms(conc, 99)} |",
            f"| 50 paced (each one read every {PACE * 1000:.0f} ms) | {len(paced)} | "
            f"{ms(paced, 50)} | {ms(paced, 95)} | {ms(paced, 99)} |",
            "",
            "Goals (issue 3): import ≤ 1.3 x `cp`; range-read p95 ≤ 50 ms with 50 readers on "
            "2 cores.",
            "",
            "Reading these numbers: `cp` copies inside the kernel from the page cache and does "
            "not wait for the disk. The vault has to bring every byte into the process, hash "
            "it and encrypt it, and it fsyncs before it reports success; hashing runs on a "
            "helper thread beside encryption and writing. "
            + (
                "Reading and hashing alone (row above) already take longer than 1.3 x `cp` "
                "in this run, so that goal cannot be met by any design that hashes and "
                "encrypts in user space here; "
                if hash_s > 1.3 * cp_s
                else ""
            )
            + "`cp` + fsync is the like-for-like floor. "
            f"A single range read took {ms(single, 50)} ms (p50), most of it the database "
            "(loading the row and case key, writing and committing the audit entry). With 50 "
            "readers issuing reads back to back on 2 cores, and SQLite admitting one writer at a "
            "time (its busy handler sleeps and retries), the closed-loop latency is queueing; "
            "the paced row is what 50 viewers reading at a video's pace see.",
            END,
        ]
    )


def write_doc(report: str) -> None:
    doc = ROOT / "docs" / "benchmarks.md"
    text = (
        doc.read_text()
        if doc.exists()
        else (
            "# Benchmarks\n\nSpeed and memory goals are measured by scripts in `benchmarks/`, "
            "each against a floor measured in the same run on the same machine.\n\n"
        )
    )
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        text = head + report + tail
    else:
        text = text.rstrip("\n") + "\n\n" + report + "\n"
    doc.write_text(text)
    print(f"wrote {doc}")


if __name__ == "__main__":
    main()
