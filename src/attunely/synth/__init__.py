"""Synthetic films with known truth, for tests and benchmarks.

A scripted adult and child (espeak-ng voices shaped with sox), background noise at a chosen
signal-to-noise ratio, optional room reverberation, and a simple picture of two moving figures,
written as an MP4 next to a truth JSON. Everything is deterministic from a seed and offline.
"""

from attunely.synth.film import FilmSpec, SynthFilm, generate_film

__all__ = ["FilmSpec", "SynthFilm", "generate_film"]
