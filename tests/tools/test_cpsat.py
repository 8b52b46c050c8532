"""Tests of the shared CP-SAT solve settings."""

import pytest
from ortools.sat.python import cp_model

from tools.cpsat import solve


def test_solves_to_optimal_and_reads_values():
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    model.add(x >= 3)
    model.minimize(x)
    solver, status = solve(model, 1.0, "tiny model")
    assert status == "OPTIMAL" and solver.value(x) == 3


def test_infeasible_model_raises_with_its_name():
    model = cp_model.CpModel()
    x = model.new_int_var(0, 1, "x")
    model.add(x >= 2)
    with pytest.raises(RuntimeError, match="tiny model not solved: INFEASIBLE"):
        solve(model, 1.0, "tiny model")
