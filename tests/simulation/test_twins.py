"""Seeded twins: built once per seed, every copy the seed's twin as built, whatever earlier runs did to theirs."""

from pathlib import Path

import pytest

from simulation.twins import DATABASE, SeededTwins
from tools.knowledge import KnowledgeBase, open_client
from twin import store
from twin.db import make_engine, session_scope
from twin.settings import Settings


def _step_and_hash(folder: Path, twins: SeededTwins) -> tuple[str, str]:
    """Copy seed 7's twin into the folder, let one day happen on the copy: its content hash before and after."""
    folder.mkdir()
    stepper = twins.copy_into(7, folder)
    engine = make_engine(f"sqlite:///{folder / DATABASE}")
    with session_scope(engine) as session:
        before = store.content_hash(session)
        stepper.step(session)
    with session_scope(engine) as session:
        after = store.content_hash(session)
    engine.dispose()
    return before, after


@pytest.mark.slow  # a whole twin generated (unless another test of the run has): not the quick loop
def test_a_copy_is_the_seeds_twin_whatever_the_run_before_did_to_its_own(seeded_twins, tmp_path):
    first = _step_and_hash(tmp_path / "first", seeded_twins)
    built = (seeded_twins.folder / "seed-7" / DATABASE).stat().st_mtime_ns
    second = _step_and_hash(tmp_path / "second", seeded_twins)
    assert first[0] != first[1]  # the day changed the first copy
    assert second == first  # the same twin again, and a fresh stepper that makes the same day happen
    assert (seeded_twins.folder / "seed-7" / DATABASE).stat().st_mtime_ns == built  # built once
    knowledge = KnowledgeBase(open_client(Settings(data_dir=tmp_path / "second")))
    assert knowledge.procedures.count() > 0  # the procedures come indexed with the copy
