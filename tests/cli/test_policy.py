"""`yardmaster policy suggest|accept|decline`: suggestions mined from planted verdicts, answered on the command line,
an unknown id named with exit code 2."""

import json

from sqlmodel import Session
from typer.testing import CliRunner

from agents.policy import ensure_defaults
from cli.main import app as cli
from tests.agents.test_policy_learning import plant_rejections
from twin.actions import ExpediteShipment
from twin.db import make_engine


def test_suggestions_are_mined_and_accepted_on_the_command_line(seeded_url, tmp_path, monkeypatch):
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    runner = CliRunner()
    assert json.loads(runner.invoke(cli, ["policy", "suggest", "--json"]).stdout) == []
    engine = make_engine(seeded_url)
    with Session(engine) as session:
        plant_rejections(session, ExpediteShipment(params={"shipment_id": "SHP-000023", "cost_usd": 90.0}), 5, 0)
        session.commit()
    engine.dispose()
    monkeypatch.setenv("YM_SUGGEST_MIN_SUPPORT", "6")  # the thresholds are settings: 5 examples are too few
    assert json.loads(runner.invoke(cli, ["policy", "suggest", "--json"]).stdout) == []
    monkeypatch.setenv("YM_SUGGEST_MIN_SUPPORT", "5")
    shown = runner.invoke(cli, ["policy", "suggest"])
    assert shown.exit_code == 0 and "DAL-HOU" in shown.stdout and "stop_proposing" in shown.stdout
    [suggestion] = json.loads(runner.invoke(cli, ["policy", "suggest", "--json"]).stdout)
    unknown = runner.invoke(cli, ["policy", "accept", "SUG-nothing"])
    assert unknown.exit_code == 2 and "SUG-nothing" in unknown.output
    accepted = runner.invoke(cli, ["policy", "accept", suggestion["id"], "--actor", "ana"])
    assert accepted.exit_code == 0, accepted.output
    assert json.loads(runner.invoke(cli, ["policy", "suggest", "--json"]).stdout) == []


def test_recommended_autonomy_is_shown_beside_the_configured_level(seeded_url, tmp_path, monkeypatch):
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    engine = make_engine(seeded_url)
    with Session(engine) as session:
        ensure_defaults(session)
        plant_rejections(session, ExpediteShipment(params={"shipment_id": "SHP-000023", "cost_usd": 90.0}), 5, 0)
        session.commit()
    engine.dispose()
    runner = CliRunner()
    found = {
        (r["action_type"], r["cohort"]): r
        for r in json.loads(runner.invoke(cli, ["policy", "recommend", "--json"]).stdout)
    }
    expedite = found[("expedite_shipment", "*")]
    assert (expedite["configured"], expedite["recommended"], expedite["change"]) == ("act", "off", "lower")
    table = runner.invoke(cli, ["policy", "recommend"]).stdout.splitlines()
    assert table[0].split("\t") == ["action type", "cohort", "configured", "recommended", "reasons"]
    row = next(line.split("\t") for line in table if line.startswith("expedite_shipment"))
    assert row[:4] == ["expedite_shipment", "*", "act", "off (lower)"]
    assert row[4].startswith("people refused 5 of 5 proposals: stop proposing")
