"""The bundled person detector (mediapipe) on drawn faces, and in the whole analysis."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from attunely.analysis.detectors import MediapipeDetector, default_detector
from attunely.analysis.media import ArrayMedia
from attunely.analysis.pipeline import AnalysisOptions, analyse
from attunely.analysis.segments import ADULT, CHILD
from attunely.analysis.vision import SMILE_LIFT
from attunely.cli import app
from attunely.synth import SynthFilm
from attunely.synth.faces import draw_face

WALL = (150, 170, 190)


@pytest.fixture(scope="module")
def detector() -> Iterator[MediapipeDetector]:
    found = default_detector()
    assert found is not None, "the 'vision' extra (mediapipe) must be installed for the tests"
    yield found
    found.close()


def picture(*faces: dict[str, float | bool], width: int = 480, height: int = 270) -> np.ndarray:
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = WALL
    for spec in faces:
        draw_face(image, **spec)  # type: ignore[arg-type]
    return image


def test_finds_drawn_faces_with_their_turn_and_smile(detector: MediapipeDetector) -> None:
    image = picture(
        {"cx": 140, "cy": 110, "size": 40, "yaw": 0.6, "smile": True},
        {"cx": 350, "cy": 150, "size": 32, "yaw": -0.6, "smile": False},
    )
    found = sorted(detector.detect(image=image).faces, key=lambda f: f.box.x)
    assert len(found) == 2
    left, right = found
    assert left.box.x < 140 / 480 < left.box.x + left.box.w
    assert right.box.x < 350 / 480 < right.box.x + right.box.w
    assert left.yaw is not None and left.yaw > 0.25
    assert right.yaw is not None and right.yaw < -0.25
    assert left.smile is not None and left.smile >= SMILE_LIFT
    assert right.smile is not None and right.smile < SMILE_LIFT
    assert left.smiling and not right.smiling


def test_facing_the_camera_and_an_empty_room(detector: MediapipeDetector) -> None:
    (front,) = detector.detect(image=picture({"cx": 240, "cy": 130, "size": 45})).faces
    assert front.yaw is not None and abs(front.yaw) < 0.25
    assert 0.5 <= front.score <= 1.0
    empty = detector.detect(image=picture())
    assert empty.faces == () and all(0 <= b.score <= 1 for b in empty.bodies)
    with pytest.raises(Exception, match="RGB"):
        detector.detect(image=np.zeros((10, 10), dtype=np.uint8))


def test_analysis_tracks_drawn_people(detector: MediapipeDetector) -> None:
    n, height, width = 200, 270, 480
    colour = np.empty((n, height, width, 3), dtype=np.uint8)
    for i in range(n):
        t = i / 10
        # The adult (left, larger) turns to the child for 5 s of every 10 and smiles at times.
        colour[i] = picture(
            {
                "cx": 140 + 6 * np.sin(3 * t),
                "cy": 100,
                "size": 40,
                "yaw": 0.6 if t % 10 < 5 else 0.0,
                "smile": t % 8 < 3,
            },
            {"cx": 350 + 8 * np.sin(5 * t), "cy": 160, "size": 30, "yaw": -0.6},
        )
    grey = colour.mean(axis=3).astype(np.uint8)
    media = ArrayMedia(frames=grey, colour=colour, fps=10)
    result = analyse(media, options=AnalysisOptions(vision_fps=1.0), detector=detector)
    assert result.motion is not None and result.motion.regions_from == "detections"
    assert result.people is not None and result.people.sampled_pictures == 20
    adult, child = result.people.tracks[ADULT], result.people.tracks[CHILD]
    assert adult.share("face") >= 0.9 and child.share("face") >= 0.9
    # Larger face on the left is the adult (no speech to tell otherwise).
    assert adult.samples[0].face is not None and adult.samples[0].face.x < 0.4
    facing = [s.facing_other for s in adult.samples]
    assert facing[:5] == [True] * 5 and facing[5:10] == [False] * 5
    assert child.share("facing_other") >= 0.9
    assert 0.2 <= adult.share("smile") <= 0.6 and child.share("smile") == 0.0


def test_film_without_faces_still_analyses_sound_and_movement(
    films: Callable[..., SynthFilm], tmp_path: Path
) -> None:
    film = films(duration_s=60.0, snr_db=15.0, seed=7)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["analyse", str(film.path), "--out", str(out), "--quiet", "--vision-fps", "1"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "analysis.json").read_text())
    assert data["version"] == 2
    faces = data["tracks"]["faces"]
    assert faces["detector"].startswith("mediapipe") and faces["rate_hz"] == 1.0
    assert 55 <= faces["sampled_pictures"] <= 61
    people = data["tracks"]["people"]
    for who in ("adult", "child"):
        track = people[who]
        assert len(track["times"]) == faces["sampled_pictures"]
        assert len(track["face"]) == len(track["yaw"]) == len(track["smile"]) == len(track["times"])
    # The drawn figures have no faces: none found, and the rest of the analysis is intact.
    assert faces["with_face"] == {ADULT: 0, CHILD: 0}
    assert any("no face was found" in n for n in data["notes"])
    assert data["speech"]["segments"] and data["turns"]["count"] > 0 and data["moments"]
    assert data["motion"]["adult"] and data["motion"]["child"]
    assert "Adult facing" in (out / "report.html").read_text()

    off = tmp_path / "off"
    result = CliRunner().invoke(
        app, ["analyse", str(film.path), "--out", str(off), "--quiet", "--vision", "off"]
    )
    assert result.exit_code == 0, result.output
    plain = json.loads((off / "analysis.json").read_text())
    assert plain["tracks"]["faces"] is None and plain["tracks"]["people"] is None
    assert plain["turns"]["count"] == data["turns"]["count"]


def agreement(
    track_times: list[float], found: list[bool | None], spans: list[list[float]]
) -> tuple[float, int, int]:
    """(accuracy, true samples found, true samples) of per-sample flags against true spans,
    samples within 0.5 s of a span's edge left out."""
    hits = total = true_total = true_hits = 0
    for t, flag in zip(track_times, found, strict=True):
        if any(a - 0.5 <= t <= a + 0.5 or b - 0.5 <= t <= b + 0.5 for a, b in spans):
            continue
        truth = any(a < t < b for a, b in spans)
        total += 1
        hits += int(bool(flag) == truth)
        if truth:
            true_total += 1
            true_hits += int(bool(flag))
    return hits / max(total, 1), true_hits, true_total


