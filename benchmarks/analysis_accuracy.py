"""Accuracy of `attunely analyse` on synthetic films with known truth, per condition.

Usage: .venv/bin/python -m benchmarks.analysis_accuracy [--films N] [--duration S] [--out DIR]

Prints one row per condition (mean over films, and pooled turn-count error) as Markdown,
ready for docs/analysis.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from attunely.analysis.media import open_media
from attunely.analysis.pipeline import AnalysisOptions, analyse
from attunely.synth import FilmSpec, generate_film
from attunely.synth.score import score

CONDITIONS = [
    ("clean", None, False),
    ("20 dB", 20.0, False),
    ("10 dB", 10.0, False),
    ("10 dB + reverb", 10.0, True),
    ("5 dB", 5.0, False),
    ("5 dB + reverb", 5.0, True),
    ("0 dB", 0.0, False),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--films", type=int, default=4)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--conditions", default="")
    parser.add_argument("--speech-method", default="auto")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    chosen = [c for c in CONDITIONS if not args.conditions or c[0] in args.conditions.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, snr, reverb in chosen:
            scores = []
            for k in range(args.films):
                seed = args.first_seed + k
                spec = FilmSpec(seed=seed, duration_s=args.duration, snr_db=snr, reverb=reverb)
                film = generate_film(Path(tmp) / f"film-{seed}.mp4", spec)
                started = time.perf_counter()
                result = analyse(
                    open_media(film.path),
                    # The drawn figures have no faces: the person detector would only cost time.
                    options=AnalysisOptions(
                        speech_method=args.speech_method, surrogates=50, vision="off"
                    ),
                )
                scores.append((score(result, film), time.perf_counter() - started))
            s = [x for x, _ in scores]
            truth = sum(x.truth_turns for x in s)
            pooled = sum(abs(x.predicted_turns - x.truth_turns) for x in s) / max(truth, 1)
            row = {
                "condition": name,
                "films": len(s),
                "adult_f1": statistics.mean(x.adult_f1 for x in s),
                "child_f1": statistics.mean(x.child_f1 for x in s),
                "speech_f1": statistics.mean(x.speech_f1 for x in s),
                "turn_f1": statistics.mean(x.turn_f1 for x in s),
                "turn_count_error": pooled,
                "worst_turn_count_error": max(x.turn_count_error for x in s),
                "truth_turns": truth,
                "moment_precision": statistics.mean(x.moment_precision for x in s),
                "regions_correct": sum(1 for x in s if x.regions_correct) / len(s),
                "seconds_per_film": statistics.mean(t for _, t in scores),
            }
            rows.append(row)
            print(
                f"| {name} | {row['films']} | {row['adult_f1']:.3f} | {row['child_f1']:.3f} | "
                f"{row['speech_f1']:.3f} | {row['turn_f1']:.3f} | {pooled:.1%} "
                f"(worst {row['worst_turn_count_error']:.0%}) | {truth} | "
                f"{row['moment_precision']:.2f} | {row['regions_correct']:.0%} |",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
