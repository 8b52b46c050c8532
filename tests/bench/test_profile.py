"""Splitting a decision's sampled time into tools, graph, storage and the rest."""

import time

import pytest

from bench import profile
from tools import geo
from twin.settings import PROJECT_ROOT

LIBRARIES = "/venv/lib/python3.11/site-packages"


def _stack(*paths: str) -> list[str]:
    """Pyinstrument frame identifiers for source files, outermost first."""
    return [f"fn\x00{path}\x0010\x01l1" for path in paths]


@pytest.mark.parametrize(
    ("paths", "part"),
    [
        (
            [f"{PROJECT_ROOT}/graph/desk.py", f"{PROJECT_ROOT}/tools/late_risk.py", f"{LIBRARIES}/xgboost/core.py"],
            "tool",
        ),
        ([f"{PROJECT_ROOT}/tools/knowledge.py", f"{LIBRARIES}/sqlalchemy/orm/session.py"], "tool"),
        ([f"{PROJECT_ROOT}/graph/nodes.py", f"{LIBRARIES}/sqlalchemy/orm/session.py"], "storage"),
        ([f"{LIBRARIES}/langgraph/pregel/main.py", f"{LIBRARIES}/langgraph/checkpoint/sqlite/__init__.py"], "storage"),
        (
            [
                f"{LIBRARIES}/langgraph/pregel/main.py",
                f"{PROJECT_ROOT}/graph/nodes.py",
                f"{LIBRARIES}/pydantic/main.py",
            ],
            "graph",
        ),
        ([f"{LIBRARIES}/langgraph/pregel/_runner.py"], "graph"),
        ([f"{LIBRARIES}/langgraph/pregel/main.py", f"{PROJECT_ROOT}/agents/verify.py"], "other"),
        ([f"{PROJECT_ROOT}/graph/nodes.py", f"{PROJECT_ROOT}/twin/frames.py", f"{LIBRARIES}/pandas/frame.py"], "other"),
        ([f"{PROJECT_ROOT}/.venv/lib/python3.11/site-packages/tools/x.py"], "other"),
    ],
)
def test_each_stack_belongs_to_one_part(paths, part):
    assert profile.part_of(paths) == part


def test_split_adds_up_the_seconds_of_each_part():
    records = [
        (_stack(f"{PROJECT_ROOT}/tools/geo.py"), 0.02),
        (_stack(f"{PROJECT_ROOT}/graph/nodes.py", f"{LIBRARIES}/sqlite3/dbapi2.py"), 0.01),
        (_stack(f"{PROJECT_ROOT}/graph/nodes.py"), 0.005),
        (_stack(f"{PROJECT_ROOT}/agents/explain.py"), 0.001),
        (_stack(f"{PROJECT_ROOT}/tools/geo.py"), 0.02),
    ]
    found = profile.split(records)
    assert found == profile.Split(tool=0.04, storage=0.01, graph=0.005, other=0.001)
    assert found.whole() == pytest.approx(0.056)
    assert found.plus(found).scaled(0.5) == found


def _busy(seconds: float) -> None:
    """Busy time spent in this test module (neither tools nor storage nor graph)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_sampling_a_block_finds_its_tool_time_and_the_rest():
    with profile.sampled() as found:
        _busy(0.05)
        start = time.perf_counter()
        while time.perf_counter() - start < 0.05:
            geo.haversine_miles(32.78, -96.80, 29.76, -95.37)
    [parts] = found
    assert parts.other == pytest.approx(0.05, abs=0.03)
    assert parts.tool == pytest.approx(0.05, abs=0.03)
    assert parts.whole() == pytest.approx(0.1, abs=0.04)
