import numpy as np
import pytest

from attunely.analysis.motion import (
    Box,
    assign_people,
    bursts,
    motion_grid,
    propose_regions,
    region_series,
    resample,
)
from attunely.errors import InvalidInput


def scene(n: int = 200, *, left_moves: list[range], right_moves: list[range]) -> np.ndarray:
    """Grey 90x160 frames: a square on each side that jiggles during its given frames."""
    rng = np.random.default_rng(0)
    frames = np.full((n, 90, 160), 90, dtype=np.uint8)
    frames += rng.integers(0, 3, size=frames.shape, dtype=np.uint8)  # camera grain
    for i in range(n):
        dl = 6 * (i % 2) if any(i in r for r in left_moves) else 0
        dr = 6 * (i % 2) if any(i in r for r in right_moves) else 0
        frames[i, 20 + dl : 60 + dl, 20:50] = 200  # left person, taller
        frames[i, 45 + dr : 70 + dr, 110:135] = 230  # right person
    return frames


def grid_of(frames: np.ndarray, fps: float = 10.0):
    return motion_grid(((i / fps, f) for i, f in enumerate(frames)), cols=16, threshold=10)


def test_motion_is_counted_where_and_when_things_move() -> None:
    frames = scene(left_moves=[range(20, 60)], right_moves=[range(100, 140)])
    grid = grid_of(frames)
    assert grid.energy.shape == (199, 9, 16)
    left = region_series(grid, Box(0.0, 0.0, 0.5, 1.0))
    right = region_series(grid, Box(0.5, 0.0, 0.5, 1.0))
    # Grain under the threshold counts as nothing; moving squares count.
    assert left[:15].max() == 0 and right[:90].max() == 0
    assert left[25:55].min() > 0.02 and right[105:135].min() > 0.02
    assert left[105:135].max() == 0


def test_two_movers_give_two_regions_on_their_sides() -> None:
    frames = scene(left_moves=[range(10, 80)], right_moves=[range(100, 180)])
    proposal = propose_regions(grid_of(frames))
    assert len(proposal.regions) == 2
    left, right = proposal.regions
    assert left.x + left.w <= 0.56 and right.x >= 0.44
    assert left.x <= 20 / 160 and left.x + left.w >= 50 / 160


def test_a_still_picture_proposes_nothing() -> None:
    frames = scene(left_moves=[], right_moves=[])
    proposal = propose_regions(grid_of(frames))
    assert proposal.regions == ()
    assert proposal.notes


def test_the_region_that_moves_with_the_adults_voice_is_the_adults() -> None:
    n = 600
    adult_talk = np.zeros(n, dtype=np.float32)
    child_talk = np.zeros(n, dtype=np.float32)
    adult_talk[50:100] = adult_talk[300:360] = 1
    child_talk[150:190] = child_talk[450:500] = 1
    right = adult_talk * 0.05 + 0.005
    left = child_talk * 0.05 + 0.005
    boxes = [Box(0, 0, 0.4, 0.5), Box(0.6, 0, 0.4, 0.9)]
    index, reason = assign_people(
        [left, right], adult_talk=adult_talk, child_talk=child_talk, boxes=boxes
    )
    assert index == 1 and "voice" in reason
    # With no speech, the larger region is taken to be the adult's.
    silent = np.zeros(n, dtype=np.float32)
    index, reason = assign_people([left, right], adult_talk=silent, child_talk=silent, boxes=boxes)
    assert index == 1 and "larger" in reason


def test_bursts_and_resampling() -> None:
    series = np.full(300, 0.01, dtype=np.float32)
    series[100:130] = 0.2
    found = bursts(series, rate_hz=10.0)
    assert len(found) == 1
    assert found[0][0] == pytest.approx(10.0, abs=0.4) and found[0][1] == pytest.approx(
        13.0, abs=0.4
    )
    times = np.array([0.0, 0.1, 0.2, 3.0, 3.1])
    values = np.array([1, 1, 1, 1, 1], dtype=np.float32)
    regular = resample(times, values, rate_hz=10.0, duration_s=3.2)
    assert regular.shape == (32,)
    # The 2.8 s hole in the samples is not filled with invented movement.
    assert regular[5:28].max() == 0 and regular[0] == 1


def test_bad_regions_and_frames_are_refused() -> None:
    with pytest.raises(InvalidInput):
        Box(0.5, 0.0, 0.6, 0.5)
    with pytest.raises(InvalidInput):
        Box(0.0, 0.0, 0.0, 0.5)
    with pytest.raises(InvalidInput):
        motion_grid([(0.0, np.zeros((4, 4, 3), dtype=np.uint8))])


def test_luma_is_shrunk_straight_from_the_decoded_plane() -> None:
    import av

    from attunely.analysis.media import shrink_luma

    rng = np.random.default_rng(1)
    cells = rng.integers(16, 235, size=(9, 16), dtype=np.uint8)
    luma = np.kron(cells, np.ones((8, 8), dtype=np.uint8))  # 72 x 128, constant 8x8 cells
    chroma = np.full((36, 128), 128, dtype=np.uint8)  # U then V planes, 36 x 64 each
    frame = av.VideoFrame.from_ndarray(np.concatenate((luma, chroma)), format="yuv420p")
    assert np.array_equal(shrink_luma(frame, factor=8), cells)
    assert np.array_equal(shrink_luma(frame, factor=1), luma)
    # A factor that does not divide the size drops the partial cells at the edges.
    assert shrink_luma(frame, factor=5).shape == (14, 25)
