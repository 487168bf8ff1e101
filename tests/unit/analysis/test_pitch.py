import numpy as np
import pytest

from attunely.analysis.pitch import yin
from attunely.errors import InvalidInput
from tests.unit.analysis.signals import SR, tone, voice


@pytest.mark.parametrize("freq", [90.0, 150.0, 220.0, 330.0, 450.0, 600.0])
def test_pure_tone_pitch_is_found_within_one_percent(freq: float) -> None:
    track = yin(tone(freq, 1.0))
    assert track.voiced.mean() > 0.95
    assert np.nanmedian(track.f0_hz) == pytest.approx(freq, rel=0.01)


@pytest.mark.parametrize("f0", [120.0, 210.0, 380.0])
def test_harmonic_voice_gives_its_fundamental_not_a_harmonic(f0: float) -> None:
    # The formant sits near the 3rd-6th harmonic, which is where octave errors come from.
    track = yin(voice(f0, 1.0, formant_hz=900.0))
    assert np.nanmedian(track.f0_hz) == pytest.approx(f0, rel=0.03)


def test_noise_and_silence_are_unvoiced() -> None:
    noise = np.random.default_rng(0).normal(0, 0.1, SR).astype(np.float32)
    assert yin(noise).voiced.mean() < 0.05
    silence = np.zeros(SR, dtype=np.float32)
    track = yin(silence)
    assert not track.voiced.any()
    assert track.f0_hz.shape == (100,)


def test_only_requested_frames_are_analysed() -> None:
    frames = np.zeros(100, dtype=bool)
    frames[10:20] = True
    track = yin(tone(200.0, 1.0), frames=frames)
    assert track.voiced[10:20].all()
    assert not track.voiced[:10].any() and not track.voiced[20:].any()


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(InvalidInput):
        yin(tone(200.0, 0.5), fmin_hz=0)
    with pytest.raises(InvalidInput):
        yin(tone(200.0, 0.5), fmin_hz=300, fmax_hz=200)
    with pytest.raises(InvalidInput):
        yin(np.zeros((2, 100), dtype=np.float32))
    with pytest.raises(InvalidInput):
        yin(tone(200.0, 0.5), frames=np.ones(3, dtype=bool))
