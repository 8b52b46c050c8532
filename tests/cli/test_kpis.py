"""`yardmaster kpis`: the period's KPIs as a table or JSON, filters named with exit code 2 when the twin lacks them."""

import json

from typer.testing import CliRunner

from cli.main import app as cli


def test_kpis_print_a_table_and_json_and_refuse_unknown_filters(seeded_url, tmp_path, monkeypatch):
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("YM_DATABASE_URL", seeded_url)
    runner = CliRunner()
    shown = runner.invoke(cli, ["kpis", "--from", "2026-10-26", "--to", "2026-11-01", "--granularity", "week"])
    assert shown.exit_code == 0, shown.output
    header, *rows = shown.stdout.split("\n\n")[0].splitlines()
    assert header == "KPI\tvalue\tfrom"
    assert [row.split("\t")[0] for row in rows[:3]] == ["On-time delivery", "Fill rate", "Stockout rate"]
    assert "0 of 300 SKU-DC days" in shown.stdout
    assert "week\tOn-time delivery" in shown.stdout and "\n2026-10-26\t" in shown.stdout
    report = json.loads(runner.invoke(cli, ["kpis", "--site", "DC-DAL", "--json"]).stdout)
    assert report["scope"]["site"] == "DC-DAL" and report["scope"]["end"] == "2026-11-01"
    assert len(report["buckets"]) == 28 and report["total"]["fill_rate"]["rate"] == 1.0
    carrier = json.loads(runner.invoke(cli, ["kpis", "--lane", "DAL-HOU", "--json"]).stdout)["total"]
    assert carrier["fill_rate"] is None and carrier["on_time_delivery"]["delivered"] > 0
    for args, option in ((["--site", "DC-NOWHERE"], "--site"), (["--granularity", "month"], "--granularity")):
        refused = runner.invoke(cli, ["kpis", *args])
        assert refused.exit_code == 2 and option in refused.output, refused.output
