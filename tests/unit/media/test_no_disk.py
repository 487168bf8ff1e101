"""Privacy: probing, transcoding and stills write nothing of a film to disk.

Three independent checks while the whole media edge runs on a film:
- no file is opened for writing from Python (audit hook on `open` and temp-file events);
- the working directory, TMPDIR and HOME (all pointed at empty folders) stay empty;
- no file created or changed anywhere under the usual temporary places holds a 64-byte run of
  the film or of its proxy.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from attunely.media import PeakMeter, ThumbnailCollector, make_proxy, probe, thumbnail_strip
from attunely.media import waveform as make_waveform
from tests.unit.media.films import RecordingSink, film

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_watching: list[list[str]] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if not _watching:
        return
    if event == "open" and len(args) >= 3:
        path, mode, flags = args[0], args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writes:
            _watching[-1].append(f"open {path!r} {mode!r}")
    elif event in ("tempfile.mkstemp", "tempfile.mkdtemp", "os.rename", "shutil.copyfile"):
        _watching[-1].append(f"{event} {args!r}")


sys.addaudithook(_audit)


@contextmanager
def _writes_from_python() -> Iterator[list[str]]:
    seen: list[str] = []
    _watching.append(seen)
    try:
        yield seen
    finally:
        _watching.pop()


def _samples(data: bytes, count: int = 16) -> list[bytes]:
    step = max(1, (len(data) - 64) // count)
    return [data[i : i + 64] for i in range(0, len(data) - 64, step)][:count]


def _files_changed_since(roots: list[Path], since: float) -> Iterator[Path]:
    for root in roots:
        for folder, _dirs, names in os.walk(root, onerror=lambda _e: None):
            for name in names:
                path = Path(folder) / name
                try:
                    if path.is_file() and path.stat().st_mtime >= since:
                        yield path
                except OSError:
                    continue


def test_media_edge_writes_nothing_of_a_film_to_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = film("portrait")
    folders = {name: tmp_path / name for name in ("cwd", "tmp", "home")}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.chdir(folders["cwd"])
    for variable in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(variable, str(folders["tmp"]))
    monkeypatch.setenv("HOME", str(folders["home"]))
    monkeypatch.setattr(tempfile, "tempdir", None)

    started = time.time() - 1
    proxy_sink, strip_sink, strip2_sink = RecordingSink(), RecordingSink(), RecordingSink()
    with _writes_from_python() as writes:
        probe(io.BytesIO(source))
        thumbs, peaks = ThumbnailCollector(every_s=1.0), PeakMeter()
        make_proxy(io.BytesIO(source), proxy_sink, thumbnails=thumbs, peaks=peaks)
        thumbs.write_jpeg(strip_sink)
        thumbnail_strip(io.BytesIO(source), strip2_sink, every_s=1.0)
        make_waveform(io.BytesIO(source))

    assert writes == []
    for name, folder in folders.items():
        assert list(folder.iterdir()) == [], f"{name} is no longer empty"
    assert proxy_sink.data and strip_sink.data and strip2_sink.data  # the work was done

    needles = _samples(source) + _samples(proxy_sink.data) + _samples(strip_sink.data)
    roots = [Path(p) for p in ("/tmp", "/var/tmp", "/dev/shm") if Path(p).is_dir()]
    for path in _files_changed_since([*roots, tmp_path], started):
        try:
            with path.open("rb") as handle:
                content = handle.read(256 * 1024 * 1024)
        except OSError:
            continue
        assert not any(needle in content for needle in needles), f"film bytes found in {path}"
