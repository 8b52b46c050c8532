"""Shared fixtures of the benchmark tests."""

import json

import pytest
from typer.testing import CliRunner


@pytest.fixture
def skip_reason(monkeypatch):
    """Run a benchmark command with some settings set (None: unset) and return the reason it printed for skipping."""

    def run(app, args: list[str], **environment: str | None) -> str:
        for name, value in environment.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        try:
            result = CliRunner().invoke(app, args)
        finally:
            monkeypatch.undo()
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout.strip().splitlines()[-1])["skipped"]

    return run
