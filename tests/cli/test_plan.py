"""`yardmaster plan` and `yardmaster tradeoff`: each plan printed with its alternatives, the trade-off set
as a new version and cited by the next plan, bad input named with exit code 2."""

import json

from typer.testing import CliRunner

from cli.main import app as cli
from tests.conftest import copy_trained


def test_a_trade_off_set_on_the_command_line_reaches_the_next_plan(seeded_url, trained_dir, tmp_path, monkeypatch):
    copy_trained(trained_dir, tmp_path)
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    runner = CliRunner()
    refused = runner.invoke(cli, ["tradeoff", "set", "--on-time", "2", "--tier", "platinum", "--reason", "r"])
    assert refused.exit_code == 2 and "--tier" in refused.output
    bad_day = runner.invoke(cli, ["plan", "tenders", "--day", "2026-02-30"])
    assert bad_day.exit_code == 2 and "--day" in bad_day.output

    made = runner.invoke(cli, ["tradeoff", "set", "--on-time", "3", "--tier", "gold", "--reason", "gold first"])
    assert made.exit_code == 0, made.output
    [rule] = json.loads(runner.invoke(cli, ["tradeoff", "list", "--json"]).stdout)
    assert (rule["tier"], rule["lane"], rule["on_time"], rule["version"]) == ("gold", "*", 3.0, 1)

    shown = runner.invoke(cli, ["plan", "tenders", "--day", "2026-11-03"])
    assert shown.exit_code == 0, shown.output
    assert "gold customers on any lane: late penalties weighted 3, CO2 0 (version 1)" in shown.stdout
    assert "Chosen: tender plan for 2026-11-03." in shown.stdout
    plan = json.loads(runner.invoke(cli, ["plan", "tenders", "--day", "2026-11-03", "--json"]).stdout)
    assert [alt["name"] for alt in plan["alternatives"]] == [
        "no action",
        "cheapest carrier per lane",
        "most punctual carrier per lane",
    ]
    assert plan["actions"][0]["type"] == "plan_tenders"


def test_the_weeks_maintenance_plan_on_the_command_line(seeded_url, trained_dir, tmp_path, monkeypatch):
    copy_trained(trained_dir, tmp_path)
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    runner = CliRunner()
    bad_day = runner.invoke(cli, ["plan", "maintenance", "--day", "2026-13-01"])
    assert bad_day.exit_code == 2 and "--day" in bad_day.output

    shown = runner.invoke(cli, ["plan", "maintenance"])
    assert shown.exit_code == 0, shown.output
    assert "Chosen: maintenance plan for the week of 2026-11-02" in shown.stdout
    plan = json.loads(runner.invoke(cli, ["plan", "maintenance", "--json"]).stdout)
    assert [alt["name"] for alt in plan["alternatives"]] == ["no action"]
    visits = [action["params"] for action in plan["actions"] if action["type"] == "schedule_maintenance"]
    assert visits and len({visit["truck"] for visit in visits}) == len(visits)


def test_the_days_positioning_plan_on_the_command_line(seeded_url, trained_dir, tmp_path, monkeypatch):
    copy_trained(trained_dir, tmp_path)
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    runner = CliRunner()
    bad_day = runner.invoke(cli, ["plan", "positioning", "--day", "tomorrow"])
    assert bad_day.exit_code == 2 and "--day" in bad_day.output

    shown = runner.invoke(cli, ["plan", "positioning"])
    assert shown.exit_code == 0, shown.output
    assert "Chosen: positioning plan for 2026-11-02" in shown.stdout
    assert "sku\tfrom\tto\tunits" in shown.stdout and "of expected lost sales for" in shown.stdout
    assert "sku\tdc\treorder point\tbefore\tholding USD" in shown.stdout
    plan = json.loads(runner.invoke(cli, ["plan", "positioning", "--json"]).stdout)
    assert [alt["name"] for alt in plan["alternatives"]] == [
        "no action",
        "cover every shortfall (transfers that do not pay too)",
        "transfers only (reorder points kept)",
    ]
    assert plan["actions"] and {action["type"] for action in plan["actions"]} == {"transfer_stock", "set_reorder_point"}
