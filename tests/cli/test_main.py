"""The top-level commands' argument handling, run in-process."""

from typer.testing import CliRunner

from cli.main import app

RUNNER = CliRunner()


def test_bench_help_lists_the_benchmarks_and_a_benchmarks_help_is_its_own():
    listed = RUNNER.invoke(app, ["bench", "--help"])
    assert listed.exit_code == 0 and "routing, forecast" in listed.output
    own = RUNNER.invoke(app, ["bench", "desk", "--help"])
    assert own.exit_code == 0 and "yardmaster bench desk" in own.output and "--per-type" in own.output


def test_bench_names_a_missing_or_unknown_benchmark_and_exits_2():
    missing = RUNNER.invoke(app, ["bench"])
    unknown = RUNNER.invoke(app, ["bench", "nope"])
    assert (missing.exit_code, unknown.exit_code) == (2, 2)
    assert "name a benchmark" in missing.output and "unknown benchmark 'nope'" in unknown.output
