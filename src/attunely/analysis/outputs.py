"""Writers for the analysis outputs: analysis.json (schema v2), RTTM and WebVTT.

The JSON schema is documented in docs/analysis.md; bump SCHEMA_VERSION on any change that
removes or renames a field, or changes what one holds (v2: `tracks.faces` and
`tracks.people` are filled by the person detector).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from attunely import __version__
from attunely.analysis.arrays import F32
from attunely.analysis.moments import STRENGTH_MEANING, Moment
from attunely.analysis.motion import Box
from attunely.analysis.people import PersonTrack
from attunely.analysis.pipeline import AnalysisResult, PeopleResult
from attunely.analysis.segments import ADULT, CHILD
from attunely.analysis.synchrony import Synchrony

SCHEMA = "attunely.analysis"
SCHEMA_VERSION = 2
TURN_CAVEAT = (
    "Turns are counted automatically by LENA's rule and are proposals, not measurements: "
    "LENA's own turn counts correlate only about r = .36 with human counts. Check them."
)


def _r(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


def _series(values: F32 | None) -> list[float] | None:
    if values is None:
        return None
    # Four decimals of a changed-pixel fraction is far below what frame differencing resolves.
    return [round(float(v), 4) for v in np.asarray(values)]


def _box(box: Box | None) -> list[float] | None:
    return None if box is None else box.as_list()


def track_json(track: PersonTrack, *, rate_hz: float) -> dict[str, Any]:
    """One person's samples as parallel lists (one entry per sampled picture)."""
    samples = track.samples
    step = 1.0 / rate_hz
    return {
        "times": [_r(s.time, 2) for s in samples],
        "face": [_box(s.face) for s in samples],
        "body": [_box(s.body) for s in samples],
        "yaw": [s.yaw for s in samples],
        "facing_other": [s.facing_other for s in samples],
        "smile": [s.smile for s in samples],
        "face_share": _r(track.share("face")),
        "body_share": _r(track.share("body")),
        "facing_other_share": _r(track.share("facing_other")),
        "facing_other_spans": [[_r(a), _r(b)] for a, b in track.spans("facing_other", step_s=step)],
        "smile_spans": [[_r(a), _r(b)] for a, b in track.spans("smile", step_s=step)],
    }


def faces_json(people: PeopleResult | None) -> dict[str, Any] | None:
    """Summary of the person detector's run (null when it did not run)."""
    if people is None:
        return None
    return {
        "detector": people.detector,
        "rate_hz": people.rate_hz,
        "sampled_pictures": people.sampled_pictures,
        "failed_pictures": people.failed_pictures,
        "with_face": {
            who: sum(1 for s in track.samples if s.face is not None)
            for who, track in people.tracks.items()
        },
        "yaw_meaning": "head turn in the picture: -1 towards its left, 0 facing the camera, "
        "1 towards its right; facing_other: turned towards the other person",
    }


def synchrony_json(sync: Synchrony | None) -> dict[str, Any] | None:
    """Return the `synchrony` section of analysis.json (None when it could not be measured)."""
    if sync is None:
        return None
    return {
        "method": "windowed lagged cross-correlation, Fisher z, segment-shuffled surrogates",
        "window_s": _r(sync.window_s),
        "max_lag_s": sync.max_lag_s,
        "surrogates": sync.surrogates,
        "mean_z": _r(sync.mean_z),
        "surrogate_mean_z": _r(sync.surrogate_mean_z),
        "threshold_z": _r(sync.threshold_z),
        "p_value": _r(sync.p_value, 4),
        "windows": [
            {
                "start": _r(w.start),
                "end": _r(w.end),
                "peak_r": _r(w.peak_r),
                "lag_s": _r(w.lag_s, 2),
                "z": _r(w.z),
                "above_chance": w.above_chance,
            }
            for w in sync.windows
        ],
    }


def moment_id(index: int) -> str:
    return f"m{index + 1:02d}"


def moment_json(index: int, moment: Moment) -> dict[str, Any]:
    return {
        "id": moment_id(index),
        "start": _r(moment.start),
        "end": _r(moment.end),
        "principle": moment.principle,
        "kind": moment.kind,
        "strength": moment.strength,
        "reasons": list(moment.reasons),
        "still_s": _r(moment.still_s),
        "evidence": moment.evidence,
    }


