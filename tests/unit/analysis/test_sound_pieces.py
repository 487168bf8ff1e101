"""The sound pass a piece at a time: same answers as the whole soundtrack, bounded memory."""

from __future__ import annotations

import numpy as np
import pytest

from attunely.analysis.activity import detect_speech
from attunely.analysis.media import ArrayMedia
from attunely.analysis.segments import ADULT, CHILD
from attunely.analysis.sound import sound_pass
from attunely.analysis.soundtrack import pieces_of
from attunely.analysis.voice_type import AcousticVoiceTypeClassifier, frame_features
from attunely.errors import InvalidInput
from tests.unit.analysis.signals import SR, place, voice


def long_scene(total_s: float = 64.0) -> np.ndarray:
    pieces = []
    rng = np.random.default_rng(9)
    t, i = 0.7, 0
    while t < total_s - 3:
        child = i % 2 == 1
        secs = float(rng.uniform(0.6, 1.8))
        f0 = float(rng.uniform(330, 400) if child else rng.uniform(170, 220))
        pieces.append((t, voice(f0, secs, formant_hz=1300 if child else 700, seed=i)))
        t += secs + float(rng.uniform(0.4, 2.5))
        i += 1
    return place(total_s, pieces, noise=0.01)


def test_pieces_tile_the_track_with_context() -> None:
    track = np.arange(10 * SR, dtype=np.float32)
    # Blocks of awkward sizes, as a decoder delivers them.
    blocks = np.array_split(track, 37)
    pieces = list(pieces_of(blocks, piece_s=3.0, overlap_s=0.5))
    assert [p.own_start for p in pieces] == [0, 3 * SR, 6 * SR, 9 * SR]
    assert pieces[-1].own_end == track.size
    for p in pieces:
        assert np.array_equal(p.samples, track[p.offset : p.offset + p.samples.size])
        assert p.offset == max(0, p.own_start - SR // 2)
        assert p.offset + p.samples.size >= min(track.size, p.own_end + SR // 2)
    assert list(pieces_of([], piece_s=3.0)) == []
    (only,) = pieces_of([track[:100]], piece_s=3.0, overlap_s=0.5)
    assert (only.offset, only.own_start, only.own_end) == (0, 0, 100)
    with pytest.raises(InvalidInput):
        list(pieces_of(blocks, piece_s=0.0))


def test_piecewise_pass_matches_the_whole_track() -> None:
    track = long_scene()
    whole = detect_speech(track, method="energy")
    # Pieces much shorter than the real ones, so several edges fall inside the talk.
    found = sound_pass(pieces_of([track], piece_s=13.0, overlap_s=5.0), method="energy")
    assert found is not None and found.n_samples == track.size
    piecewise = found.activity
    assert piecewise.mask.shape == whole.mask.shape
    assert np.mean(piecewise.mask == whole.mask) >= 0.995
    assert len(piecewise.segments) == len(whole.segments) >= 20
    both = np.isfinite(whole.pitch.f0_hz) & np.isfinite(piecewise.pitch.f0_hz)
    assert np.allclose(whole.pitch.f0_hz[both], piecewise.pitch.f0_hz[both], rtol=0.02)
    # The voice labels from per-frame features agree with those from the whole track.
    by_samples = AcousticVoiceTypeClassifier().classify(samples=track, activity=whole)
    by_features = AcousticVoiceTypeClassifier().classify(
        activity=piecewise, features=found.features
    )
    assert [s.label for s in by_features] == [s.label for s in by_samples]
    assert {s.label for s in by_features} == {ADULT, CHILD}
    cep_whole = frame_features(track, whole).cepstra
    assert np.allclose(found.features.cepstra[whole.mask], cep_whole[whole.mask], atol=0.5)


def test_array_media_gives_pieces_and_classify_needs_input() -> None:
    media = ArrayMedia(audio=np.zeros(5 * SR, dtype=np.float32))
    (piece,) = media.audio_pieces(piece_s=300.0, overlap_s=30.0)
    assert piece.samples.size == 5 * SR
    assert list(ArrayMedia(frames=np.zeros((3, 8, 8), np.uint8)).audio_pieces()) == []
    assert sound_pass([], method="energy") is None
    with pytest.raises(InvalidInput):
        AcousticVoiceTypeClassifier().classify(activity=detect_speech(piece.samples))
