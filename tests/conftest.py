"""Shared fixtures. Reference data come from ../shared/data (see its README); tests that
need it skip with the reason when it is absent (a user's fresh clone)."""

from __future__ import annotations

from pathlib import Path

import pytest

import planning

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
LIECHTENSTEIN = SHARED / "osm" / "liechtenstein"
SANHE = SHARED / "osm" / "sanhe"


def shared_file(*parts: str) -> Path:
    """A file of ../shared/data, or skip the test saying what is missing."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"reference data {path} is absent (it ships beside the repository in CI, not in a clone)")
    return path


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    """Never read or write the user's travel-time cache; no progress bars in test logs."""
    old = planning.settings.cache_folder, planning.settings.progress
    planning.settings.cache_folder = tmp_path_factory.mktemp("cache")
    planning.settings.progress = False
    yield
    planning.settings.cache_folder, planning.settings.progress = old


@pytest.fixture(autouse=True, scope="session")
def _every_result_checked():
    """Every result any test evaluates is checked against the invariants of tests/invariants.py."""
    import planning.evaluate as evaluation

    from .invariants import check_result

    make = evaluation._result

    def checked(*args, **kwargs):
        result = make(*args, **kwargs)
        check_result(result)
        return result

    evaluation._result = checked
    yield
    evaluation._result = make


@pytest.fixture
def app():
    """The app's script (AppTest) after its first run (tests/helpers.py ``started_app``)."""
    from .helpers import started_app

    return started_app()


@pytest.fixture(scope="session")
def demo() -> planning.Project:
    return planning.demo()


@pytest.fixture(scope="session")
def liechtenstein() -> planning.Project:
    return planning.from_osm(shared_file("osm", "liechtenstein", "liechtenstein-2015.osm.pbf"))
