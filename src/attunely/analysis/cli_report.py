"""`attunely analyse FILM --out DIR`: analyse a local film and write the four output files.

Works on any local video (or sound) file with no server or database. Heavy imports (numpy,
PyAV) happen inside the functions so that other `attunely` commands start quickly.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from attunely.errors import AttunelyError, InvalidInput

if TYPE_CHECKING:
    from attunely.analysis.motion import Box
    from attunely.analysis.pipeline import AnalysisOptions, AnalysisResult, Progress

OUTPUT_FILES = ("analysis.json", "speech.rttm", "moments.vtt", "report.html")
# Share of the progress bar given to each stage; sound and picture run side by side, so the
# bar shows their weighted sum (the picture is most of the work).
STAGES = {"sound": 0.15, "picture": 0.75, "moments": 0.03, "writing": 0.07}


def _write(path: Path, text: str) -> None:
    """Write via a sibling temporary file and rename, so no half-written output is left."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def run_analysis(
    film: Path,
    out: Path,
    *,
    options: AnalysisOptions | None = None,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Analyse `film` and write analysis.json, speech.rttm, moments.vtt and report.html.

    Raises
    ------
    InvalidInput
        The film cannot be read, or `out` is not a usable folder.
    """
    from attunely.analysis.media import open_media
    from attunely.analysis.outputs import rttm, to_json, webvtt
    from attunely.analysis.pipeline import analyse
    from attunely.analysis.report import render
    from attunely.analysis.stills import data_uri, encode_jpeg

    if out.exists() and not out.is_dir():
        raise InvalidInput(f"{out} exists and is not a folder", field="out")
    media = open_media(film)
    result = analyse(media, options=options, progress=progress)
    pictures = media.stills([m.still_s for m in result.moments], width=320)
    stills = [None if p is None else data_uri(encode_jpeg(p)) for p in pictures]
    if progress:
        progress("writing", 1.0)
    out.mkdir(parents=True, exist_ok=True)
    name = film.name
    _write(out / "analysis.json", json.dumps(to_json(result, film_name=name), indent=1))
    _write(out / "speech.rttm", rttm(result, film_name=name))
    _write(out / "moments.vtt", webvtt(result))
    _write(out / "report.html", render(result, film_name=name, stills=stills))
    return result


def parse_region(text: str | None, name: str) -> Box | None:
    """ "x,y,w,h" in fractions of the frame -> Box (None passes through)."""
    from attunely.analysis.motion import Box

    if text is None:
        return None
    try:
        x, y, w, h = (float(part) for part in text.split(","))
    except ValueError:
        raise InvalidInput(
            f"{name} must be four numbers x,y,w,h between 0 and 1", field=name
        ) from None
    return Box(x, y, w, h)


def analyse_command(
    film: Annotated[Path, typer.Argument(help="Video (or sound) file to analyse.")],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Folder for analysis.json, speech.rttm, moments.vtt, report.html."
        ),
    ],
    moments_per_minute: Annotated[
        float, typer.Option(help="About how many moments to propose per minute.")
    ] = 1.0,
    speech_method: Annotated[
        str, typer.Option(help="Speech detector: auto, energy, silero or combined.")
    ] = "auto",
    adult_region: Annotated[
        str | None,
        typer.Option(
            help="Adult's area as x,y,w,h fractions of the frame (0-1), e.g. 0.5,0,0.5,1."
        ),
    ] = None,
    child_region: Annotated[
        str | None, typer.Option(help="Child's area as x,y,w,h fractions of the frame.")
    ] = None,
    vision: Annotated[
        str,
        typer.Option(help="Faces, head turns and smiles: auto (when installed) or off."),
    ] = "auto",
    vision_fps: Annotated[
        float, typer.Option(help="Pictures per second given to the person detector.")
    ] = 0.25,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Propose serve-and-return moments in a local film (no server or database needed)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from attunely.analysis.media import open_media
    from attunely.analysis.pipeline import AnalysisOptions

    try:
        options = AnalysisOptions(
            speech_method=speech_method,
            moments_per_minute=moments_per_minute,
            adult_region=parse_region(adult_region, "adult_region"),
            child_region=parse_region(child_region, "child_region"),
            vision=vision,
            vision_fps=vision_fps,
        )
        options.check()
        # Refuse an unreadable file before any progress bar or output folder appears.
        open_media(film)
        with Progress(
            TextColumn("{task.description:<9}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeElapsedColumn(),
            disable=quiet,
            transient=False,
        ) as bar:
            task = bar.add_task("analysing", total=1.0)
            done = dict.fromkeys(STAGES, 0.0)

            def advance(stage: str, fraction: float) -> None:
                done[stage] = max(done.get(stage, 0.0), fraction)
                total = sum(STAGES.get(name, 0.0) * value for name, value in done.items())
                label = "analysing" if stage in ("sound", "picture") else stage
                bar.update(task, completed=min(1.0, total), description=label)

            result = run_analysis(film, out, options=options, progress=advance)
            bar.update(task, completed=1.0, description="done")
    except AttunelyError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    turns = sum(len(c.turns) for c in result.conversations)
    typer.echo(
        f"{len(result.moments)} moments proposed, {turns} turns, "
        f"{len(result.speech)} speech segments; wrote {', '.join(OUTPUT_FILES)} to {out}"
    )
