"""Runs side by side in worker processes give what they give alone, in the order asked, with every day reported."""

import pytest

from simulation.batch import RunSpec, costliest_first, run_batch
from twin.settings import Settings


@pytest.mark.slow
def test_runs_in_two_processes_equal_the_same_runs_one_after_the_other(trained_dir, seeded_twins):
    settings = Settings(data_dir=trained_dir)
    specs = [RunSpec(policy="rules", seed=7, days=1, cooldown=1), RunSpec(policy="none", seed=11, days=2)]
    reported: list[tuple[int, str]] = []
    together = run_batch(
        settings, specs, jobs=2, on_day=lambda index, kpis: reported.append((index, str(kpis.day))), twins=seeded_twins
    )
    alone = run_batch(settings, specs, jobs=1, twins=seeded_twins)
    assert [(run.policy, run.seed) for run in together] == [("rules", 7), ("none", 11)]
    assert [run.days for run in together] == [run.days for run in alone]
    assert [run.totals for run in together] == [run.totals for run in alone]
    assert sorted(index for index, _ in reported) == [0, 0, 1, 1]  # every day of every run, as it finished


def test_the_costliest_runs_start_first():
    specs = [
        RunSpec(policy="none", seed=7, days=28),
        RunSpec(policy="desk", seed=7, days=7),
        RunSpec(policy="rules", seed=7, days=28),
        RunSpec(policy="desk", seed=11, days=28),
    ]
    assert costliest_first(specs) == [3, 1, 2, 0]
