"""LENA's turn rule on scripted segment lists, including its own pair-counting examples."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attunely.analysis.segments import ADULT, CHILD, OTHER, Segment
from attunely.analysis.turns import all_turns, conversations
from attunely.errors import InvalidInput
from attunely.synth.truth import TruthSegment, lena_turns


def script(*items: tuple[str, float, float]) -> list[Segment]:
    return [Segment(start, end, label) for label, start, end in items]


def count(segments: list[Segment]) -> int:
    return len(all_turns(conversations(segments)))


C, A = CHILD, ADULT


def test_lena_pair_counting_examples() -> None:
    # C-A = 1, C-A-C = 1, C-A-C-A = 2 (LENA counts pairs, not alternations).
    assert count(script((C, 0, 1), (A, 2, 3))) == 1
    assert count(script((C, 0, 1), (A, 2, 3), (C, 4, 5))) == 1
    assert count(script((C, 0, 1), (A, 2, 3), (C, 4, 5), (A, 6, 7))) == 2
    assert count(script((C, 0, 1), (A, 2, 3), (C, 4, 5), (A, 6, 7), (C, 8, 9))) == 2


def test_a_pause_of_five_seconds_ends_the_conversation() -> None:
    # 4.9 s apart still answers; 5.0 s does not.
    assert count(script((C, 0, 1), (A, 5.9, 7))) == 1
    assert count(script((C, 0, 1), (A, 6.0, 7))) == 0
    two = conversations(script((C, 0, 1), (A, 2, 3), (C, 10, 11), (A, 12, 13)))
    assert [len(c.turns) for c in two] == [1, 1]


def test_same_speaker_talk_joins_into_one_block() -> None:
    found = conversations(script((C, 0, 1), (C, 2, 3), (A, 4, 5)))
    assert len(found) == 1
    assert len(found[0].blocks) == 2
    assert found[0].turns[0].first.start == 0 and found[0].turns[0].first.end == 3


def test_another_speaker_between_breaks_the_chain() -> None:
    assert count(script((C, 0, 1), (OTHER, 1.5, 2), (A, 2.5, 3))) == 0


def test_initiator_and_latency() -> None:
    (conv,) = conversations(script((A, 0, 1.5), (C, 2.3, 3), (A, 3.2, 4)))
    (turn,) = conv.turns
    assert conv.initiator == ADULT and turn.initiator == ADULT
    assert turn.latency_s == pytest.approx(0.8)
    assert turn.time == pytest.approx(2.3)
    overlap = all_turns(conversations(script((C, 0, 2), (A, 1.8, 3))))[0]
    assert overlap.latency_s == pytest.approx(-0.2)


def test_lone_speaker_gives_no_turns() -> None:
    assert conversations(script((A, 0, 1), (A, 2, 3), (A, 4, 5))) == []
    assert conversations([]) == []


def test_bad_segments_and_parameters_are_refused() -> None:
    with pytest.raises(InvalidInput):
        Segment(2.0, 1.0, ADULT)
    with pytest.raises(InvalidInput):
        Segment(0.0, 1.0, "PARENT")
    with pytest.raises(InvalidInput):
        conversations([], max_gap_s=0)


segment_lists = st.lists(
    st.tuples(
        st.sampled_from([ADULT, CHILD]),
        st.floats(0.05, 4.0),  # pause before
        st.floats(0.1, 3.0),  # duration
    ),
    max_size=25,
)


@settings(max_examples=200, deadline=None)
@given(segment_lists)
def test_matches_the_generators_independent_implementation(items: list) -> None:
    # Pauses around the 5 s boundary are avoided by the generator; here they occur freely.
    t = 0.0
    segments = []
    for label, pause, duration in items:
        t += pause * 2
        segments.append(Segment(t, t + duration, label))
        t += duration
    ours = all_turns(conversations(segments))
    theirs = lena_turns([TruthSegment(s.label, s.start, s.end) for s in segments])
    assert [(round(x.time, 6), x.initiator) for x in ours] == [
        (round(x.time, 6), x.initiator) for x in theirs
    ]
