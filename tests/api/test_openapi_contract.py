"""The OpenAPI contract, checked by schemathesis against a live server: no 5xx and no response outside the schema."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import issue_key
from tests.api.live_server import Server
from tests.conftest import copy_trained

EXAMPLES_PER_OPERATION = 8
TIME_BUDGET_S = 25


@pytest.mark.slow
def test_no_server_errors_and_no_schema_violations(seeded_url, trained_dir, tmp_path):
    copy_trained(trained_dir, tmp_path)
    key = issue_key(seeded_url, "admin").key
    server = Server(
        seeded_url, tmp_path, YM_RATE_LIMIT_PER_MINUTE="1000000", YM_AUTH_FAILURES_PER_MINUTE="1000000"
    ).start()
    schemathesis = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    try:
        run = subprocess.run(
            [
                schemathesis,
                "run",
                f"http://127.0.0.1:{server.port}/openapi.json",
                "-H",
                f"Authorization: Bearer {key}",
                "-n",
                str(EXAMPLES_PER_OPERATION),
                "--max-time",
                str(TIME_BUDGET_S),
                "--seed",
                "7",
                "-w",
                "1",
                "--phases",
                "coverage,fuzzing",
                "--request-timeout",
                "60",
                "--mode",
                "all",
                "--generation-database",
                "none",
                "--checks",
                "not_a_server_error,response_schema_conformance,content_type_conformance",
                "--continue-on-failure",
            ],
            capture_output=True,
            text=True,
            timeout=TIME_BUDGET_S + 120,
            cwd=tmp_path,
        )
    finally:
        server.kill()
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
