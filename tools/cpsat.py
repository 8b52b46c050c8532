"""CP-SAT solving with the settings the assignment and scheduling tools share: one worker, so the same
model always gives the same answer, and a time limit."""

from ortools.sat.python import cp_model


def solve(model: cp_model.CpModel, time_limit_s: float, what: str) -> tuple[cp_model.CpSolver, str]:
    """Solve deterministically; return the solver (to read values) and the status name, or raise if no solution."""
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_time_in_seconds = time_limit_s
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RuntimeError(f"{what} not solved: {solver.status_name(status)}")
    return solver, solver.status_name(status)
