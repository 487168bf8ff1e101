import numpy as np
import pytest

from attunely.analysis.synchrony import synchrony
from attunely.errors import InvalidInput

RATE = 10.0


def movement(n: int, seed: int) -> np.ndarray:
    """Bursty, smoothed, non-negative movement like a motion-energy series."""
    rng = np.random.default_rng(seed)
    raw = np.abs(rng.normal(size=n)) * (rng.random(n) < 0.1)
    return np.convolve(raw, np.ones(8) / 8, "same").astype(np.float32)


def test_lagged_copy_is_found_with_its_lag_and_above_chance() -> None:
    child = movement(3000, 1)
    lag = 12  # the adult follows 1.2 s later
    adult = np.roll(child, lag) + 0.05 * movement(3000, 2)
    result = synchrony(child, adult.astype(np.float32), rate_hz=RATE, surrogates=99, seed=3)
    assert result is not None
    assert all(w.lag_s == pytest.approx(1.2, abs=0.11) for w in result.windows)
    assert result.mean_z > result.surrogate_mean_z + 0.5
    assert result.p_value <= 0.02
    assert sum(w.above_chance for w in result.windows) >= 0.9 * len(result.windows)


def test_leading_series_gives_a_negative_lag() -> None:
    adult = movement(3000, 4)
    child = np.roll(adult, 20).astype(np.float32)  # the child follows by 2 s
    result = synchrony(child, adult, rate_hz=RATE, surrogates=49)
    assert result is not None
    assert np.median([w.lag_s for w in result.windows]) == pytest.approx(-2.0, abs=0.11)


def test_unrelated_movers_are_not_above_chance() -> None:
    result = synchrony(movement(3000, 5), movement(3000, 6), rate_hz=RATE, surrogates=99)
    assert result is not None
    assert result.p_value > 0.05
    assert sum(w.above_chance for w in result.windows) < 0.3 * len(result.windows)


def test_short_or_still_series_give_none() -> None:
    assert synchrony(movement(150, 1), movement(150, 2), rate_hz=RATE) is None
    still = np.zeros(3000, dtype=np.float32)
    assert synchrony(movement(3000, 1), still, rate_hz=RATE) is None


def test_fisher_z_is_the_arctanh_of_the_peak() -> None:
    child = movement(1200, 7)
    result = synchrony(child, child.copy(), rate_hz=RATE, surrogates=19)
    assert result is not None
    for w in result.windows:
        assert w.z == pytest.approx(np.arctanh(min(w.peak_r, 0.999)), abs=1e-6)


def test_bad_parameters_are_refused() -> None:
    a = movement(600, 1)
    with pytest.raises(InvalidInput):
        synchrony(a, a[:-1], rate_hz=RATE)
    with pytest.raises(InvalidInput):
        synchrony(a, a, rate_hz=0)
    with pytest.raises(InvalidInput):
        synchrony(a, a, rate_hz=RATE, surrogates=5)
