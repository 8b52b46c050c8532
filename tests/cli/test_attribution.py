"""`yardmaster attribution`: the effects per trigger and action type as a table and as JSON on a hand-built rollout,
a bad filter named with exit code 2."""

import json

from typer.testing import CliRunner

from cli.main import app as cli
from tests.agents.rollout_twin import LANES_PER_SITE, build


def test_attribution_prints_a_table_and_json_and_refuses_bad_filters(empty_url, tmp_path, monkeypatch):
    build(empty_url, seed=2, planted=-0.10)
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", empty_url)
    runner = CliRunner()
    shown = runner.invoke(cli, ["attribution"])
    assert shown.exit_code == 0, shown.output
    header, row, rollout_header, rollout_row = shown.stdout.strip().splitlines()
    assert header.split("\t")[:2] == ["trigger", "action"]
    cells = row.split("\t")
    assert cells[:3] == ["late_shipment", "expedite_shipment", str(2 * LANES_PER_SITE)]
    assert cells[3] == f"executed {LANES_PER_SITE}, shadowed {LANES_PER_SITE}" and cells[5] == "On-time delivery"
    assert cells[6].endswith("]") and " pts [" in cells[6]
    assert rollout_header.startswith("KPI\tmeasured as")
    assert rollout_row.split("\t")[2] == f"{LANES_PER_SITE} / {LANES_PER_SITE}"
    report = json.loads(runner.invoke(cli, ["attribution", "--json", "--baseline-days", "21"]).stdout)
    assert report["periods"]["baseline"]["days"] == 21
    shadow = report["triggers"][0]["actions"][0]["effects"][0]["against_shadow"]
    assert shadow["low"] <= 0.10 <= shadow["high"]
    for args, option in (
        (["--site", "DC-NOWHERE"], "--site"),
        (["--from", "2026-10-20", "--to", "2026-10-01"], "--to"),
    ):
        refused = runner.invoke(cli, ["attribution", *args])
        assert refused.exit_code == 2 and option in refused.output, refused.output
