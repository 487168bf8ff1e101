"""Voices from espeak-ng, shaped with sox: adults at their natural pitch, children raised.

A child's voice differs from an adult's in pitch *and* in formants (a shorter vocal tract).
sox's `pitch` effect shifts both together, so a raised, faster espeak-ng voice passed through
`pitch +N cents` is a fair stand-in: F0 around 300-500 Hz and formants ~30 % higher.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from attunely.analysis.arrays import F32, SAMPLE_RATE
from attunely.errors import ConfigurationError

ESPEAK = "espeak-ng"
SOX = "sox"


@dataclass(frozen=True)
class Voice:
    """How one speaker sounds.

    Attributes
    ----------
    espeak_voice : str
        espeak-ng voice and variant, e.g. "en-us+f3".
    pitch : int
        espeak-ng base pitch, 0-99.
    speed : int
        Words per minute.
    shift_cents : int
        sox pitch shift applied afterwards (moves F0 and formants together).
    """

    espeak_voice: str
    pitch: int
    speed: int
    shift_cents: int = 0


ADULT_VOICES = (
    Voice("en-us+f1", 45, 150),
    Voice("en-us+f2", 40, 155),
    Voice("en-us+f3", 35, 150),
    Voice("en-us+f5", 40, 145),
    Voice("en-us+m1", 55, 150),
    Voice("en-us+m3", 45, 155),
)
CHILD_VOICES = (
    Voice("en-us+f5", 70, 175, 500),
    Voice("en-us+Annie", 65, 170, 450),
    Voice("en-us+f3", 75, 180, 550),
    Voice("en-us+linda", 60, 170, 500),
)

ADULT_PHRASES = (
    "oh look you found the ball",
    "is that the red one",
    "yes that is right",
    "what have you got there",
    "shall we build a tower",
    "you did it",
    "where did the duck go",
    "there it is",
    "clever you",
    "do you want some more",
    "I can see you",
    "that is a big smile",
    "let us put it in the box",
    "one two three",
    "are you telling me a story",
    "is it a bus",
    "round and round the garden",
    "you are so busy",
    "wow look at that",
    "oh dear it fell down",
    "shall we read the book",
    "you like that one",
    "I am listening",
    "is that funny",
)
ADULT_ASIDES = (
    "I need to put the kettle on in a minute",
    "the post came early today",
    "we should tidy this room later",
    "I wonder what time it is",
    "my phone keeps buzzing",
)
CHILD_SYLLABLES = ("ba", "da", "ma", "ga", "goo", "ah", "ee", "oh", "wa", "bah", "dah", "mm")
CHILD_WORDS = ("ball", "more", "uh oh", "mama", "dada", "duck", "gone", "up")


def _require_tools() -> None:
    missing = [tool for tool in (ESPEAK, SOX) if shutil.which(tool) is None]
    if missing:
        raise ConfigurationError(
            f"the film generator needs {' and '.join(missing)} "
            "(Debian packages espeak-ng and sox; `make system-deps` installs them)"
        )


@lru_cache(maxsize=2048)
def _render(text: str, voice: Voice, pitch: int) -> bytes:
    _require_tools()
    # Our own argument lists, no shell; the text is passed as one argument (S603 is moot).
    wav = subprocess.run(  # noqa: S603
        [
            *(ESPEAK, "-v", voice.espeak_voice, "-p", str(pitch), "-s", str(voice.speed)),
            *("--stdout", "--", text),
        ],
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    effects = ["pitch", str(voice.shift_cents)] if voice.shift_cents else []
    raw: bytes = subprocess.run(  # noqa: S603
        [SOX, "-t", "wav", "-", "-t", "f32", "-c", "1", "-r", str(SAMPLE_RATE), "-", *effects],
        input=wav,
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    return raw


def speak(text: str, *, voice: Voice, pitch_offset: int = 0) -> F32:
    """Render `text` in `voice` at 16 kHz, trimmed to its audible extent.

    Parameters
    ----------
    text : str
        What to say (espeak-ng reads it as English).
    voice : Voice
    pitch_offset : int
        Added to the voice's espeak-ng pitch (clipped to 0-99), for variety.

    Returns
    -------
    (n,) float32 in [-1, 1], peak-normalised to 0.5.
    """
    pitch = int(np.clip(voice.pitch + pitch_offset, 0, 99))
    samples = np.frombuffer(_render(text, voice, pitch), dtype=np.float32)
    # Trim silence espeak-ng pads around an utterance so placements mean what they say.
    loud = np.flatnonzero(np.abs(samples) > 1e-3)
    if loud.size == 0:
        return np.zeros(0, dtype=np.float32)
    clip = samples[loud[0] : loud[-1] + 1]
    # A fixed peak keeps levels comparable; the script applies its own gain afterwards.
    peak = float(np.max(np.abs(clip)))
    return (clip * (0.5 / peak)).astype(np.float32)


def babble(rng: np.random.Generator) -> str:
    """A child's vocalisation: 1-4 babbled syllables or, sometimes, an early word."""
    if rng.random() < 0.2:
        return str(rng.choice(CHILD_WORDS))
    count = int(rng.integers(1, 5))
    syllable = rng.choice(CHILD_SYLLABLES)
    # Reduplicated babble ("ba ba ba") is typical; mix in a second syllable half the time.
    parts = [syllable if rng.random() < 0.5 else rng.choice(CHILD_SYLLABLES) for _ in range(count)]
    return " ".join(str(p) for p in parts)
