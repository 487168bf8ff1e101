"""The pipeline on arrays, and the files written from its result."""

import json
import re

import av
import numpy as np
import pytest

from attunely.analysis.evaluate import count_error, event_agreement, frame_agreement
from attunely.analysis.media import ArrayMedia
from attunely.analysis.outputs import SCHEMA, SCHEMA_VERSION, rttm, to_json, vtt_time, webvtt
from attunely.analysis.pipeline import AnalysisOptions, analyse
from attunely.analysis.report import render
from attunely.analysis.stills import data_uri, encode_jpeg
from attunely.errors import InvalidInput
from tests.unit.analysis.signals import place, voice


@pytest.fixture(scope="module")
def result():
    # Child (380 Hz) then adult (190 Hz) replies, three times, over 40 s of sound + picture.
    pieces = []
    for k, t in enumerate((3.0, 15.0, 27.0)):
        pieces.append((t, voice(380, 0.8, formant_hz=1300, seed=2 * k)))
        pieces.append((t + 1.5, voice(190, 1.5, formant_hz=700, seed=2 * k + 1)))
    audio = place(40.0, pieces, noise=0.005)
    frames = np.full((400, 72, 128), 80, dtype=np.uint8)
    for i in range(400):
        frames[i, 20:50, 15 + 4 * (i % 2) : 40 + 4 * (i % 2)] = 200  # steady mover, left
        if (i // 10) % 12 in (3, 4):
            frames[i, 35:60, 90 + 5 * (i % 2) : 110 + 5 * (i % 2)] = 220  # bursts, right
    media = ArrayMedia(audio=audio, frames=frames, fps=10.0)
    return analyse(media, options=AnalysisOptions(speech_method="energy", surrogates=19))


def test_pipeline_finds_the_scripted_replies(result) -> None:
    labels = [s.label for s in result.speech]
    assert labels == ["CHILD", "ADULT"] * 3
    assert sum(len(c.turns) for c in result.conversations) == 3
    assert result.moments and all(m.principle for m in result.moments)
    assert result.motion is not None and result.motion.adult is not None
    assert result.duration_s == pytest.approx(40.0, abs=0.2)


def test_json_follows_the_documented_schema(result) -> None:
    data = json.loads(json.dumps(to_json(result, film_name="family film.mp4")))
    assert data["schema"] == SCHEMA and data["version"] == SCHEMA_VERSION
    assert set(data) >= {
        "film",
        "settings",
        "notes",
        "decode",
        "speech",
        "turns",
        "tracks",
        "motion",
        "synchrony",
        "moments",
        "strength_meaning",
    }
    assert data["film"]["name"] == "family film.mp4"
    assert data["turns"]["count"] == 3 and len(data["turns"]["items"]) == 3
    assert data["turns"]["items"][0]["initiator"] == "CHILD"
    assert "r = .36" in data["turns"]["caveat"]
    assert {s["speaker"] for s in data["speech"]["segments"]} == {"ADULT", "CHILD"}
    moment = data["moments"][0]
    assert moment["id"] == "m01" and moment["reasons"] and 0 <= moment["strength"] <= 1
    assert len(data["motion"]["adult"]) == pytest.approx(400, abs=2)


def test_rttm_lines(result) -> None:
    lines = rttm(result, film_name="family film.mp4").splitlines()
    assert len(lines) == 6
    pattern = re.compile(
        r"^SPEAKER family_film 1 \d+\.\d{3} \d+\.\d{3} <NA> <NA> (ADULT|CHILD) <NA> <NA>$"
    )
    assert all(pattern.match(line) for line in lines)
    onsets = [float(line.split()[3]) for line in lines]
    assert onsets == sorted(onsets) and onsets[0] == pytest.approx(3.0, abs=0.1)


def test_webvtt_cues(result) -> None:
    text = webvtt(result)
    assert text.startswith("WEBVTT\n")
    cues = re.findall(r"^(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})$", text, re.M)
    assert len(cues) == len(result.moments)
    assert vtt_time(3725.5) == "01:02:05.500"


def test_report_is_self_contained(result) -> None:
    still = data_uri(encode_jpeg(np.zeros((48, 64, 3), dtype=np.uint8)))
    html = render(result, film_name="<b>film</b>.mp4", stills=[still] * len(result.moments))
    assert "<svg" in html and "data:image/jpeg;base64," in html
    assert "&lt;b&gt;film&lt;/b&gt;.mp4" in html and "<b>film</b>" not in html
    # Nothing is fetched from anywhere: no external sources, links or scripts.
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert "<script" not in html


def test_jpeg_stills_decode_back() -> None:
    picture = np.zeros((60, 80, 3), dtype=np.uint8)
    picture[:, :40] = (255, 0, 0)
    data = encode_jpeg(picture)
    assert data[:2] == b"\xff\xd8"
    codec = av.CodecContext.create("mjpeg", "r")
    (frame,) = codec.decode(av.Packet(data))
    back = frame.to_ndarray(format="rgb24")
    assert back.shape == (60, 80, 3)
    assert back[:, :30, 0].mean() > 200 and back[:, 50:, 0].mean() < 40
    with pytest.raises(InvalidInput):
        encode_jpeg(np.zeros((10, 10), dtype=np.uint8))


def test_agreement_measures() -> None:
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=bool)
    pred = np.array([0, 1, 1, 1, 1, 0, 0, 0], dtype=bool)
    ag = frame_agreement(truth=truth, predicted=pred)
    assert (ag.precision, ag.recall, ag.f1) == (0.75, 0.75, 0.75)
    events = event_agreement(truth_times=[10.0, 20.0, 30.0], predicted_times=[10.4, 21.5, 29.2])
    assert events.true_positive == 2 and events.false_positive == 1
    assert count_error(truth=20, predicted=19) == pytest.approx(0.05)
    with pytest.raises(InvalidInput):
        frame_agreement(truth=truth, predicted=pred[:-1])
