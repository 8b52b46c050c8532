"""`yardmaster attribution`: the effects per trigger and action type as a table and as JSON on a hand-built rollout,
a bad filter named with exit code 2, and only the decisions while no day has been measured."""

import json
from datetime import UTC, datetime, time

from typer.testing import CliRunner

from cli.main import app as cli
from tests.agents.rollout_twin import GO_LIVE, LANES_PER_SITE, build
from twin import models as m
from twin.db import make_engine, session_scope


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
    assert cells[6] == f"{LANES_PER_SITE} / {LANES_PER_SITE}"
    assert cells[7].endswith("]") and " pts [" in cells[7]
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


def test_on_the_day_the_desk_went_live_only_the_decisions_show(empty_url, tmp_path, monkeypatch):
    build(empty_url, seed=3, planted=0.0)
    engine = make_engine(empty_url)
    with session_scope(engine) as session:  # the twin's clock back to the go-live morning: no day has ended since
        clock = session.get(m.TwinMeta, "as_of")
        assert clock is not None
        clock.value = datetime.combine(GO_LIVE, time(12), tzinfo=UTC).isoformat()
    engine.dispose()
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", empty_url)
    shown = CliRunner().invoke(cli, ["attribution"])
    assert shown.exit_code == 0, shown.output
    header, row, note = shown.stdout.strip().splitlines()
    assert header == "trigger\taction\tdecisions\tdone\toutcomes (acted / shadowed)"
    assert row.startswith(f"late_shipment\texpedite_shipment\t{2 * LANES_PER_SITE}\t")
    assert note == f"No KPI effect yet: no day has ended on the twin since the desk went live on {GO_LIVE}."
    report = json.loads(CliRunner().invoke(cli, ["attribution", "--json"]).stdout)
    effect = report["triggers"][0]["actions"][0]["effects"][0]
    assert effect["against_shadow"]["estimate"] is None and "no day measured" in effect["against_shadow"]["reason"]
