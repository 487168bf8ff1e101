"""The scene script: who says what when, who moves when, and which stretches are interactions.

The script is built event by event on a time cursor. Events are serve-and-return exchanges
started by the child, adult-initiated exchanges where the adult leaves a pause for the child,
movement-only child initiatives that the adult answers, a child babbling alone, an adult
talking without the child (non-contingent speech) and quiet stretches.

Pauses between events are kept at least 0.5 s away from LENA's 5 s rule, so that the truth
does not hinge on a few milliseconds of boundary placement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from attunely.analysis.arrays import F32, SAMPLE_RATE
from attunely.synth.voices import ADULT_ASIDES, ADULT_PHRASES, Voice, babble, speak

ADULT = "ADULT"
CHILD = "CHILD"


@dataclass(frozen=True)
class Utterance:
    """One scripted vocalisation placed on the timeline (seconds from the film's start)."""

    speaker: str
    start: float
    text: str
    samples: F32
    kind: str

    @property
    def end(self) -> float:
        return self.start + self.samples.size / SAMPLE_RATE


@dataclass(frozen=True)
class Burst:
    """A stretch of movement by one figure; amplitude is a fraction of the figure's size."""

    who: str
    start: float
    end: float
    amplitude: float
    kind: str


@dataclass(frozen=True)
class Episode:
    """A scripted interaction that a good analysis should propose as a moment."""

    kind: str
    start: float
    end: float
    initiator: str


@dataclass
class Script:
    duration_s: float
    utterances: list[Utterance] = field(default_factory=list)
    bursts: list[Burst] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)


def _gap(rng: np.random.Generator, *, solo: bool) -> float:
    """A pause between events: short (joins a conversation) or long (ends one)."""
    if solo or rng.random() < 0.25:
        return float(rng.uniform(6.0, 9.0))
    return float(rng.uniform(1.0, 4.0))


class _Writer:
    def __init__(
        self, rng: np.random.Generator, duration_s: float, adult: Voice, child: Voice
    ) -> None:
        self.rng = rng
        self.script = Script(duration_s)
        self.adult = adult
        self.child = child

    def say(self, speaker: str, start: float, kind: str) -> Utterance:
        rng = self.rng
        if speaker == ADULT:
            pool = ADULT_ASIDES if kind == "aside" else ADULT_PHRASES
            text = str(rng.choice(pool))
            # Infant-directed speech is often higher-pitched: lift some adult utterances.
            offset = int(rng.integers(10, 30)) if rng.random() < 0.3 else int(rng.integers(-8, 8))
            samples = speak(text, voice=self.adult, pitch_offset=offset)
        else:
            text = babble(rng)
            samples = speak(text, voice=self.child, pitch_offset=int(rng.integers(-10, 15)))
        # Levels vary by +-4 dB between utterances, as voices do in a room.
        gain = float(10 ** (rng.uniform(-4, 4) / 20))
        utterance = Utterance(speaker, start, text, (samples * gain).astype(np.float32), kind)
        self.script.utterances.append(utterance)
        if speaker == ADULT:
            # Adults gesture a little while they talk.
            self.move(ADULT, start, utterance.end, 0.25, "gesture")
        return utterance

    def move(self, who: str, start: float, end: float, amplitude: float, kind: str) -> None:
        self.script.bursts.append(Burst(who, start, end, amplitude, kind))

    def exchange(self, t: float) -> float:
        """Child initiates; the adult answers; sometimes they go on taking turns."""
        rng = self.rng
        blocks = int(rng.choice([2, 2, 3, 4, 4, 5, 6]))
        start = t
        speaker = CHILD
        for index in range(blocks):
            if speaker == CHILD:
                lead = float(rng.uniform(0.2, 0.6))
                self.move(
                    CHILD, max(0.0, t - lead), t + float(rng.uniform(0.8, 1.6)), 0.9, "initiative"
                )
            else:
                self.move(ADULT, t, t + float(rng.uniform(0.8, 1.5)), 0.6, "response")
            said = self.say(speaker, t, "initiative" if index == 0 else "turn")
            t = said.end
            # Sometimes the same speaker says a second thing before the other replies.
            if rng.random() < 0.15:
                said = self.say(speaker, t + float(rng.uniform(0.6, 1.2)), "turn")
                t = said.end
            t += float(rng.uniform(0.3, 1.8))
            speaker = ADULT if speaker == CHILD else CHILD
        end = t
        self.script.episodes.append(Episode("exchange", start, end, CHILD))
        return end

    def adult_initiated(self, t: float) -> float:
        """The adult says something, waits, the child answers, and the adult often replies."""
        rng = self.rng
        start = t
        said = self.say(ADULT, t, "invitation")
        t = said.end + float(rng.uniform(1.0, 3.0))
        self.move(CHILD, t - 0.3, t + 1.0, 0.8, "initiative")
        said = self.say(CHILD, t, "turn")
        t = said.end
        if rng.random() < 0.6:
            t += float(rng.uniform(0.3, 1.5))
            self.move(ADULT, t, t + 1.0, 0.6, "response")
            t = self.say(ADULT, t, "turn").end
        self.script.episodes.append(Episode("adult_initiated", start, t, ADULT))
        return t

    def movement_initiative(self, t: float) -> float:
        """The child reaches out without a sound; the adult answers with a move and words."""
        rng = self.rng
        start = t
        self.move(CHILD, t, t + float(rng.uniform(1.0, 2.0)), 1.0, "initiative")
        t += float(rng.uniform(0.5, 1.5))
        self.move(ADULT, t, t + float(rng.uniform(1.0, 1.8)), 0.7, "response")
        t = self.say(ADULT, t + 0.2, "response").end
        self.script.episodes.append(Episode("movement_initiative", start, t, CHILD))
        return t

    def child_solo(self, t: float) -> float:
        """The child babbles to themself; nobody answers within 5 s."""
        rng = self.rng
        for _ in range(int(rng.integers(1, 4))):
            self.move(CHILD, t, t + 0.8, 0.4, "play")
            t = self.say(CHILD, t, "solo").end + float(rng.uniform(0.7, 1.5))
        return t

    def adult_solo(self, t: float) -> float:
        """The adult talks about something else, not in reply to the child."""
        rng = self.rng
        for _ in range(int(rng.integers(1, 3))):
            t = self.say(ADULT, t, "aside").end + float(rng.uniform(0.7, 1.5))
        return t


