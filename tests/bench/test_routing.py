"""Tests of the VRPTW benchmark on one Solomon instance, skipped without the public data."""

import json

import pytest
from typer.testing import CliRunner

from bench.data import DataMissing, shared_data
from bench.routing import app
from twin.settings import get_settings


def solomon_folder():
    """The Solomon instance folder, or skip the test."""
    try:
        return shared_data("vrptw", "solomon")
    except DataMissing as missing:
        pytest.skip(str(missing))


def test_one_solomon_instance_at_one_second():
    solomon_folder()
    result = CliRunner().invoke(app, ["--instances", "C101", "--time-limit", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["engine"], report["set"], report["time_limit"]) == (get_settings().routing_engine, "solomon", 1.0)
    (row,) = report["instances"]
    assert row["instance"] == "C101" and row["bks"] == 827.3 and row["feasible"] and report["all_feasible"]
    assert 0 <= row["gap"] < 0.02 and row["distance"] == pytest.approx(row["bks"] * (1 + row["gap"]))
    assert 10 <= row["vehicles"] <= 25 and report["mean_gap"] == row["gap"]


def test_unknown_instance_is_an_error():
    solomon_folder()
    result = CliRunner().invoke(app, ["--instances", "X999", "--time-limit", "1", "--json"])
    assert result.exit_code == 2 and "X999" in result.stderr


def test_missing_data_is_skipped_with_a_reason(tmp_path, skip_reason):
    reason = skip_reason(app, ["--instances", "C101", "--json"], YM_SHARED_DATA_DIR=str(tmp_path))
    assert "benchmark data not found" in reason


def test_effort_compares_sized_and_fixed_iterations_and_skips_a_twin_not_seeded(tmp_path, monkeypatch):
    solomon_folder()
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["--instances", "C101", "--effort", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    (row,) = report["solomon"]["rows"]
    assert (report["fixed_iterations"], row["instance"], row["stops"], row["iterations"]) == (2000, "C101", 100, 1000)
    assert row["fixed_objective"] > 0 and row["sized_objective"] > 0
    assert report["solomon"]["mean_gap"] == pytest.approx(row["sized_objective"] / row["fixed_objective"] - 1)
    assert report["twin"] is None and "twin re-plans" in report["skipped"][0]
