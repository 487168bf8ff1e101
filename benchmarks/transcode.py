"""Proxy transcode speed: `make_proxy` against the ffmpeg command line doing the same job.

Usage: .venv/bin/python -m benchmarks.transcode [--case 1080p|4k-hevc60] [--seconds S]
       [--repeat N]

Generates a synthetic film with the ffmpeg command line (test pattern with moving noise plus
a tone; synthetic, so it may sit in a temporary folder), then times, alternately and in the
same run:

- ours:   `make_proxy(open(film, "rb"), sink)` with a sink that only counts bytes;
- floor:  `ffmpeg -i film <same scale, fps, x264 and AAC settings, fragmented MP4> pipe:1`
          with its output sent to /dev/null.

Prints wall and CPU times (median of --repeat runs), the ratios ours / ffmpeg (goal: at most
1.1) and the machine, as Markdown ready for docs/benchmarks.md. CPU time (all threads) is
reported too because wall time on a shared machine moves with whatever else runs.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av

from attunely.media import make_proxy, probe, proxy_frame_rate
from attunely.media.picture import fit_size
from attunely.media.transcode import FRAGMENTED_MP4, x264_options

CASES = {
    # name: (width, height, fps, video encoder args, default seconds)
    "1080p": (1920, 1080, 30, ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20"], 120.0),
    "4k-hevc60": (
        3840,
        2160,
        60,
        [
            "-c:v",
            "libx265",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p10le",
            "-tag:v",
            "hvc1",
            "-x265-params",
            "log-level=error",
        ],
        6.0,
    ),
}


class CountingSink:
    def __init__(self) -> None:
        self.written = 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        return len(data)


def generate(path: Path, case: str, seconds: float) -> None:
    width, height, fps, video_args, _ = CASES[case]
    pattern = f"testsrc2=size={width}x{height}:rate={fps},noise=alls=6:allf=t"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", pattern, "-f", "lavfi",
         "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds), *video_args,
         "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip


def ffmpeg_command(path: Path, *, width: int, height: int, fps: Fraction) -> list[str]:
    """The same transcode as make_proxy, spelled for the ffmpeg command line."""
    gop = int(fps)
    options = x264_options(gop=gop, crf=23, preset="veryfast")
    return [
        "ffmpeg", "-v", "error", "-nostdin", "-i", str(path),
        "-map", "0:v:0", "-map", "0:a:0",
        "-vf", f"scale={width}:{height}:flags=bicubic,fps={fps.numerator}/{fps.denominator},"
               "format=yuv420p",
        "-c:v", "libx264", "-preset", options["preset"], "-crf", options["crf"],
        "-profile:v", options["profile"], "-x264-params", options["x264-params"],
        "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
        "-movflags", FRAGMENTED_MP4, "-f", "mp4", "pipe:1",
    ]  # fmt: skip


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def time_ours(path: Path) -> tuple[float, float, int, int]:
    """Wall and CPU seconds (all threads) of one make_proxy, frames and bytes written."""
    sink = CountingSink()
    cpu, started = _cpu(resource.RUSAGE_SELF), time.perf_counter()
    with path.open("rb") as source:
        result = make_proxy(source, sink)
    wall = time.perf_counter() - started
    return wall, _cpu(resource.RUSAGE_SELF) - cpu, result.frame_count, sink.written


def time_ffmpeg(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ffmpeg run."""
    cpu, started = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started, _cpu(resource.RUSAGE_CHILDREN) - cpu


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    ffmpeg = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.platform()}; "
        f"Python {platform.python_version()}, PyAV {av.__version__} "
        f"(libavcodec {'.'.join(map(str, av.library_versions['libavcodec']))}); "
        f"command line: {ffmpeg.splitlines()[0]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", choices=sorted(CASES), default="1080p")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    seconds = args.seconds or CASES[args.case][4]
    with tempfile.TemporaryDirectory(prefix="attunely-bench-") as tmp:
        film = Path(tmp) / f"synthetic-{args.case}.mp4"
        print(f"generating {seconds:.0f} s {args.case} film ...", file=sys.stderr)
        generate(film, args.case, seconds)
        with film.open("rb") as handle:
            info = probe(handle)
        fps = proxy_frame_rate(info.video.nominal_frame_rate)
        width, height = fit_size(
            info.video.display_width, info.video.display_height, max_width=1280, max_height=720
        )
        command = ffmpeg_command(film, width=width, height=height, fps=fps)
        ours, theirs, ours_cpu, theirs_cpu = [], [], [], []
        frames = written = 0
        for run in range(args.repeat):
            # Alternate, so drift in the machine's speed hits both sides alike.
            wall, cpu, frames, written = time_ours(film)
            ours.append(wall)
            ours_cpu.append(cpu)
            wall, cpu = time_ffmpeg(command)
            theirs.append(wall)
            theirs_cpu.append(cpu)
            print(
                f"run {run + 1}: ours {ours[-1]:.1f} s wall / {ours_cpu[-1]:.1f} s CPU, "
                f"ffmpeg {theirs[-1]:.1f} s wall / {theirs_cpu[-1]:.1f} s CPU",
                file=sys.stderr,
            )
        size = film.stat().st_size
    ours_s, theirs_s = statistics.median(ours), statistics.median(theirs)
    ours_c, theirs_c = statistics.median(ours_cpu), statistics.median(theirs_cpu)
    print("| Case | Input | Output | make_proxy | ffmpeg CLI | Ratio (wall) | Ratio (CPU) |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.case}, {seconds:.0f} s | {info.video.codec} {info.video.width}x"
        f"{info.video.height} {info.video.frame_rate:g} fps + {info.audio and info.audio.codec},"
        f" {size / 2**20:.0f} MiB | {width}x{height} {fps} fps, {frames} frames,"
        f" {written / 2**20:.1f} MiB | {ours_s:.1f} s wall, {ours_c:.1f} s CPU"
        f" ({frames / ours_s:.0f} fps) | {theirs_s:.1f} s wall, {theirs_c:.1f} s CPU |"
        f" **{ours_s / theirs_s:.2f}x** | **{ours_c / theirs_c:.2f}x** |"
    )
    pairs = ", ".join(f"{a / b:.2f}" for a, b in zip(ours, theirs, strict=True))
    print(f"\nMedian of {args.repeat} alternating runs; per-run wall ratios: {pairs}.")
    print(f"Machine: {machine()}; load average at the end: {os.getloadavg()[0]:.1f}")
    print("\nffmpeg command: `" + " ".join(command).replace(str(film), "FILM") + "`")


if __name__ == "__main__":
    main()