def write_script(
    *, rng: np.random.Generator, duration_s: float, adult: Voice, child: Voice
) -> Script:
    """Script a scene of `duration_s` seconds.

    Returns
    -------
    Script whose utterances never run past duration_s - 0.5.
    """
    writer = _Writer(rng, duration_s, adult, child)
    kinds = ("exchange", "adult_initiated", "movement", "child_solo", "adult_solo", "quiet")
    weights = np.array([0.45, 0.17, 0.1, 0.08, 0.1, 0.1])
    t = float(rng.uniform(0.5, 2.0))
    # Each event needs room; stop before one could spill over the end of the film.
    while t < duration_s - 10.0:
        kind = str(rng.choice(kinds, p=weights / weights.sum()))
        solo = kind in ("child_solo", "adult_solo")
        if solo and t > 1.0:
            t += 6.0  # stand clear of the previous event so nobody "answers" the solo
        if kind == "exchange":
            t = writer.exchange(t)
        elif kind == "adult_initiated":
            t = writer.adult_initiated(t)
        elif kind == "movement":
            t = writer.movement_initiative(t)
        elif kind == "child_solo":
            t = writer.child_solo(t)
        elif kind == "adult_solo":
            t = writer.adult_solo(t)
        else:
            t += float(rng.uniform(3.0, 8.0))
        t += _gap(rng, solo=solo)
    # Idle play movements that answer nothing, so motion is not only ever interaction.
    for _ in range(int(duration_s // 20)):
        start = float(rng.uniform(0, max(0.0, duration_s - 2)))
        writer.move(CHILD, start, start + float(rng.uniform(0.5, 1.2)), 0.35, "play")
    # A long last exchange may run past the end: cut what the film cannot hold.
    script = writer.script
    limit = duration_s - 0.5
    script.utterances = [u for u in script.utterances if u.end <= limit]
    script.bursts = [b for b in script.bursts if b.end <= limit]
    script.episodes = [e for e in script.episodes if e.end <= limit]
    return script
