"""Speed and memory of `attunely analyse` against a bare FFmpeg decode of the same film.

Usage:
    .venv/bin/python -m benchmarks.analysis_speed [--films 10x720 30x720 60x240] [--runs 2]
        [--folder benchmarks/out/analysis] [--write-docs]

For each film (minutes x picture height) it generates (once, cached in --folder) a synthetic
H.264/AAC film with `attunely.synth` (720: 1280x720 at 30 fps, x264 veryfast; 240: 320x240 at
15 fps, cheap to make, for seeing how memory grows with length), then, in the same run and
alternating, times
  floor:    ffmpeg -i FILM -f null -      (full decode of picture and sound)
  analysis: attunely analyse FILM --out DIR --quiet
and records each process's peak resident memory (VmHWM, polled from /proc). Prints Markdown;
with --write-docs, replaces this script's marked section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from attunely.synth import FilmSpec

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"


def peak_rss_mib(pid: int) -> float | None:
    """VmHWM (peak resident memory) of a running process, in MiB, or None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) / 1024 if found else None


def run(command: list[str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak resident memory in MiB).

    The peak is VmHWM polled from /proc every 20 ms: it belongs to the program's own memory
    map, unlike wait4's ru_maxrss, which also counts this (parent) process's memory from
    before the child's exec.
    """
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0.0
    while process.poll() is None:
        current = peak_rss_mib(process.pid)
        if current is not None:
            peak = max(peak, current)
        time.sleep(0.02)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SystemExit(f"{command[0]} failed ({process.returncode}): {error[-2000:]}")
    return wall, peak


SIZES = {720: (1280, 720, 30, "veryfast"), 240: (320, 240, 15, "ultrafast")}


def film_for(minutes: float, folder: Path, size: int = 720, *, faces: bool = False) -> Path:
    width, height, fps, preset = SIZES[size]
    name = f"{height}p{fps}" + ("-faces" if faces else "")
    path = folder / f"film-{minutes:g}min-{name}.mp4"
    if not path.exists():
        print(f"generating a {minutes:g}-minute {name} film (cached in {folder}) ...", flush=True)
        started = time.perf_counter()
        spec = FilmSpec(
            seed=42,
            duration_s=minutes * 60,
            snr_db=10.0,
            width=width,
            height=height,
            fps=fps,
            preset=preset,
            faces=faces,
        )
        # In a child process, so the generator's memory never sits in this one.
        partial = path.with_suffix(".partial.mp4")
        code = (
            "import sys; from pathlib import Path; from attunely.synth import FilmSpec, "
            f"generate_film; generate_film(Path(sys.argv[1]), FilmSpec(**{asdict(spec)!r}))"
        )
        subprocess.run([sys.executable, "-c", code, str(partial)], check=True)
        partial.rename(path)
        print(f"  took {time.perf_counter() - started:.0f} s", flush=True)
    return path


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(re.findall(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[0])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, IndexError):
        pass
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout
    version = ffmpeg.split("\n", 1)[0].replace("ffmpeg version ", "FFmpeg ")
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {version.split(' Copyright')[0]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--films",
        nargs="+",
        default=["10x720"],
        help="MINUTESxHEIGHT per film; height 720 (1280x720, 30 fps) or 240 (320x240, 15 fps: "
        "cheap to make, to see how memory grows with length)",
    )
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=ROOT / "benchmarks" / "out" / "analysis")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument(
        "--faces",
        action="store_true",
        help="draw faces on the figures, so the person detector has faces to measure",
    )
    parser.add_argument("--vision", default="auto", help="attunely analyse --vision (auto/off)")
    args = parser.parse_args()
    if shutil.which("ffmpeg") is None:
        raise SystemExit("ffmpeg is needed for the floor measurement")
    args.folder.mkdir(parents=True, exist_ok=True)
    attunely = str(Path(sys.executable).with_name("attunely"))
    vision = ["--vision", args.vision]
    rows = []
    for item in args.films:
        minutes_text, _, height_text = item.partition("x")
        minutes, height = float(minutes_text), int(height_text or 720)
        if height not in SIZES:
            raise SystemExit(f"height must be one of {sorted(SIZES)}")
        film = film_for(minutes, args.folder, height, faces=args.faces)
        floors, analyses = [], []
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.runs):
                # Alternate so both see the same cache and machine state.
                floors.append(
                    run(["ffmpeg", "-loglevel", "error", "-i", str(film), "-f", "null", "-"])
                )
                analyses.append(
                    run([attunely, "analyse", str(film), "--out", tmp, "--quiet", *vision])
                )
        floor = statistics.median(w for w, _ in floors)
        wall = statistics.median(w for w, _ in analyses)
        peak = max(m for _, m in analyses)
        row = (
            f"| {minutes:g} min, {height}p{SIZES[height][2]}"
            f"{' with faces' if args.faces else ''}, vision {args.vision} | "
            f"{film.stat().st_size / 2**20:.0f} MiB | {floor:.1f} s | "
            f"{wall:.1f} s | **{wall / floor:.2f}x** | {peak:.0f} MiB | "
            f"{max(m for _, m in floors):.0f} MiB |"
        )
        rows.append(row)
        print(row, flush=True)
    table = "\n".join(
        [
            "| film (H.264 + AAC) | file | ffmpeg decode (floor) | attunely analyse | "
            "ratio | analyse peak RSS | ffmpeg peak RSS |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print(table)
    if args.write_docs:
        write_docs(table, runs=args.runs)


BEGIN = "<!-- analysis_speed.py: begin -->"
END = "<!-- analysis_speed.py: end -->"


def write_docs(table: str, *, runs: int) -> None:
    """Replace (or append) this script's marked section of docs/benchmarks.md only.

    The file is re-read just before writing, and everything outside the markers (other
    benchmarks' sections) is kept byte for byte.
    """
    section = (
        f"{BEGIN}\n## Analysis: `attunely analyse` vs a full decode "
        "(`benchmarks/analysis_speed.py`)\n\n"
        "`attunely analyse` on generated 720p30 films against a full "
        "`ffmpeg -i FILM -f null -` decode of the same file, measured alternately in the "
        f"same run (median of {runs} runs each; peak resident memory is each process's own "
        "VmHWM). Goals (issue 4): at most 1.5 times the decode on 2 cores, and peak memory "
        "flat in film length (at most 1.5 GB for 60 minutes).\n\n"
        f"Measured {time.strftime('%Y-%m-%d')} on: {machine()} (load average "
        f"{os.getloadavg()[0]:.1f} when written; the machine is shared, so timings move by "
        "10-20 % between runs, which is why floor and analysis alternate).\n\n"
        f"{table}\n\n"
        "- The 720p rows are the goal's case: the analysis decodes the whole picture (the "
        "floor), shrinks about 10 frames a second straight from the luma plane for motion "
        "energy, and analyses the sound on a second thread meanwhile.\n"
        "- The 240p rows are cheap films for seeing how memory grows with length. Their "
        "ratio is high because a tiny picture costs almost nothing to decode, while the sound "
        "analysis (about 3-4 s per 10 minutes of film here) does not shrink with the picture.\n"
        "- Peak memory is not flat: it grows by about 5 MiB per minute of film, because the "
        "16 kHz soundtrack (3.7 MiB a minute) and per-10 ms band features are held for the "
        "whole film; spectra, pitch, noise tracking, cepstra and picture frames are processed "
        "a minute (or a frame) at a time. A 60-minute film stays far under 1.5 GB (about "
        "600 MiB at 240p; 720p adds the decoder's ~40 MiB). A streaming sound pass would make "
        "it flat.\n"
        f"{END}"
    )
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.write_text(text)
    print(f"updated {DOCS}")


if __name__ == "__main__":
    main()
