"""Tests of the generator benchmark."""

import json

from typer.testing import CliRunner

from cli.main import app


def test_seed_bench_prints_one_json_object():
    result = CliRunner().invoke(app, ["bench", "seed", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["rows"] > 200_000 and figures["total_seconds"] > 0
