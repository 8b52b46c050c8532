"""Tests of the desk benchmark: tool time counted once, distinct subjects, and short runs in process and live."""

import cProfile
import pstats
import shutil
import time

import pytest
from sqlmodel import Session

from agents.schemas import ExceptionType
from bench import desk
from tests.conftest import copy_trained
from tools import geo
from twin.db import make_engine
from twin.settings import Settings


def _outside_tools(seconds: float) -> None:
    """Busy time spent outside the tools package."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_tool_time_counts_nested_tool_calls_once():
    profile = cProfile.Profile()
    profile.enable()
    _outside_tools(0.05)
    for _ in range(200):
        geo.haversine_miles(32.78, -96.80, 29.76, -95.37)  # calls geo.haversine_matrix inside
    profile.disable()
    stats = pstats.Stats(profile).stats
    outer = next(ct for (path, _, name), (_, _, _, ct, _) in stats.items() if name == "haversine_miles")
    inner = next(ct for (path, _, name), (_, _, _, ct, _) in stats.items() if name == "haversine_matrix")
    assert 0 < inner < outer
    assert desk.tool_seconds(profile) == pytest.approx(outer)


def test_subjects_are_distinct_per_type(databases):
    engine = make_engine(databases.seeded("sqlite"))
    with Session(engine) as session:
        cases = desk.exceptions(session, per_type=4)
    engine.dispose()
    assert set(cases) == set(ExceptionType)
    for kind, items in cases.items():
        assert len(items) == 5, kind
        assert len({e.refs.model_dump_json() for e in items}) == 5, kind
        assert all(e.type == kind for e in items)
    stock = {
        e.refs.model_dump_json()
        for kind in (ExceptionType.stockout_risk, ExceptionType.demand_spike)
        for e in cases[kind]
    }
    assert len(stock) == 10


@pytest.fixture
def twin_dir(databases, trained_dir, tmp_path) -> Settings:
    """A data directory as `yardmaster seed` and `train` leave it."""
    shutil.copy(databases.seeded("sqlite").removeprefix("sqlite:///"), tmp_path / "yardmaster.db")
    copy_trained(trained_dir, tmp_path)
    return Settings(data_dir=tmp_path)


@pytest.mark.slow
def test_latency_of_every_type_leaves_the_twin_untouched(twin_dir):
    before = (twin_dir.data_dir / "yardmaster.db").read_bytes()
    rows = desk.latency(twin_dir, per_type=2)
    assert {row.type for row in rows} == set(ExceptionType)
    for row in rows:
        assert row.decisions == 2 and 0 < row.tool_median_ms <= row.median_ms <= row.p95_ms
        assert row.whole_over_tool >= 1
    assert (twin_dir.data_dir / "yardmaster.db").read_bytes() == before


@pytest.mark.slow
def test_live_load_decides_every_post(twin_dir, monkeypatch):
    monkeypatch.setenv("YM_DATA_DIR", str(twin_dir.data_dir))
    rows = desk.live_load(twin_dir, per_level=3, levels=[1, 2], workers=1)
    assert [row.concurrency for row in rows] == [1, 2]
    for row in rows:
        assert row.errors == 0 and row.decisions == 3 and row.per_second > 0
        assert row.p50_ms <= row.p95_ms <= row.p99_ms


def test_without_a_twin_the_benchmark_skips(tmp_path, skip_reason):
    reason = skip_reason(desk.app, ["--json"], YM_DATA_DIR=str(tmp_path), YM_DATABASE_URL=None)
    assert "run `yardmaster seed`" in reason