def to_json(result: AnalysisResult, *, film_name: str) -> dict[str, Any]:
    """The analysis as a JSON-ready dict (schema attunely.analysis v1)."""
    info = result.info
    options = result.options
    motion = result.motion
    sync = result.synchrony
    totals = {
        label: _r(sum(s.duration for s in result.speech if s.label == label), 2)
        for label in (ADULT, CHILD)
    }
    turns = [t for conv in result.conversations for t in conv.turns]
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "generator": {"name": "attunely", "version": __version__},
        "film": {
            "name": film_name,
            "duration_s": _r(result.duration_s),
            "has_audio": info.has_audio,
            "has_video": info.has_video,
            "width": info.width,
            "height": info.height,
            "fps": _r(info.fps),
            "audio_codec": info.audio_codec,
            "video_codec": info.video_codec,
        },
        "settings": {
            "speech_method": result.speech_method,
            "voice_type_classifier": result.classifier,
            "motion_fps": options.motion_fps,
            "motion_width": options.motion_width,
            "motion_rate_hz": options.motion_rate_hz,
            "moments_per_minute": options.moments_per_minute,
            "synchrony_window_s": options.synchrony_window_s,
            "synchrony_max_lag_s": options.synchrony_max_lag_s,
            "surrogates": options.surrogates,
            "seed": options.seed,
            "vision": options.vision,
            "vision_fps": options.vision_fps,
            "vision_width": options.vision_width,
        },
        "notes": list(result.notes),
        "decode": {
            "skipped_audio_packets": result.decode.skipped_audio_packets,
            "skipped_video_packets": result.decode.skipped_video_packets,
            "decoded_video_frames": result.decode.decoded_video_frames,
        },
        "speech": {
            "voice_model": result.voice_model,
            "totals_s": totals,
            "segments": [
                {
                    "start": _r(s.start),
                    "end": _r(s.end),
                    "speaker": s.label,
                    "confidence": _r(s.confidence),
                }
                for s in result.speech
            ],
        },
        "turns": {
            "rule": "LENA: adult-child vocalisations < 5 s apart, no other speaker between, "
            "counted in pairs (C-A = 1, C-A-C = 1, C-A-C-A = 2)",
            "caveat": TURN_CAVEAT,
            "count": len(turns),
            "initiated_by": {
                label: sum(1 for c in result.conversations if c.initiator == label)
                for label in (ADULT, CHILD)
            },
            "items": [
                {
                    "time": _r(t.time),
                    "initiator": t.initiator,
                    "latency_s": _r(t.latency_s, 2),
                    "first": {
                        "speaker": t.first.label,
                        "start": _r(t.first.start),
                        "end": _r(t.first.end),
                    },
                    "second": {
                        "speaker": t.second.label,
                        "start": _r(t.second.start),
                        "end": _r(t.second.end),
                    },
                    "conversation": t.conversation,
                }
                for t in turns
            ],
            "conversations": [
                {
                    "start": _r(c.start),
                    "end": _r(c.end),
                    "initiator": c.initiator,
                    "turns": len(c.turns),
                    "blocks": len(c.blocks),
                }
                for c in result.conversations
            ],
        },
        "tracks": {
            "method": "motion regions" if motion is not None else None,
            "faces": faces_json(result.people),
            "regions": {
                "adult": motion.adult_region.as_list() if motion and motion.adult_region else None,
                "child": motion.child_region.as_list() if motion and motion.child_region else None,
            },
            "regions_from": motion.regions_from if motion is not None else None,
            "people": None
            if result.people is None
            else {
                who.lower(): track_json(track, rate_hz=result.people.rate_hz)
                for who, track in result.people.tracks.items()
            },
        },
        "motion": None
        if motion is None
        else {
            "rate_hz": motion.rate_hz,
            "unit": "fraction of the region's pixels that changed",
            "sampled_frames": motion.sampled_frames,
            "adult": _series(motion.adult),
            "child": _series(motion.child),
            "bursts": {
                "adult": [[_r(a), _r(b), _r(p, 4)] for a, b, p in motion.adult_bursts],
                "child": [[_r(a), _r(b), _r(p, 4)] for a, b, p in motion.child_bursts],
            },
        },
        "synchrony": synchrony_json(sync),
        "moments": [moment_json(i, m) for i, m in enumerate(result.moments)],
        "strength_meaning": STRENGTH_MEANING,
        "timings_s": result.timings_s,
    }


def rttm(result: AnalysisResult, *, film_name: str) -> str:
    """RTTM lines: SPEAKER <file> 1 <onset> <duration> <NA> <NA> <ADULT|CHILD> <NA> <NA>."""
    # RTTM fields are space-separated, so the file id may not contain white space.
    file_id = re.sub(r"\s+", "_", film_name.rsplit(".", 1)[0]) or "film"
    return "".join(
        f"SPEAKER {file_id} 1 {s.start:.3f} {s.duration:.3f} <NA> <NA> {s.label} <NA> <NA>\n"
        for s in sorted(result.speech, key=lambda s: s.start)
    )


def vtt_time(seconds: float) -> str:
    millis = round(max(0.0, seconds) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def webvtt(result: AnalysisResult) -> str:
    """WebVTT cues, one per moment: principle, signal strength and reasons."""
    lines = ["WEBVTT", "", "NOTE Proposed moments; " + STRENGTH_MEANING + ".", ""]
    for index, m in enumerate(result.moments):
        # "-->" may not appear in cue text; reasons never contain it, but be safe.
        reasons = "; ".join(m.reasons).replace("-->", "->")
        lines += [
            moment_id(index),
            f"{vtt_time(m.start)} --> {vtt_time(m.end)}",
            f"{m.principle.capitalize()} (signal strength {m.strength:.2f})",
            reasons,
            "",
        ]
    return "\n".join(lines)
