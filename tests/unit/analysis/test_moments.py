import itertools
import re

import numpy as np
import pytest

from attunely.analysis.moments import (
    ATTENTIVE,
    DEVELOPING,
    ENCOURAGING,
    RECEIVING,
    Moment,
    MotionContext,
    candidates,
    clock,
    select,
)
from attunely.analysis.segments import ADULT, CHILD, Segment
from attunely.analysis.turns import conversations
from attunely.errors import InvalidInput

C, A = CHILD, ADULT
# Words that would judge, rank or score a person; proposals describe signals instead.
JUDGING = re.compile(
    r"\b(good|bad|poor|better|worse|best|worst|score|risk|fail|failed|should|must|"
    r"neglect|sensitive|insensitive|quality)\b",
    re.IGNORECASE,
)


def segs(*items: tuple[str, float, float]) -> list[Segment]:
    return [Segment(s, e, label) for label, s, e in items]


def found_for(speech: list[Segment], motion: MotionContext | None = None) -> list[Moment]:
    return candidates(
        conversations=conversations(speech),
        speech=speech,
        motion=motion,
        sync=None,
        duration_s=300.0,
    )


def test_child_initiative_with_quick_reply_is_receiving_with_reasons() -> None:
    (moment,) = found_for(segs((C, 123.0, 124.0), (A, 124.8, 126.0)))
    assert moment.principle == RECEIVING
    assert moment.reasons[0] == "child vocalised at 02:03.0; adult replied 0.8 s later"
    assert moment.start == pytest.approx(122.0) and moment.end == pytest.approx(127.0)
    assert moment.still_s == pytest.approx(124.8)
    assert 0 < moment.strength <= 1


def test_several_turns_make_a_developing_episode() -> None:
    speech = segs((C, 10, 11), (A, 11.5, 13), (C, 13.6, 14.4), (A, 15, 16), (C, 16.5, 17))
    kinds = {m.principle: m for m in found_for(speech)}
    episode = kinds[DEVELOPING]
    assert episode.evidence["turns"] == 2
    assert episode.reasons[0].startswith("2 turns back and forth")
    assert "started by the child at 00:10.0" in episode.reasons[0]
    assert episode.strength > kinds[RECEIVING].strength


def test_adult_pause_then_child_is_encouraging() -> None:
    moments = found_for(segs((A, 30, 31.5), (C, 33.5, 34.2), (A, 34.8, 36)))
    encouraging = [m for m in moments if m.principle == ENCOURAGING]
    assert len(encouraging) == 1
    assert "left a 2.0 s pause" in encouraging[0].reasons[0]


def test_movement_initiative_answered_is_attentive_and_unanswered_is_not() -> None:
    motion = MotionContext(
        rate_hz=10.0,
        child=None,
        adult=None,
        child_bursts=[(50.0, 51.0, 0.2), (90.0, 91.0, 0.2)],
        adult_bursts=[(50.9, 52.0, 0.1)],
    )
    moments = found_for(segs((A, 51.5, 52.5)), motion)
    attentive = [m for m in moments if m.principle == ATTENTIVE]
    assert len(attentive) == 1
    assert attentive[0].reasons[0].startswith("the child moved at 00:50.0")
    assert any("adult moved 0.9 s later" in r for r in attentive[0].reasons)


def test_slow_or_absent_replies_are_not_proposed() -> None:
    assert found_for(segs((C, 10, 11), (A, 14.5, 15))) == []  # 3.5 s: past max_reply_s
    assert found_for(segs((C, 10, 11), (C, 20, 21), (A, 40, 41))) == []


def test_wording_describes_signals_and_never_judges() -> None:
    speech = segs(
        (C, 10, 11), (A, 11.5, 13), (C, 13.6, 14.4), (A, 15, 16), (A, 30, 31.5), (C, 33.5, 34.2)
    )
    for moment in found_for(speech):
        for text in (*moment.reasons, moment.principle):
            assert not JUDGING.search(text), text


def fake(start: float, strength: float) -> Moment:
    return Moment(start, start + 4, strength, RECEIVING, "vocal_initiative", ("r",), start + 1)


def test_selection_spreads_moments_and_never_overlaps() -> None:
    # Strong candidates crowd the first minute; weaker ones sit later in the film.
    crowd = [fake(5 + 3 * k, 0.9) for k in range(15)]
    later = [fake(t, 0.4) for t in (130.0, 250.0, 400.0, 520.0)]
    chosen = select(crowd + later, duration_s=600.0, per_minute=1.0)
    assert len(chosen) <= 10
    assert [m.start for m in chosen] == sorted(m.start for m in chosen)
    for a, b in itertools.pairwise(chosen):
        assert a.end <= b.start
    assert any(m.start > 100 for m in chosen)  # later stretches get their turn


def test_selection_picks_about_one_per_minute() -> None:
    spread = [fake(10 + 20 * k, 0.5 + 0.01 * k) for k in range(29)]
    assert len(select(spread, duration_s=600.0)) == 10
    assert len(select(spread, duration_s=600.0, per_minute=0.5)) == 5


def test_selection_shows_a_range_of_principles() -> None:
    # Slightly clearer movement moments everywhere, vocal ones close behind: not all ten
    # places go to one pattern.
    movement = [
        Moment(
            10 + 60 * k, 14 + 60 * k, 0.75, ATTENTIVE, "movement_initiative", ("r",), 11 + 60 * k
        )
        for k in range(10)
    ]
    vocal = [fake(40 + 60 * k, 0.7) for k in range(10)]
    chosen = select(movement + vocal, duration_s=600.0)
    principles = [m.principle for m in chosen]
    assert len(chosen) == 10
    assert 3 <= principles.count(RECEIVING) <= 7


def test_clock_and_bad_parameters() -> None:
    assert clock(133.4) == "02:13.4"
    assert clock(3725.0) == "1:02:05.0"
    with pytest.raises(InvalidInput):
        select([], duration_s=0)
    with pytest.raises(InvalidInput):
        candidates(conversations=[], speech=[], motion=None, sync=None, duration_s=10, pad_s=-1)
    assert np.isfinite(fake(1, 0.5).strength)
