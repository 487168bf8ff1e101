"""`attunely analyse FILM --out DIR` end to end, on real files, including bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from attunely.cli import app
from attunely.synth import SynthFilm
from tests.integration.analysis.films import damage, write_plain_film

runner = CliRunner()


def analyse(film: Path, out: Path, *extra: str):
    return runner.invoke(app, ["analyse", str(film), "--out", str(out), "--quiet", *extra])


def load(out: Path) -> dict:
    return json.loads((out / "analysis.json").read_text())


def test_writes_the_four_outputs(films: Callable[..., SynthFilm], tmp_path: Path) -> None:
    film = films(duration_s=60.0, snr_db=15.0, seed=7)
    out = tmp_path / "out"
    result = analyse(film.path, out)
    assert result.exit_code == 0, result.output
    assert "moments proposed" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "analysis.json",
        "moments.vtt",
        "report.html",
        "speech.rttm",
    ]
    data = load(out)
    assert data["schema"] == "attunely.analysis" and data["version"] == 2
    assert data["film"]["name"] == film.path.name
    assert data["film"]["has_audio"] and data["film"]["has_video"]
    assert data["moments"], data["notes"]
    rttm = (out / "speech.rttm").read_text().splitlines()
    assert len(rttm) == len(data["speech"]["segments"]) > 0
    assert {line.split()[7] for line in rttm} == {"ADULT", "CHILD"}
    vtt = (out / "moments.vtt").read_text()
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == len(data["moments"])
    html = (out / "report.html").read_text()
    assert html.count("data:image/jpeg;base64,") == len(data["moments"])
    assert "<svg" in html and not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    # No half-written files are left behind.
    assert not list(out.glob(".*partial"))


def test_video_without_sound_is_analysed_for_movement(
    films: Callable[..., SynthFilm], tmp_path: Path
) -> None:
    film = films(duration_s=40.0, audio=False, seed=8)
    result = analyse(film.path, tmp_path / "out")
    assert result.exit_code == 0, result.output
    data = load(tmp_path / "out")
    assert not data["film"]["has_audio"]
    assert any("no audio track" in note for note in data["notes"])
    assert data["speech"]["segments"] == [] and data["turns"]["count"] == 0
    assert data["motion"]["adult"] and data["motion"]["child"]
    assert (tmp_path / "out" / "speech.rttm").read_text() == ""


def test_sound_without_picture_is_analysed_for_speech(
    films: Callable[..., SynthFilm], tmp_path: Path
) -> None:
    film = films(duration_s=40.0, video=False, snr_db=20.0, seed=9)
    result = analyse(film.path, tmp_path / "out")
    assert result.exit_code == 0, result.output
    data = load(tmp_path / "out")
    assert any("no video track" in note for note in data["notes"])
    assert data["speech"]["segments"] and data["motion"] is None
    assert "(no picture)" in (tmp_path / "out" / "report.html").read_text() or not data["moments"]


def test_silence_and_a_still_picture_give_no_moments_and_say_why(tmp_path: Path) -> None:
    film = write_plain_film(tmp_path / "quiet.mp4", seconds=20, audio=np.zeros(20 * 16_000))
    result = analyse(film, tmp_path / "out")
    assert result.exit_code == 0, result.output
    data = load(tmp_path / "out")
    assert data["moments"] == [] and data["speech"]["segments"] == []
    notes = " ".join(data["notes"])
    assert "no speech was found" in notes and "almost no movement" in notes
    assert "no moments were proposed" in notes


def test_a_very_short_film_still_gives_outputs(tmp_path: Path) -> None:
    tone = (0.2 * np.sin(2 * np.pi * 220 * np.arange(32_000) / 16_000)).astype(np.float32)
    film = write_plain_film(tmp_path / "short.mp4", seconds=2, audio=tone, moving=True)
    result = analyse(film, tmp_path / "out")
    assert result.exit_code == 0, result.output
    data = load(tmp_path / "out")
    assert data["film"]["duration_s"] == pytest.approx(2.0, abs=0.2)
    assert any("very short" in note for note in data["notes"])
    assert data["synchrony"] is None


def test_damaged_data_mid_file_is_skipped_and_reported(
    films: Callable[..., SynthFilm], tmp_path: Path
) -> None:
    film = films(duration_s=60.0, snr_db=15.0, seed=7)
    broken = damage(film.path, tmp_path / "broken.mp4")
    result = analyse(broken, tmp_path / "out")
    assert result.exit_code == 0, result.output
    data = load(tmp_path / "out")
    skipped = data["decode"]["skipped_video_packets"] + data["decode"]["skipped_audio_packets"]
    assert skipped > 0
    assert any("damaged data was skipped" in note for note in data["notes"])
    # The undamaged rest is still analysed.
    assert data["film"]["duration_s"] == pytest.approx(60.0, abs=1.0)
    assert len(data["speech"]["segments"]) >= 0.6 * len(film.speech)


def test_unsupported_or_missing_files_fail_clearly(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a film\n" * 100)
    result = analyse(text, tmp_path / "out")
    assert result.exit_code == 2
    assert "not a video or audio file" in result.output
    assert not (tmp_path / "out").exists()
    result = analyse(tmp_path / "missing.mp4", tmp_path / "out")
    assert result.exit_code == 2 and "does not exist" in result.output
    result = analyse(text, tmp_path / "out", "--moments-per-minute", "0")
    assert result.exit_code == 2 and "moments_per_minute" in result.output


def test_output_path_that_is_a_file_is_refused(
    films: Callable[..., SynthFilm], tmp_path: Path
) -> None:
    film = films(duration_s=40.0, audio=False, seed=8)
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    result = analyse(film.path, blocker)
    assert result.exit_code == 2 and "not a folder" in result.output
    assert blocker.read_text() == "x"


def test_regions_drawn_by_hand_replace_the_proposed_ones(
    films: Callable[..., SynthFilm], tmp_path: Path
) -> None:
    film = films(duration_s=40.0, audio=False, seed=8)
    result = analyse(
        film.path,
        tmp_path / "out",
        "--adult-region",
        "0,0,0.5,1",
        "--child-region",
        "0.5,0.2,0.5,0.8",
    )
    assert result.exit_code == 0, result.output
    data = load(tmp_path / "out")
    assert data["tracks"]["regions"] == {"adult": [0, 0, 0.5, 1], "child": [0.5, 0.2, 0.5, 0.8]}
    assert any("given by hand" in note for note in data["notes"])
    bad = analyse(film.path, tmp_path / "out2", "--adult-region", "0.8,0,0.5,1")
    assert bad.exit_code == 2 and "inside the frame" in bad.output
    bad = analyse(film.path, tmp_path / "out2", "--adult-region", "left")
    assert bad.exit_code == 2 and "four numbers" in bad.output
