"""Generate one synthetic film (MP4) and its truth (JSON), deterministically from a seed."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from attunely.analysis.arrays import HOP_S, SAMPLE_RATE, require_positive
from attunely.errors import InvalidInput
from attunely.synth.audio import add_noise, place_voices, reverberate
from attunely.synth.faces import scripted_looks
from attunely.synth.script import ADULT, CHILD, Episode, Script, write_script
from attunely.synth.truth import TruthSegment, TruthTurn, lena_turns, speech_segments
from attunely.synth.video import figures, render_frames
from attunely.synth.voices import ADULT_VOICES, CHILD_VOICES

TRUTH_VERSION = 1


@dataclass(frozen=True)
class FilmSpec:
    """What to generate.

    Attributes
    ----------
    seed : int
        Everything (voices, script, noise, picture) follows from it.
    duration_s : float
        Film length in seconds (at least 20).
    snr_db : float | None
        Active-speech to background-noise power ratio in dB; None = clean.
    reverb : bool
        Pass the voices through a living-room reverberation.
    width, height, fps : int
        Picture size and rate (height a multiple of 4).
    preset : str
        libx264 preset: "ultrafast" for tests, "veryfast" for phone-like files.
    audio, video : bool
        Leave either track out (bad-input tests).
    faces : bool
        Draw faces on the figures' heads that turn to each other and smile as scripted
        (truth under "looks"); detectors find them at 640x360 and above.
    """

    seed: int = 1
    duration_s: float = 60.0
    snr_db: float | None = 20.0
    reverb: bool = False
    width: int = 320
    height: int = 240
    fps: int = 15
    preset: str = "ultrafast"
    audio: bool = True
    video: bool = True
    faces: bool = False


@dataclass
class SynthFilm:
    """A generated film and everything known about it."""

    path: Path
    truth_path: Path
    spec: FilmSpec
    speech: list[TruthSegment]
    turns: list[TruthTurn]
    episodes: list[Episode]
    script: Script = field(repr=False)
    rois: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)
    looks: dict[str, dict[str, list[tuple[float, float]]]] | None = None

    def frame_labels(self, n_frames: int) -> dict[str, npt.NDArray[Any]]:
        """Per 10 ms frame: is ADULT (resp. CHILD) speaking? (n_frames,) bool each."""
        labels = {ADULT: np.zeros(n_frames, dtype=bool), CHILD: np.zeros(n_frames, dtype=bool)}
        for seg in self.speech:
            labels[seg.speaker][round(seg.start / HOP_S) : round(seg.end / HOP_S)] = True
        return labels

    def to_json(self) -> dict[str, Any]:
        return {
            "version": TRUTH_VERSION,
            "spec": asdict(self.spec),
            "duration_s": self.spec.duration_s,
            "speech": [asdict(s) for s in self.speech],
            "turns": [asdict(t) for t in self.turns],
            "turn_count": len(self.turns),
            "episodes": [asdict(e) for e in self.episodes],
            "motion_bursts": [asdict(b) for b in self.script.bursts],
            "utterances": [
                {
                    "speaker": u.speaker,
                    "start": u.start,
                    "end": u.end,
                    "text": u.text,
                    "kind": u.kind,
                }
                for u in self.script.utterances
            ],
            "rois": {k: list(v) for k, v in self.rois.items()},
            "looks": self.looks,
        }


def _check(spec: FilmSpec) -> None:
    require_positive("duration_s", spec.duration_s)
    if spec.duration_s < 20:
        raise InvalidInput("duration_s must be at least 20 s to script an interaction")
    if spec.width % 4 or spec.height % 4 or spec.width < 64 or spec.height < 64:
        raise InvalidInput("width and height must be multiples of 4, at least 64")
    require_positive("fps", spec.fps)
    if not (spec.audio or spec.video):
        raise InvalidInput("a film needs audio, video or both")


def generate_film(path: Path, spec: FilmSpec | None = None) -> SynthFilm:
    """Write a synthetic film to `path` (MP4) and its truth to `path` + ".truth.json".

    Returns
    -------
    SynthFilm with truth speech segments, LENA turns, scripted episodes and figure regions.
    """
    spec = spec or FilmSpec()
    _check(spec)
    rng = np.random.default_rng(spec.seed)
    adult_voice = ADULT_VOICES[int(rng.integers(len(ADULT_VOICES)))]
    child_voice = CHILD_VOICES[int(rng.integers(len(CHILD_VOICES)))]
    script = write_script(rng=rng, duration_s=spec.duration_s, adult=adult_voice, child=child_voice)
    speech = speech_segments(script)
    turns = lena_turns(speech)
    adult_left = bool(rng.random() < 0.5)
    adult_fig, child_fig = figures(adult_left=adult_left)
    rois = {
        ADULT: adult_fig.box(spec.width, spec.height),
        CHILD: child_fig.box(spec.width, spec.height),
    }

    soundtrack = place_voices(script)
    if spec.reverb:
        soundtrack = reverberate(soundtrack)
    soundtrack = add_noise(
        soundtrack, rng=np.random.default_rng(spec.seed + 1), snr_db=spec.snr_db, segments=speech
    )
    looks = (
        scripted_looks(
            [(b.who, b.start, b.end, b.kind) for b in script.bursts], duration_s=spec.duration_s
        )
        if spec.faces
        else None
    )
    _write_mp4(path, spec, script, soundtrack, adult_left, looks)
    film = SynthFilm(
        path=path,
        truth_path=path.with_name(path.name + ".truth.json"),
        spec=spec,
        speech=speech,
        turns=turns,
        episodes=script.episodes,
        script=script,
        rois=rois,
        looks=looks,
    )
    film.truth_path.write_text(json.dumps(film.to_json(), indent=1))
    return film


def _write_mp4(
    path: Path,
    spec: FilmSpec,
    script: Script,
    soundtrack: npt.NDArray[Any],
    adult_left: bool,
    looks: dict[str, dict[str, list[tuple[float, float]]]] | None,
) -> None:
    with av.open(str(path), mode="w") as container:
        vstream = None
        if spec.video:
            vstream = container.add_stream("libx264", rate=Fraction(spec.fps))
            vstream.width, vstream.height = spec.width, spec.height
            vstream.pix_fmt = "yuv420p"
            vstream.options = {"preset": spec.preset, "crf": "23", "g": str(spec.fps * 2)}
        astream = None
        if spec.audio:
            astream = container.add_stream("aac", rate=48_000)
            astream.layout = "mono"
        # Audio goes in one-second pieces between video frames, keeping the file interleaved.
        chunk = SAMPLE_RATE
        next_audio = 0

        def mux_audio(until_sample: int) -> None:
            nonlocal next_audio
            if astream is None:
                return
            while next_audio < min(until_sample, soundtrack.size):
                piece = soundtrack[next_audio : next_audio + chunk].astype(np.float32)
                frame = av.AudioFrame.from_ndarray(piece[None, :], format="flt", layout="mono")
                frame.sample_rate = SAMPLE_RATE
                frame.pts = next_audio
                frame.time_base = Fraction(1, SAMPLE_RATE)
                container.mux(astream.encode(frame))
                next_audio += piece.size

        if vstream is not None:
            frames = render_frames(
                rng=np.random.default_rng(spec.seed + 2),
                bursts=script.bursts,
                duration_s=spec.duration_s,
                width=spec.width,
                height=spec.height,
                fps=spec.fps,
                adult_left=adult_left,
                looks=looks,
            )
            for i, planes in enumerate(frames):
                frame = av.VideoFrame.from_ndarray(planes, format="yuv420p")
                frame.pts = i
                container.mux(vstream.encode(frame))
                mux_audio(round((i + 1) / spec.fps * SAMPLE_RATE) + chunk)
            container.mux(vstream.encode(None))
        mux_audio(soundtrack.size)
        if astream is not None:
            container.mux(astream.encode(None))
