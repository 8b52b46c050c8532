"""The eval harness shared by the eval tests: the seeded twin, the models trained once, the offline chat model."""

from pathlib import Path

import pytest

from evals.runner import Harness
from twin.settings import Settings


@pytest.fixture(scope="session")
def harness(databases, trained_dir: Path, tmp_path_factory) -> Harness:
    """One harness for the test run, on a copy of the seed-7 reference network."""
    seeded = Path(databases.seeded("sqlite").removeprefix("sqlite:///"))
    return Harness(Settings(data_dir=trained_dir, llm="offline"), seeded, tmp_path_factory.mktemp("eval"))
