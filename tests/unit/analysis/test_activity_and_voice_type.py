import numpy as np
import pytest

from attunely.analysis.activity import detect_speech, hysteresis, noise_floor
from attunely.analysis.segments import ADULT, CHILD
from attunely.analysis.voice_type import (
    AcousticVoiceTypeClassifier,
    fit_voice_model,
    viterbi_two_state,
)
from attunely.errors import InvalidInput
from tests.unit.analysis.signals import SR, place, voice

# (start s, f0 Hz, seconds, label): adult voices near 190 Hz, child voices near 380 Hz
# with a higher formant, as a shorter vocal tract gives.
SCRIPT = [
    (1.0, 190, 1.5, ADULT),
    (4.0, 380, 1.0, CHILD),
    (6.5, 200, 2.0, ADULT),
    (10.0, 350, 0.8, CHILD),
    (12.0, 180, 1.2, ADULT),
    (15.0, 400, 1.0, CHILD),
]


def scene(noise: float = 0.01) -> np.ndarray:
    pieces = [
        (start, voice(f0, secs, formant_hz=1300 if label == CHILD else 700, seed=i))
        for i, (start, f0, secs, label) in enumerate(SCRIPT)
    ]
    return place(20.0, pieces, noise=noise)


@pytest.mark.parametrize("noise", [0.003, 0.02])
def test_speech_segments_are_found_where_the_voices_are(noise: float) -> None:
    activity = detect_speech(scene(noise), method="energy")
    assert len(activity.segments) == len(SCRIPT)
    for seg, (start, _, secs, _) in zip(activity.segments, SCRIPT, strict=True):
        assert seg.start == pytest.approx(start, abs=0.06)
        assert seg.end == pytest.approx(start + secs, abs=0.06)
    assert activity.mask.shape == (20 * 100,)


def test_silence_and_steady_noise_hold_no_speech() -> None:
    assert detect_speech(np.zeros(5 * SR, dtype=np.float32)).segments == []
    noise = np.random.default_rng(2).normal(0, 0.05, 10 * SR).astype(np.float32)
    assert detect_speech(noise, method="energy").segments == []


def test_short_clicks_without_voice_are_not_speech() -> None:
    rng = np.random.default_rng(3)
    clicks = [
        (t, (rng.normal(0, 0.3, 1600) * np.exp(-np.arange(1600) / 300)).astype(np.float32))
        for t in (2.0, 5.0, 8.0)
    ]
    track = place(10.0, clicks, noise=0.002)
    assert detect_speech(track, method="energy").segments == []


def test_voice_type_labels_each_voice() -> None:
    track = scene()
    activity = detect_speech(track, method="energy")
    classifier = AcousticVoiceTypeClassifier()
    labelled = classifier.classify(samples=track, activity=activity)
    assert [s.label for s in labelled] == [label for *_, label in SCRIPT]
    assert classifier.model is not None and classifier.model.adapted
    adult_hz, child_hz = classifier.model.pitch_hz
    assert 170 < adult_hz < 215 and 330 < child_hz < 420
    assert all(0.5 <= s.confidence <= 1.0 for s in labelled)


def test_a_film_with_one_voice_type_is_not_split_in_two() -> None:
    # Only adults at 170-230 Hz (some raised, as in infant-directed speech): the priors keep
    # the child's voice where children speak instead of carving the adult's voice in two.
    rng = np.random.default_rng(4)
    log_f0 = np.log2(rng.uniform(170, 230, 2000))
    model = fit_voice_model(log_f0)
    assert model.pitch_hz[1] > 330
    assert (model.log_ratio(log_f0) < 0).mean() > 0.99


def test_an_adaptation_that_fails_the_sanity_checks_keeps_the_priors() -> None:
    rng = np.random.default_rng(6)
    log_f0 = np.log2(np.concatenate((rng.uniform(180, 200, 3000), rng.uniform(340, 380, 3000))))
    adapted = fit_voice_model(log_f0)
    assert adapted.adapted
    # Demand voices two octaves apart: these are not, so the typical values come back.
    strict = fit_voice_model(log_f0, min_octaves_apart=2.0)
    assert not strict.adapted
    assert strict.pitch_hz == pytest.approx((190.0, 370.0))


def test_viterbi_pays_for_switches() -> None:
    evidence = np.array([-1.0] * 20 + [2.0] * 3 + [-1.0] * 20)
    assert viterbi_two_state(evidence, switch_cost=12.0).max() == 0
    assert viterbi_two_state(evidence, switch_cost=1.0)[20:23].tolist() == [1, 1, 1]
    flip = np.array([-1.0] * 20 + [1.0] * 20)
    path = viterbi_two_state(flip, switch_cost=5.0)
    assert path[:20].max() == 0 and path[20:].min() == 1


def test_hysteresis_and_noise_floor() -> None:
    score = np.array([0.1, 0.35, 0.7, 0.4, 0.2, 0.4, 0.45, 0.1], dtype=np.float32)
    assert hysteresis(score, high=0.6, low=0.3).tolist() == [
        False,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    rng = np.random.default_rng(5)
    # Bands summing 1 and 12 FFT bins of pure noise with mean power 2: the bias-corrected
    # low percentile must land on the mean, not on the (much lower) percentile itself.
    one = rng.exponential(2.0, size=6000)
    twelve = rng.exponential(2.0, size=(6000, 8)).sum(axis=1) / 8  # 12 bins ~ 8 independent
    bands = np.stack((one, twelve), axis=1).astype(np.float32)
    floor = noise_floor(bands, bins=np.array([1.0, 12.0], dtype=np.float32))
    assert floor[:, 0].mean() == pytest.approx(2.0, rel=0.1)
    assert floor[:, 1].mean() == pytest.approx(2.0, rel=0.1)


def test_bad_parameters_are_refused() -> None:
    track = scene()
    with pytest.raises(InvalidInput):
        detect_speech(track, method="magic")
    with pytest.raises(InvalidInput):
        detect_speech(track, high=0.3, low=0.5)
    with pytest.raises(InvalidInput):
        detect_speech(np.zeros((2, 10), dtype=np.float32))
