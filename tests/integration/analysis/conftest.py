"""Films for the analysis integration tests, generated once per test session."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from attunely.synth import FilmSpec, SynthFilm, generate_film


@pytest.fixture(scope="session")
def films(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., SynthFilm]:
    """films(**FilmSpec fields) -> a generated film, cached for the session."""
    folder = tmp_path_factory.mktemp("analysis-films")
    made: dict[FilmSpec, SynthFilm] = {}

    def make(**fields: object) -> SynthFilm:
        spec = FilmSpec(**fields)  # type: ignore[arg-type]
        if spec not in made:
            made[spec] = generate_film(folder / f"film-{len(made)}.mp4", spec)
        return made[spec]

    return make