def test_generated_film_with_faces_head_turns_and_smiles(
    films: Callable[..., SynthFilm], tmp_path: Path
) -> None:
    film = films(duration_s=60.0, snr_db=15.0, seed=7, width=640, height=360, faces=True)
    assert film.looks is not None
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["analyse", str(film.path), "--out", str(out), "--quiet", "--vision-fps", "1"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "analysis.json").read_text())
    assert data["tracks"]["regions_from"] == "detections"
    truth = json.loads(film.truth_path.read_text())["looks"]
    smiles_found = smiles_true = 0
    for who in ("adult", "child"):
        track = data["tracks"]["people"][who]
        assert track["face_share"] >= 0.9, who
        # The regions are on the right figures: each person's faces sit in the truth's area.
        x, _, w, _ = film.rois[who.upper()]
        faces = [f for f in track["face"] if f is not None]
        assert all(x <= f[0] + f[2] / 2 <= x + w for f in faces), who
        facing = truth[who.upper()]["facing"]
        accuracy, found, true = agreement(track["times"], track["facing_other"], facing)
        assert accuracy >= 0.9 and found >= 0.75 * true, (who, accuracy, found, true)
        smiling = truth[who.upper()]["smiling"]
        accuracy, found, true = agreement(track["times"], track["smile"], smiling)
        assert accuracy >= 0.9, (who, accuracy)
        smiles_found, smiles_true = smiles_found + found, smiles_true + true
    assert smiles_true >= 1 and smiles_found >= 0.5 * smiles_true
    html = (out / "report.html").read_text()
    assert "smile at" in html and "turned towards the other" in html
